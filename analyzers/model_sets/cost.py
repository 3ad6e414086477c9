"""What a model set's Shapley index costs, decided and stated before anything runs.

A Shapley interaction index of one explained row evaluates the row's game on coalitions of
groups: all ``2**p`` of them when exact, or ``n_samples`` seeded draws per interaction, each
draw the ``2**s`` corners of its order-s derivative, when sampled
(``analyzers.interactions.shapley_sampling``). Each coalition is averaged over the background
rows, for every explained row and every in-set member, so the coalitions per row are the unit
that drives the job's time. ``shapley_plan`` picks exact or sampled by that count (not by the
group count alone: sampling at 64 draws per interaction on 14 groups draws more coalitions than
the 16,384 of exact, and measured slower), and ``ShapleyPlan.text`` is the line the Model sets
page and ``workbench rashomon-set`` print.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from workbench.errors import ParameterError

SHAPLEY_INDICES = ("sii", "stii", "ksii")
_NAMES = {"sii": "SII", "stii": "STII", "ksii": "k-SII"}


@dataclass(frozen=True)
class ShapleyPlan:
    """How a Shapley index is computed for every member, and how many coalitions that takes.

    Attributes
    ----------
    index : str
    n_groups : int
    approximator : {"exact", "sampling"}
        What ``score_interactions`` is told.
    n_samples : int or None
        Draws per interaction when sampled.
    coalitions_per_row : int
        Exact: ``2**n_groups``. Sampled: the draws' corners, ``n_samples · Σ_s C(p, s) 2**s``
        (repeats are evaluated once, so at most ``2**n_groups`` distinct).
    n_rows, n_background, n_members : int
        Explained rows, background rows, in-set members (at most: the set may hold fewer).
    """

    index: str
    n_groups: int
    approximator: str
    n_samples: int | None
    coalitions_per_row: int
    n_rows: int
    n_background: int
    n_members: int

    @property
    def model_rows(self) -> int:
        """Model rows at most: coalitions × explained rows × background rows × members."""
        return self.coalitions_per_row * self.n_rows * self.n_background * self.n_members

    def text(self) -> str:
        """One line in the units that drive the time, e.g. "SII on 14 groups: exact, ..."."""
        name = f"{_NAMES[self.index]} on {self.n_groups} groups"
        counts = (
            f"{self.n_rows:,} rows × {self.n_background:,} background rows × "
            f"{self.n_members:,} members"
        )
        if self.approximator == "exact":
            return (
                f"{name}: exact, {self.coalitions_per_row:,} coalitions × {counts} "
                f"(at most {self.model_rows:,} model rows; groups a row shares with a "
                "background row are skipped)"
            )
        return (
            f"{name}: sampled, {self.n_samples} draws per interaction = "
            f"{self.coalitions_per_row:,} coalitions × {counts} "
            f"(at most {self.model_rows:,} model rows); standard errors reported"
        )


def shapley_plan(
    index: str,
    n_groups: int,
    *,
    max_order: int = 2,
    n_rows: int,
    n_background: int,
    n_members: int,
    approximator: str,
    n_samples: int,
    max_coalitions: int,
) -> ShapleyPlan:
    """Exact or sampled, and the coalitions per explained row that choice evaluates.

    Parameters
    ----------
    index : {"sii", "stii", "ksii"}
    n_groups : int
    max_order : int
    n_rows, n_background, n_members : int
        Explained rows, background rows and members scored.
    approximator : {"auto", "exact", "sampling"}
        "exact" and "sampling" are kept as given. "auto": exact while its ``2**n_groups``
        coalitions are within ``max_coalitions``; beyond, sampled with as many draws per
        interaction as fit in ``max_coalitions`` (at most ``n_samples``, at least 2), unless
        that still draws as many coalitions as exact.
    n_samples : int
        Draws per interaction when sampled (the most "auto" uses).
    max_coalitions : int
        "auto": the coalitions per explained row and member a job may evaluate.
    (No defaults here: ``explore_model_set``'s signature holds them.)

    Returns
    -------
    ShapleyPlan

    Examples
    --------
    >>> plan = shapley_plan("sii", 16, n_rows=100, n_background=50, n_members=8,
    ...                     approximator="auto", n_samples=64, max_coalitions=16_384)
    >>> plan.text()
    'SII on 16 groups: sampled, 32 draws per interaction = 16,384 coalitions × 100 rows ...'
    """
    if index not in SHAPLEY_INDICES:
        raise ParameterError(f"index: a Shapley index {SHAPLEY_INDICES} is needed, got {index!r}")
    if approximator not in ("auto", "exact", "sampling"):
        raise ParameterError(
            f"approximator: expected auto, exact or sampling, got {approximator!r}"
        )
    if int(max_coalitions) < 1:
        raise ParameterError(f"max_coalitions must be >= 1, got {max_coalitions!r}")
    exact = 1 << n_groups
    per_draw = draws_per_sample(index, n_groups, max_order)
    chosen, samples = approximator, int(n_samples)
    if approximator == "auto":
        samples = max(2, min(samples, int(max_coalitions) // per_draw))
        chosen = "exact" if exact <= max_coalitions or samples * per_draw >= exact else "sampling"
    sampled = chosen == "sampling"
    return ShapleyPlan(
        index=index,
        n_groups=n_groups,
        approximator=chosen,
        n_samples=samples if sampled else None,
        coalitions_per_row=samples * per_draw + _exact_lower(index, n_groups, max_order)
        if sampled
        else exact,
        n_rows=int(n_rows),
        n_background=int(n_background),
        n_members=int(n_members),
    )


def draws_per_sample(index: str, n_groups: int, max_order: int) -> int:
    """Coalitions one draw per interaction costs: Σ over sampled orders s of C(p, s) · 2**s
    (SII and k-SII sample orders 1..max_order; STII only its top order)."""
    orders = [max_order] if index == "stii" else range(1, max_order + 1)
    return sum(math.comb(n_groups, s) << s for s in orders)


def _exact_lower(index: str, n_groups: int, max_order: int) -> int:
    """STII's lower orders are exact Möbius terms: every coalition of fewer than max_order."""
    if index != "stii":
        return 0
    return sum(math.comb(n_groups, s) for s in range(max_order))


def row_count(rows, n_available: int, default: int) -> int:
    """How many rows a ``rows``/``background`` argument explains: a count (capped at the rows
    there are), positions or values given (their number), or None (``default``, capped)."""
    if rows is None or isinstance(rows, int | np.integer):
        return min(default if rows is None else int(rows), n_available)
    return len(rows)
