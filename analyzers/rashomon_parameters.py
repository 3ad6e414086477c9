"""Checks of ``explore_rashomon``'s parameters, each a one-line error naming the argument."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from analyzers.rashomon_result import interaction_label
from workbench.arguments import check_positive_real
from workbench.errors import ParameterError
from workbench.kernels.subset_losses import ESTIMATORS

#: How the kernel estimates permutation effects (shapiq's word for the estimation method).
APPROXIMATORS = ESTIMATORS
ORDERS = (2, 3)


def check_approximator(approximator: str) -> str:
    if approximator not in APPROXIMATORS:
        raise ParameterError(
            f"approximator must be one of {', '.join(APPROXIMATORS)}, got {approximator!r}"
        )
    return approximator


def grid_units(delta: float) -> int:
    """Whole steps of δ in 1 (10 for δ = 0.1)."""
    if not 0 < delta <= 0.5:
        raise ParameterError(f"delta must be in (0, 0.5], got {delta!r}")
    units = round(1.0 / delta)
    if abs(units * delta - 1.0) > 1e-9:
        raise ParameterError(
            f"delta must divide 1 into whole steps (0.1, 0.2, 0.25...), got {delta}"
        )
    return units


def check_radii(radii: Sequence[float]) -> list[float]:
    values = [float(r) for r in radii]
    if not values or any(not np.isfinite(r) or r <= 0 for r in values):
        raise ParameterError(f"radii must be positive numbers, got {list(radii)!r}")
    return sorted(set(values))


def resolve_epsilon(rate: float | None, absolute: float | None, reference_loss: float) -> float:
    """The absolute ε: ``absolute`` when given, else ``rate`` · L*."""
    if absolute is not None:
        return check_positive_real(absolute, "epsilon")
    rate = check_positive_real(rate, "epsilon_rate")
    if reference_loss <= 0:
        raise ParameterError(
            f"epsilon_rate={rate} gives an empty Rashomon set because the reference loss is "
            f"{reference_loss:g}; pass an absolute epsilon= instead"
        )
    return rate * reference_loss


def select_groups(names: list[str], groups: Sequence[str] | None) -> list[int]:
    """Indices of the groups to analyse (all by default)."""
    if groups is None:
        return list(range(len(names)))
    unknown = [g for g in groups if g not in names]
    if unknown:
        raise ParameterError(f"groups: unknown group {unknown[0]!r}; known: {', '.join(names[:8])}")
    return sorted({names.index(g) for g in groups})


def choose_interactions(
    names: list[str],
    kept: list[int],
    dropped: list[int],
    order: int,
    explicit: Sequence[Sequence[str]] | None,
) -> tuple[list[tuple[int, ...]], list[str]]:
    """Group indices of the interactions to analyse, and labels of requested ones skipped."""
    if explicit is None:
        if order not in ORDERS:
            raise ParameterError(f"order must be 2 or 3, got {order!r}")
        return list(itertools.combinations(kept, order)), []
    chosen, skipped = [], []
    for item in explicit:
        index = _interaction_index(names, item)
        if any(g in dropped for g in index):
            skipped.append(interaction_label(list(item)))  # no boundary to search around
            continue
        if any(g not in kept for g in index):
            raise ParameterError(f"interactions: {item!r} uses a group outside groups=")
        if index not in chosen:
            chosen.append(index)
    return chosen, skipped


def _interaction_index(names: list[str], item: Sequence[str]) -> tuple[int, ...]:
    """Sorted group indices of one requested pair or triple."""
    if isinstance(item, str) or len(item) not in ORDERS or len(set(item)) != len(item):
        raise ParameterError(f"interactions: each entry needs 2 or 3 distinct groups, got {item!r}")
    for name in item:
        if name not in names:
            raise ParameterError(f"interactions: unknown group {name!r}")
    return tuple(sorted(names.index(name) for name in item))
