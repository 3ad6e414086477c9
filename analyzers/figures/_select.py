"""Resolve the interactions and groups a caller names against a result, with one-line errors.

The figure builders take names as users type them (any order, label or tuple); this module turns
them into the labels and groups stored in the result, or a ``ParameterError`` naming the argument.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analyzers.rashomon_result import INTERACTION_SEPARATOR, RashomonResult
from workbench.errors import ParameterError

_ORDER_NAMES = {2: "pair", 3: "triple"}


def resolve_interaction(result: RashomonResult, groups: str | Sequence[str], argument: str) -> str:
    """The stored label of an interaction given in any order, or a one-line ParameterError."""
    try:
        return result.interaction_of(groups)
    except ParameterError as error:
        raise ParameterError(f"{argument}={groups!r}: {error}") from None


def interaction_rows(
    result: RashomonResult, groups: str | Sequence[str], order: int, argument: str
) -> tuple[str, pd.DataFrame]:
    """The label and the fis_cloud rows of one interaction that must have the given order."""
    label = resolve_interaction(result, groups, argument)
    n_groups = len(label.split(INTERACTION_SEPARATOR))
    if n_groups != order:
        raise ParameterError(
            f"{argument}={groups!r}: {label!r} is a {_ORDER_NAMES.get(n_groups, n_groups)}, "
            f"this figure needs a {_ORDER_NAMES[order]}"
        )
    rows = result.fis_cloud[result.fis_cloud["interaction"] == label]
    if rows.empty:
        raise ParameterError(
            f"{argument}={groups!r}: the result holds no joint models of {label!r}"
        )
    return label, rows.reset_index(drop=True)


def rows_at_radius(
    rows: pd.DataFrame, radius: float | None, argument: str = "radius"
) -> tuple[pd.DataFrame, tuple[float, ...]]:
    """Rows of one ring (or of all rings when ``radius`` is None) and the radii kept, ascending."""
    available = tuple(float(r) for r in np.unique(rows["radius"].to_numpy(dtype=float)))
    if radius is None:
        return rows, available
    valid = isinstance(radius, numbers.Real) and not isinstance(radius, bool)
    if not valid or not np.isfinite(radius) or radius <= 0:
        raise ParameterError(f"{argument} must be a positive number or None; got {radius!r}")
    matches = np.isclose(rows["radius"].to_numpy(dtype=float), float(radius))
    if not matches.any():
        listed = ", ".join(f"{r:g}" for r in available)
        raise ParameterError(
            f"{argument}={radius!r} is not among the radii of this result: {listed}"
        )
    kept = rows[matches].reset_index(drop=True)
    return kept, tuple(float(r) for r in np.unique(kept["radius"].to_numpy(dtype=float)))


def resolve_interactions(
    result: RashomonResult, interactions: str | Iterable[str | Sequence[str]] | None
) -> list[str]:
    """Stored labels for ``interactions`` (None: every interaction of the result), no repeats."""
    if interactions is None:
        return list(result.interactions)
    if isinstance(interactions, str):
        interactions = [interactions]
    labels: list[str] = []
    for groups in interactions:
        label = resolve_interaction(result, groups, "interactions")
        if label not in labels:
            labels.append(label)
    if not labels:
        raise ParameterError("interactions is empty; pass None for every interaction")
    return labels


def resolve_groups(
    result: RashomonResult, groups: str | Iterable[str] | None, available: Sequence[str]
) -> list[str]:
    """Groups named by the caller that have rows to plot (None: all of ``available``)."""
    if groups is None:
        return list(available)
    if isinstance(groups, str):
        groups = [groups]
    chosen: list[str] = []
    for group in groups:
        if group in result.dropped_groups:
            raise ParameterError(
                f"groups: {group!r} was dropped (its reference main effect is within the "
                "tolerance of 0), so it was never searched"
            )
        if group not in available:
            listed = ", ".join(list(available)[:6]) + (" ..." if len(available) > 6 else "")
            raise ParameterError(f"groups: {group!r} is not in this result; available: {listed}")
        if group not in chosen:
            chosen.append(group)
    if not chosen:
        raise ParameterError("groups is empty; pass None for every group")
    return chosen
