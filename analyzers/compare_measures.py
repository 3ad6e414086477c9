"""The measures of a comparison: aligned pair × model scores, ranks, agreement, disagreement.

Pure functions of the aligned global values (``analyzers.compare`` aligns them); see the module
docstring there for what each measure means.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analyzers.result import Diagnostic


@dataclass(frozen=True)
class AlignedScores:
    """The pair × model frames every measure reads (rows: aligned pairs; columns: models)."""

    values: pd.DataFrame
    strengths: pd.DataFrame
    shares: pd.DataFrame
    ranked: pd.DataFrame  # strengths, with those below the zero tolerance tied at 0
    totals: pd.Series
    has_interactions: pd.Series

    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "model": list(self.values.columns),
                "total_strength": self.totals.to_numpy(dtype=float),
                "has_interactions": self.has_interactions.to_numpy(dtype=bool),
            }
        )


def aligned_scores(
    scored: dict[str, pd.Series], pairs: tuple[str, ...], zero_tolerance: float
) -> AlignedScores:
    """Each model's global values on the aligned pairs, and the strengths and shares of them.

    A model whose total strength is at most ``zero_tolerance`` of the largest total has no
    interactions: its shares are 0.
    """
    values = pd.DataFrame(scored).loc[list(pairs), list(scored)]  # (pairs, models)
    strengths = values.abs()
    totals = strengths.sum(axis=0)
    has_interactions = totals > zero_tolerance * totals.max()
    shares = values.div(totals.where(has_interactions, np.inf), axis=1)
    # Rounding noise must not order pairs: strengths below the tolerance rank as ties at 0.
    ranked = strengths.where(strengths > zero_tolerance * totals, 0.0)
    return AlignedScores(values, strengths, shares, ranked, totals, has_interactions)


def long_table(
    values: pd.DataFrame, strengths: pd.DataFrame, shares: pd.DataFrame, ranked: pd.DataFrame
) -> pd.DataFrame:
    ranks = ranked.rank(axis=0, ascending=False, method="min").astype("int64")
    frames = {"value": values, "strength": strengths, "share": shares, "rank": ranks}
    long = {
        name: frame.rename_axis(index="pair", columns="model").stack()
        for name, frame in frames.items()
    }
    table = pd.DataFrame(long).reset_index()
    table["value"] = table["value"].astype(float)
    table["strength"] = table["strength"].astype(float)
    table["share"] = table["share"].astype(float)
    return table[["pair", "model", "value", "strength", "share", "rank"]]


def agreement_frame(
    strengths: pd.DataFrame, has_interactions: pd.Series, top_k: int
) -> pd.DataFrame:
    n_pairs = len(strengths)
    k = min(top_k, n_pairs)
    rows = []
    for model_a, model_b in itertools.combinations(strengths.columns, 2):
        a = strengths[model_a].to_numpy(dtype=float)
        b = strengths[model_b].to_numpy(dtype=float)
        comparable = has_interactions[model_a] and has_interactions[model_b]
        ranked = comparable and n_pairs >= 2 and np.ptp(a) > 0 and np.ptp(b) > 0
        rows.append(
            {
                "model_a": model_a,
                "model_b": model_b,
                "spearman": float(stats.spearmanr(a, b).statistic) if ranked else np.nan,
                "kendall": float(stats.kendalltau(a, b).statistic) if ranked else np.nan,
                "top_k_overlap": (len(_top(a, k) & _top(b, k)) / k if comparable else np.nan),
                "n_pairs": n_pairs,
            }
        )
    frame = pd.DataFrame(rows)
    return frame.astype({"spearman": float, "kendall": float, "top_k_overlap": float})


def _top(strengths: np.ndarray, k: int) -> set[int]:
    # Stable sort of the negated strengths: ties go to the pair computed first.
    return set(np.argsort(-strengths, kind="stable")[:k].tolist())


def disagreement_frame(values: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "pair": list(values.index),
            "disagreement": (shares.max(axis=1) - shares.min(axis=1)).to_numpy(dtype=float),
            "value_range": (values.max(axis=1) - values.min(axis=1)).to_numpy(dtype=float),
            "model_high": list(shares.idxmax(axis=1)),
            "model_low": list(shares.idxmin(axis=1)),
        }
    )
    order = np.argsort(-frame["disagreement"].to_numpy(), kind="stable")
    return frame.iloc[order].reset_index(drop=True)


def comparison_diagnostics(
    has_interactions: pd.Series, unaligned_pairs: Sequence[str]
) -> tuple[Diagnostic, ...]:
    """What a reader of a comparison must know: models without interactions, pairs left out."""
    found = []
    interacting = int(has_interactions.sum())
    if interacting == 0:
        found.append(
            Diagnostic(
                "no_interactions",
                f"none of the {len(has_interactions)} models has an interaction above the zero "
                "tolerance: every share is 0 and the models cannot be ranked against each other",
            )
        )
    elif interacting == 1:
        only = str(has_interactions.index[has_interactions.to_numpy(dtype=bool)][0])
        found.append(
            Diagnostic(
                "one_model_with_interactions",
                f"only {only!r} has interactions above the zero tolerance; rank agreement is "
                "undefined (NaN) for every pair of models",
            )
        )
    if unaligned_pairs:
        found.append(
            Diagnostic(
                "unaligned_pairs",
                f"{len(unaligned_pairs)} interactions not scored by every model are left out "
                f"(e.g. {unaligned_pairs[0]!r})",
                severity="info",
            )
        )
    return tuple(found)
