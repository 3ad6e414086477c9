"""What a reader of interaction scores must know first: no interaction at all, an approximation.

Cheap checks on a finished ``InteractionResult``; they change no number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzers.interaction_result import InteractionResult
from analyzers.result import Diagnostic

# Scores below this share of the largest main effect are float rounding (float32 model
# outputs carry ~1e-7 relative error), not an interaction.
ZERO_TOLERANCE = 1e-5


def interaction_diagnostics(result: InteractionResult) -> tuple[Diagnostic, ...]:
    """The diagnostics of ``result``: each check that fires, in a fixed order.

    Parameters
    ----------
    result : InteractionResult

    Returns
    -------
    tuple of Diagnostic
        ``no_interaction_above_tolerance`` (warning): every |score| is within
        ``ZERO_TOLERANCE`` of the largest |main effect|, i.e. the model is additive in the
        groups (or constant), and the ranking of pairs is rounding noise.
        ``sampling_approximation`` (info): the Shapley index was estimated from sampled
        coalitions (standard errors in ``result.standard_errors``).
        ``permutation_approximation`` (info): FIS was estimated from random permutations.
    """
    found = [_no_interaction(result), _approximation(result)]
    return tuple(d for d in found if d is not None)


def _no_interaction(result: InteractionResult) -> Diagnostic | None:
    values = result.global_scores("mean_abs")["value"].to_numpy(dtype=float)
    if values.size == 0 or not np.isfinite(values).all():
        return None
    mains = result.main_effects.get("value", pd.Series(dtype=float)).to_numpy(dtype=float)
    mains = np.abs(mains[np.isfinite(mains)])
    scale = float(mains.max()) if mains.size else 0.0
    largest = float(values.max())
    if largest > ZERO_TOLERANCE * scale and largest > 0.0:
        return None
    return Diagnostic(
        "no_interaction_above_tolerance",
        f"no {result.index} interaction above tolerance: the largest |score| is {largest:.3g}, "
        f"at most {ZERO_TOLERANCE:g} of the largest main effect ({scale:.3g}); the model is "
        "additive in these groups and the ranking of pairs is rounding noise",
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
