"""What the members of a set agree on about the order of interaction strengths.

Input: a (members, pairs) matrix of strengths |I| (one row per in-set member). Output, as tidy
frames: for each two pairs a, b the share of members ranking a strictly above b; the dominance
order that holds in every member, as its Hasse diagram (transitively reduced edges); each
pair's rank range (robust top-k, rank swing). As in "Partial order in chaos" (Laberge et al.,
JMLR 2023), for interactions instead of main effects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Strengths closer than this (relative to the largest strength of the member) are a tie, so
#: float noise of equal models does not order pairs.
TIE_TOLERANCE = 1e-9


def strictly_above(strengths: np.ndarray) -> np.ndarray:
    """(members, pairs, pairs) bool: member m ranks pair a strictly above pair b."""
    scale = np.abs(strengths).max(axis=1, keepdims=True)  # (members, 1)
    tolerance = TIE_TOLERANCE * np.where(scale > 0, scale, 1.0)
    gaps = strengths[:, :, None] - strengths[:, None, :]  # (members, pairs, pairs)
    return gaps > tolerance[:, :, None]


def order_shares(strengths: np.ndarray, pairs: list[str]) -> pd.DataFrame:
    """pair_a, pair_b, share_above: share of members with |a| > |b|, for every a ≠ b."""
    shares = strictly_above(strengths).mean(axis=0)  # (pairs, pairs)
    a, b = np.nonzero(~np.eye(len(pairs), dtype=bool))
    return pd.DataFrame(
        {
            "pair_a": np.asarray(pairs, dtype=object)[a],
            "pair_b": np.asarray(pairs, dtype=object)[b],
            "share_above": shares[a, b].astype(float),
        }
    )


def hasse_edges(strengths: np.ndarray, pairs: list[str]) -> pd.DataFrame:
    """stronger, weaker: the dominance edges that hold in every member, transitively reduced.

    a dominates b when every member ranks |a| > |b|. Each member's strict order is transitive,
    and so is their intersection, so an edge a → b is implied (and dropped) exactly when some
    c has a → c and c → b.
    """
    if strengths.shape[0] == 0:
        return pd.DataFrame({"stronger": [], "weaker": []}, dtype=object)
    dominates = strictly_above(strengths).all(axis=0)  # (pairs, pairs)
    through = (dominates.astype(np.int64) @ dominates.astype(np.int64)) > 0
    kept = dominates & ~through
    a, b = np.nonzero(kept)
    names = np.asarray(pairs, dtype=object)
    return pd.DataFrame({"stronger": names[a], "weaker": names[b]})


def member_ranks(strengths: np.ndarray) -> np.ndarray:
    """(members, pairs) rank of each pair in each member: 1 + the pairs tied with or above it.

    Ties take the worst rank they span, so a block of tied pairs enters a member's top-k only
    when all of it fits (a set of equal zeros is not a "top 3").
    """
    at_least_as_strong = ~strictly_above(strengths)  # [m, a, b]: b is tied with or above a
    return at_least_as_strong.sum(axis=2)  # a counts itself, so the strongest pair ranks 1


def rank_table(strengths: np.ndarray, pairs: list[str], top_k: int) -> pd.DataFrame:
    """pair, rank_best, rank_worst, rank_swing, robust_top_k per pair (NA ranks with no member)."""
    if strengths.shape[0] == 0:
        empty = pd.array([pd.NA] * len(pairs), dtype="Int64")
        return pd.DataFrame(
            {
                "pair": pairs,
                "rank_best": empty,
                "rank_worst": empty,
                "rank_swing": empty,
                "robust_top_k": False,
            }
        )
    ranks = member_ranks(strengths)
    best, worst = ranks.min(axis=0), ranks.max(axis=0)
    return pd.DataFrame(
        {
            "pair": pairs,
            "rank_best": pd.array(best, dtype="Int64"),
            "rank_worst": pd.array(worst, dtype="Int64"),
            "rank_swing": pd.array(worst - best, dtype="Int64"),
            "robust_top_k": worst <= top_k,
        }
    )
