"""Does a model's own interaction weight mean what it looks like? Intrinsic vs measured.

For each field pair, the model's intrinsic weight (AutoInt attention, DCN-V2 cross-weight block
norms, FinalMLP's bilinear fusion pulled back to fields: ``analyzers.intrinsic_weights``; or the
mean attention at named sites of any torch model, such as DeepCTR-Torch's AFM) is set
beside the interaction the model shows when its inputs are intervened on (SII by default:
``analyzers.interactions.score_interactions`` with one group per field, mean |value| over the
explained rows), with the Spearman rank agreement per source. Attention is treated as a
hypothesis; the measured index is the test.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analyzers.result import Diagnostic, Result
from workbench.errors import ParameterError
from workbench.sites import SiteSpec

__all__ = [
    "IntrinsicInteractionResult",
    "intrinsic_interactions",
    "measured_pair_matrix",
    "rank_agreement",
]

TOP_K = 3
LOW_AGREEMENT = 0.3  # Spearman below this: the intrinsic ranking is not the measured one


@dataclass(frozen=True)
class IntrinsicInteractionResult(Result):
    """Intrinsic and measured interaction per field pair, and their rank agreement.

    Attributes
    ----------
    model_names : tuple of str
    field_names : tuple of str
    measured_index : str
        Index of the measured column ("sii" by default).
    pairs : DataFrame
        One row per source and field pair: source, pair, field_a, field_b, intrinsic,
        intrinsic_rank, measured, measured_rank (rank 1 = strongest). Also ``to_frame()``.
    agreement : DataFrame
        One row per source: source, spearman, kendall, top_k_overlap (share of the measured
        top-3 pairs in the intrinsic top 3), top_intrinsic, top_measured, n_pairs.
    how : str
        How the intrinsic weights were read.
    settings, seconds, diagnostics
        As for every ``Result``.
    """

    kind = "intrinsic_interactions"

    model_names: tuple[str, ...]
    field_names: tuple[str, ...]
    measured_index: str
    pairs: pd.DataFrame
    agreement: pd.DataFrame
    how: str
    settings: dict[str, Any]
    seconds: float
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.pairs


def intrinsic_interactions(
    model,
    dataset,
    *,
    index: str = "sii",
    rows: int = 100,
    background: int = 50,
    approximator: str = "auto",
    n_samples: int = 64,
    random_state: int = 0,
    model_name: str = "model",
    device: str = "auto",
    attention_sites: Sequence[str | SiteSpec] | None = None,
) -> IntrinsicInteractionResult:
    """Set a CTR model's own pair weights beside its measured pair interactions.

    Parameters
    ----------
    model : nn.Module or its adapter
        An AutoInt, DCN-V2, FinalMLP or OptInter of ``workbench.zoo``; any torch model with
        ``attention_sites`` (wrap one that returns probabilities, as DeepCTR-Torch's do:
        ``wrap_deepctr``).
    dataset : Dataset
        Coded fields, one group per field (``adult_fields``, ``synthetic_ctr``).
    index : str
        Measured index, as ``score_interactions`` takes it ("sii", "stii", "h2", "fis"...).
    rows : int
        Rows explained (a seeded sample); attention and pulled-back weights average over the
        same rows.
    background, approximator, n_samples, random_state, device
        As for ``score_interactions``.
    model_name : str
    attention_sites : sequence of str or SiteSpec, optional
        Read these attention sites instead of the model's own weights: module paths or function
        sites (``"int_layers.0@softmax"`` for DeepCTR's AutoInt, ``"fm@softmax"`` for AFM),
        as ``attention_maps`` takes them. Each site and head is a source: its mean attention
        over the explained rows, α_ij and α_ji averaged.

    Returns
    -------
    IntrinsicInteractionResult

    Example
    -------
    >>> result = intrinsic_interactions(trained.model, trained.test, model_name="autoint")
    >>> result.agreement[["source", "spearman", "top_intrinsic", "top_measured"]]
    >>> afm = intrinsic_interactions(wrap_deepctr(afm), adult, attention_sites=["fm@softmax"])
    """
    from analyzers.gate_common import as_site_adapter, field_names_of, sample_rows
    from analyzers.interactions import score_interactions
    from analyzers.intrinsic_weights import attention_pair_weights, intrinsic_pair_weights

    start = time.perf_counter()
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 2:
        raise ParameterError(f"rows must be an integer >= 2, got {rows!r}")
    adapter, module = as_site_adapter(model, device)
    positions = sample_rows(dataset.n_rows, rows, random_state)
    explained = dataset.subset(positions)
    field_names = field_names_of(module, dataset)
    if attention_sites is None:
        weights, how = intrinsic_pair_weights(module, explained.X)
        read_diagnostics = ()
    else:
        weights, how, read_diagnostics = attention_pair_weights(adapter, explained, attention_sites)
    measured_result = score_interactions(
        adapter,
        dataset,
        index=index,
        rows=positions,
        background=background,
        approximator=approximator,
        n_samples=n_samples,
        random_state=random_state,
        model_name=model_name,
    )
    measured = measured_pair_matrix(measured_result, field_names)
    pairs = _pair_table(weights, measured, field_names)
    agreement = rank_agreement(pairs)
    return IntrinsicInteractionResult(
        model_names=(model_name,),
        field_names=tuple(field_names),
        measured_index=measured_result.index,
        pairs=pairs,
        agreement=agreement,
        how=how,
        settings={
            "index": index,
            "rows": len(positions),
            "background": background,
            "approximator": approximator,
            "n_samples": n_samples,
            "random_state": random_state,
            # only when given: the zoo readers' settings stay as they were
            **(
                {} if attention_sites is None else {"attention_sites": _site_names(attention_sites)}
            ),
        },
        seconds=time.perf_counter() - start,
        diagnostics=(
            *measured_result.diagnostics,
            *read_diagnostics,
            *_diagnostics(agreement, how),
        ),
    )


def _site_names(sites) -> list[str]:
    return [s if isinstance(s, str) else s.name for s in sites]


def measured_pair_matrix(result, field_names) -> np.ndarray:
    """(F, F) mean |value| per field pair of a pairwise interaction result (one group per
    field, named as ``field_names``)."""
    from analyzers.interaction_result import split_pair

    position = {name: f for f, name in enumerate(field_names)}
    matrix = np.full((len(field_names),) * 2, np.nan)
    for label, value in result.global_scores("mean_abs").itertuples(index=False):
        groups = split_pair(label)
        if len(groups) != 2 or not set(groups) <= set(position):
            raise ParameterError(
                f"dataset: interaction {label!r} is not a pair of the model's fields; "
                "intrinsic weights need one group per field"
            )
        i, j = position[groups[0]], position[groups[1]]
        matrix[i, j] = matrix[j, i] = value
    return matrix


def _pair_table(weights: dict[str, np.ndarray], measured: np.ndarray, field_names) -> pd.DataFrame:
    records = []
    for source, matrix in weights.items():
        for i, j in itertools.combinations(range(len(field_names)), 2):
            records.append(
                {
                    "source": source,
                    "pair": f"{field_names[i]} × {field_names[j]}",
                    "field_a": field_names[i],
                    "field_b": field_names[j],
                    "intrinsic": float(matrix[i, j]),
                    "measured": float(measured[i, j]),
                }
            )
    table = pd.DataFrame(records)
    by_source = table.groupby("source", sort=False)
    table["intrinsic_rank"] = by_source["intrinsic"].rank(ascending=False, method="min")
    table["measured_rank"] = by_source["measured"].rank(ascending=False, method="min")
    table = table.astype({"intrinsic_rank": "int64", "measured_rank": "int64"})
    columns = ["source", "pair", "field_a", "field_b", "intrinsic", "intrinsic_rank"]
    return table[[*columns, "measured", "measured_rank"]]


def rank_agreement(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per source: Spearman, Kendall and top-3 overlap of ``intrinsic`` against ``measured``
    (columns source, pair, intrinsic, measured); NaN correlations when either is flat."""
    records = []
    for source, part in pairs.groupby("source", sort=False):
        a, b = part["intrinsic"].to_numpy(), part["measured"].to_numpy()
        ranked = len(part) >= 2 and np.ptp(a) > 0 and np.ptp(b) > 0
        k = min(TOP_K, len(part))
        top_a = set(part.nlargest(k, "intrinsic")["pair"])
        top_b = set(part.nlargest(k, "measured")["pair"])
        records.append(
            {
                "source": source,
                "spearman": float(stats.spearmanr(a, b).statistic) if ranked else np.nan,
                "kendall": float(stats.kendalltau(a, b).statistic) if ranked else np.nan,
                "top_k_overlap": len(top_a & top_b) / k,
                "top_intrinsic": part.loc[part["intrinsic"].idxmax(), "pair"],
                "top_measured": part.loc[part["measured"].idxmax(), "pair"],
                "n_pairs": len(part),
            }
        )
    return pd.DataFrame(records)


def _diagnostics(agreement: pd.DataFrame, how: str) -> list[Diagnostic]:
    found = [
        Diagnostic(
            "intrinsic_is_descriptive",
            f"Intrinsic weights ({how}) are descriptive: the measured index, not the weight, "
            "says what the model's output does when the fields change together.",
            "info",
        )
    ]
    flat = agreement[agreement["spearman"].isna()]
    if len(flat):
        found.append(
            Diagnostic(
                "no_ranking",
                f"{len(flat)} source(s) ({', '.join(flat['source'][:3])}) give every pair the "
                "same weight (or the model shows no measured interaction): no rank agreement.",
            )
        )
    low = agreement[agreement["spearman"] < LOW_AGREEMENT]
    if len(low):
        worst = low.nsmallest(1, "spearman").iloc[0]
        found.append(
            Diagnostic(
                "low_rank_agreement",
                f"{len(low)} of {len(agreement)} sources rank the pairs unlike the measured "
                f"index (Spearman < {LOW_AGREEMENT}; lowest {worst['spearman']:.2f}, "
                f"{worst['source']}): read them as hypotheses, not as the model's interactions.",
            )
        )
    return found
