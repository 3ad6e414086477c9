"""What a reader of interaction scores must know first: no interaction at all, scores that
depend on the probability clip, an approximation.

Cheap checks on a finished ``InteractionResult``; they change no number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzers.interaction_result import InteractionResult
from analyzers.result import Diagnostic

# Scores below this share of the output's scale are float rounding (float32 model outputs carry
# ~1e-7 relative error, and an index sums a few of them), not an interaction.
ZERO_TOLERANCE = 1e-5
# More explained/background rows than this share at the probability clip make logit-scale
# scores a property of the clip as much as of the model.
CLIPPED_ROW_SHARE = 0.02


def interaction_diagnostics(result: InteractionResult) -> tuple[Diagnostic, ...]:
    """The diagnostics of ``result``: each check that fires, in a fixed order.

    Parameters
    ----------
    result : InteractionResult

    Returns
    -------
    tuple of Diagnostic
        ``no_interaction_above_tolerance`` (warning): every |score| is at most
        ``ZERO_TOLERANCE`` times the output's scale (the larger of the root-mean-square model
        output on the game's scale, ``settings["output_rms"]``, and the largest |main
        effect|), i.e. the model is additive in the groups (or constant), and the ranking of
        pairs is rounding noise.
        ``probability_clip_active`` (warning): more than ``CLIPPED_ROW_SHARE`` of the explained
        and background rows have a probability of 0 or 1 within ``settings["probability_clip"]``,
        so logit-scale scores depend on the clip; the probability scale has none.
        ``sampling_approximation`` (info): the Shapley index was estimated from sampled
        coalitions (standard errors in ``result.standard_errors``).
        ``permutation_approximation`` (info): FIS was estimated from random permutations.
    """
    found = [_no_interaction(result), _clip_active(result), _approximation(result)]
    return tuple(d for d in found if d is not None)


def _no_interaction(result: InteractionResult) -> Diagnostic | None:
    values = result.global_scores("mean_abs")["value"].to_numpy(dtype=float)
    if values.size == 0 or not np.isfinite(values).all():
        return None
    mains = result.main_effects.get("value", pd.Series(dtype=float)).to_numpy(dtype=float)
    mains = np.abs(mains[np.isfinite(mains)])
    output_rms = float(result.settings.get("output_rms") or 0.0)
    scale = max(float(mains.max()) if mains.size else 0.0, output_rms)
    tolerance = ZERO_TOLERANCE * scale
    largest = float(values.max())
    if largest > tolerance and largest > 0.0:
        return None
    return Diagnostic(
        "no_interaction_above_tolerance",
        f"no interactions detected ({result.index}): the largest |score| is {largest:.3g}, "
        f"below the tolerance {tolerance:.3g} ({ZERO_TOLERANCE:g} × the output's scale "
        f"{scale:.3g}); the model is additive in these groups and the ranking of pairs is "
        "rounding noise",
    )


def _clip_active(result: InteractionResult) -> Diagnostic | None:
    share = result.settings.get("clipped_row_share")
    if share is None or share <= CLIPPED_ROW_SHARE:
        return None
    clip = result.settings.get("probability_clip")
    return Diagnostic(
        "probability_clip_active",
        f"{share:.0%} of the explained and background rows have a predicted probability of "
        f"0 or 1 (within probability_clip={clip:g}): their log-odds are the clip's, so these "
        "logit-scale scores depend on the clip; output='probability' avoids it",
    )


def _approximation(result: InteractionResult) -> Diagnostic | None:
    estimator = result.settings.get("estimator")
    if estimator == "sampling":
        groups = len(result.group_names)
        return Diagnostic(
            "sampling_approximation",
            f"{result.index} estimated from {result.settings.get('n_samples')} sampled "
            f"coalitions per interaction ({groups} groups; the exact index enumerates "
            f"2**{groups} coalitions); see standard_errors",
            severity="info",
        )
    if estimator == "permutation":
        return Diagnostic(
            "permutation_approximation",
            f"FIS estimated from {result.settings.get('n_permutations')} random permutations "
            "per group (the exact marginal needs discrete groups); it carries Monte-Carlo noise",
            severity="info",
        )
    return None
