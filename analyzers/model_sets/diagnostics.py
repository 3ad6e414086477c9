"""What makes a model set's interaction ranges degenerate: one model, or too few of them."""

from __future__ import annotations

import pandas as pd

from analyzers.rashomon_result import MIN_IN_SET_MODELS
from analyzers.result import Diagnostic


def model_set_diagnostics(
    n_members: int, n_in_set: int, prediction_spread: float | None, tolerance: float
) -> tuple[Diagnostic, ...]:
    """Codes: ``empty_model_set`` (no model but the best within ε), ``few_models_in_set``
    (fewer than ``MIN_IN_SET_MODELS``), ``collapsed_model_set`` (the in-set members predict
    the same, so a range of 0 says nothing about the Rashomon set).

    ``prediction_spread`` is the largest difference between two in-set members' outputs on
    the explained rows (None with fewer than two in-set members).
    """
    found = []
    if n_in_set <= 1:
        found.append(
            Diagnostic(
                "empty_model_set",
                f"{n_in_set} of {n_members} member(s) are within ε of L*: the set holds no "
                "model other than the best, so there is no range to read; raise epsilon or "
                "build more members",
            )
        )
    elif n_in_set < MIN_IN_SET_MODELS:
        found.append(
            Diagnostic(
                "few_models_in_set",
                f"only {n_in_set} of {n_members} members are within ε of L* (fewer than "
                f"{MIN_IN_SET_MODELS}): ranges and consensus cover a small part of the set",
            )
        )
    if prediction_spread is not None and prediction_spread <= tolerance:
        found.append(
            Diagnostic(
                "collapsed_model_set",
                f"the {n_in_set} in-set members are one model: their outputs on the explained "
                f"rows differ by at most {prediction_spread:.3g} (tolerance {tolerance:g}), so "
                "every range is 0 and every order agreed by construction, which is no evidence "
                "of a stable interaction; vary what the learner depends on (bootstrap "
                "resamples, a parameter grid) or use a randomised learner",
            )
        )
    return tuple(found)


def sampling_diagnostics(plan, scored) -> tuple[Diagnostic, ...]:
    """``sampled_shapley`` (info) when the members' Shapley index was sampled: how large the
    reported standard errors are, and that the ranges include that noise.

    ``plan`` is the set's ``ShapleyPlan`` (None: not a Shapley index); ``scored`` the members'
    ``InteractionResult``s, whose ``standard_errors`` are of each pair's signed mean over rows.
    """
    if plan is None or plan.approximator != "sampling":
        return ()
    errors = sampling_errors(scored)
    if errors.empty:
        return ()
    return (
        Diagnostic(
            "sampled_shapley",
            f"{plan.text()}. Every member got the same draws, so differences between members "
            "are not draw-to-draw noise alone; still, the standard error of a pair's signed "
            f"mean is up to {errors.max():.3g} (median {errors.median():.3g}; column "
            "sampling_error of the range table), and mean |value| over rows, the strength "
            "ranked here, carries per-row noise at least as large that is not estimated: read "
            "range ends closer than that as equal, or run with approximator='exact'",
            severity="info",
        ),
    )


def sampling_errors(scored) -> pd.Series:
    """Largest standard error of each pair's signed mean over the members (pair -> error)."""
    frames = [r.standard_errors for r in scored if r.standard_errors is not None]
    if not frames:
        return pd.Series(dtype=float)
    return pd.concat(frames).groupby("pair", sort=False)["standard_error"].max()
