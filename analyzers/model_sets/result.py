"""The result of an interaction index over a model set: clouds, ranges and consensus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from analyzers.result import Diagnostic, Result


@dataclass(frozen=True, eq=False)
class ModelSetResult(Result):
    """Interaction strengths of every in-set member of a model set, and what they agree on.

    Strength is what ``InteractionResult.global_scores("mean_abs")`` gives: mean |value| over
    the explained rows for local indices, |value| for global ones (FIS, H²).

    Attributes
    ----------
    model_names : tuple of str
        Every member of the set, in and outside it.
    index : str
        The interaction index (see ``analyzers.interaction_result.INTERACTION_INDICES``).
    builder : str
        How the set was built ("retrained", "fitted", "dropout", "masks").
    group_names : tuple of str
    members : DataFrame
        member, loss, loss_increase, in_set, description.
    clouds : DataFrame
        member, pair, strength, value (signed mean): one row per in-set member and pair.
    ranges : DataFrame
        Per pair, strongest mean first: pair, n_members, min, max, mean, range (of strength over
        in-set members), rank_best, rank_worst, rank_swing, robust_top_k. Also ``to_frame()``.
    order_shares : DataFrame
        pair_a, pair_b, share_above: share of in-set members with strength(a) > strength(b).
    hasse : DataFrame
        stronger, weaker: the order every in-set member agrees on, transitively reduced.
    reference_loss : float
        L*.
    epsilon : float
        Absolute ε; members with loss − L* ≤ ε are in the set.
    top_k : int
        k of ``robust_top_k``.
    """

    kind = "model_set"

    model_names: tuple[str, ...]
    index: str
    builder: str
    group_names: tuple[str, ...]
    members: pd.DataFrame
    clouds: pd.DataFrame
    ranges: pd.DataFrame
    order_shares: pd.DataFrame
    hasse: pd.DataFrame
    reference_loss: float
    epsilon: float
    top_k: int
    settings: dict[str, Any]
    seconds: float
    diagnostics: tuple[Diagnostic, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_names", tuple(self.model_names))
        object.__setattr__(self, "group_names", tuple(self.group_names))
        object.__setattr__(self, "diagnostics", tuple(self.diagnostics))

    @property
    def n_in_set(self) -> int:
        return int(self.members["in_set"].sum())

    def to_frame(self) -> pd.DataFrame:
        """The range table: one row per pair, strongest mean first."""
        return self.ranges

    def robust_top_k(self) -> tuple[str, ...]:
        """Pairs in the top ``top_k`` of every in-set member, strongest mean first."""
        return tuple(self.ranges.loc[self.ranges["robust_top_k"], "pair"])

    def rank_swings(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` pairs whose rank differs most between members (pair, rank_best,
        rank_worst, rank_swing)."""
        columns = ["pair", "rank_best", "rank_worst", "rank_swing"]
        table = self.ranges.dropna(subset=["rank_swing"])
        return table.sort_values("rank_swing", ascending=False, kind="stable")[columns].head(n)

    def share_above(self, pair_a: str, pair_b: str) -> float:
        """Share of in-set members ranking ``pair_a`` strictly above ``pair_b``."""
        shares = self.order_shares
        chosen = shares[(shares["pair_a"] == pair_a) & (shares["pair_b"] == pair_b)]
        return float(chosen["share_above"].iloc[0])
