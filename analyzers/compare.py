"""Put the interaction scores of several models side by side: agreement, disagreement, Rashomon.

Every model is scored with the same index on the same data (``analyzers.interactions``); this
module only aligns and compares the results, so it runs in milliseconds and can be re-run with
other knobs (top k, aggregation) without touching a model.

Measures, all over the interactions scored by every model ("pairs", triples included):

- strength = |global value|; share = value / (sum of the model's strengths), so models with
  different output scales (a logit and a regression value, say) become comparable. A model
  whose total strength is at most ``zero_tolerance`` × the largest total of the compared models
  has no interactions: its shares are 0, not amplified rounding noise.
- rank agreement between two models: Spearman's rho and Kendall's tau-b of their strengths, and
  the top-k overlap |top_k(a) ∩ top_k(b)| / k (ties broken by pair order).
- disagreement of a pair: max − min of its share over the models, in [0, 1] for strengths. It is
  0 when every model gives the pair the same part of its interaction budget.
- Rashomon check (index "fis" only): FISC scores are permutation FIS on the loss scale (fisc.md
  section 1), so only permutation FIS values of the other models are on the same scale as the
  reference model's FIS range; other indices raise a ``ParameterError``. A value inside
  [min, max] of the range (the reference model included) is "explained by the Rashomon set",
  outside it is "a real difference".
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analyzers.compare_rashomon import rashomon_verdicts, scale_message
from analyzers.compare_result import ComparisonResult
from analyzers.interaction_result import AGGREGATES, InteractionResult
from analyzers.rashomon_result import RashomonResult
from workbench.errors import ParameterError


def compare_results(
    results: Sequence[InteractionResult],
    *,
    aggregate: str = "mean_abs",
    top_k: int = 5,
    rashomon: Mapping[str, RashomonResult] | None = None,
    in_set_only: bool = True,
    zero_tolerance: float = 1e-6,
    range_tolerance: float = 1e-4,
    dataset_fingerprint: str | None = None,
) -> ComparisonResult:
    """Align the interaction scores of several models and compare them.

    Parameters
    ----------
    results : sequence of InteractionResult
        One per model, all of one index on one data set (same groups), distinct model names.
    aggregate : {"mean_abs", "mean"}
        How local values become one value per pair (``InteractionResult.global_scores``).
    top_k : int
        k of the top-k overlap (capped at the number of aligned pairs).
    rashomon : mapping of model name to RashomonResult, optional
        FISC results of some of the models; each other model's FIS is checked against the
        reference model's FIS range. Needs ``index == "fis"``.
    in_set_only : bool
        FIS range over the sampled models inside the Rashomon set only (default), or over all
        sampled joint models.
    zero_tolerance : float
        A model whose total strength is at most this fraction of the largest total has no
        interactions (shares 0, agreement NaN).
    range_tolerance : float
        A value within this fraction of the reference model's largest |main effect| or |FIS|
        of its FIS range counts as inside: float32 models give permutation losses to about
        1e-7 relative, so a pair without interaction has a range of rounding-noise width.
    dataset_fingerprint : str, optional
        ``Dataset.fingerprint()`` of the data the results were computed on; checked against
        the results' ``settings["dataset_fingerprint"]`` where they have one.

    Returns
    -------
    ComparisonResult

    Examples
    --------
    >>> comparison = compare_results([sii_mlp, sii_logistic], top_k=3)
    >>> comparison.top_disagreements(3)
    """
    started = time.perf_counter()
    results = _check_results(results, dataset_fingerprint)
    if aggregate not in AGGREGATES:
        raise ParameterError(f"aggregate must be one of {AGGREGATES}; got {aggregate!r}")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ParameterError(f"top_k must be a positive integer; got {top_k!r}")
    for name, tolerance in (
        ("zero_tolerance", zero_tolerance),
        ("range_tolerance", range_tolerance),
    ):
        if not 0 <= tolerance < 1:
            raise ParameterError(f"{name} must be in [0, 1); got {tolerance!r}")
    models = tuple(r.model for r in results)
    scored = {r.model: _finite_global_values(r, aggregate) for r in results}
    pairs = _common_pairs(scored)
    values = pd.DataFrame(scored).loc[list(pairs), list(models)]  # (pairs, models)
    strengths = values.abs()
    totals = strengths.sum(axis=0)
    has_interactions = totals > zero_tolerance * totals.max()
    shares = values.div(totals.where(has_interactions, np.inf), axis=1)
    # Rounding noise must not order pairs: strengths below the tolerance rank as ties at 0.
    ranked = strengths.where(strengths > zero_tolerance * totals, 0.0)
    table = _long_table(values, strengths, shares, ranked)
    fisc = rashomon_verdicts(results, pairs, rashomon or {}, in_set_only, range_tolerance)
    fingerprints = {r.settings.get("dataset_fingerprint") for r in results} - {None}
    settings = {
        "aggregate": aggregate,
        "top_k": top_k,
        "zero_tolerance": zero_tolerance,
        "in_set_only": in_set_only,
        "range_tolerance": range_tolerance,
        "dataset_fingerprint": dataset_fingerprint or next(iter(fingerprints), None),
        "rashomon_models": sorted(rashomon or {}),
        # Pairs some model did not score (or scored NaN): left out of every measure.
        "unaligned_pairs": sorted(set().union(*(v.index for v in scored.values())) - set(pairs)),
        "results": {r.model: r.settings for r in results},
    }
    return ComparisonResult(
        index=results[0].index,
        models=models,
        pairs=pairs,
        table=table,
        models_summary=pd.DataFrame(
            {
                "model": list(models),
                "total_strength": totals.to_numpy(dtype=float),
                "has_interactions": has_interactions.to_numpy(dtype=bool),
            }
        ),
        agreement=_agreement(ranked, has_interactions, top_k),
        disagreement=_disagreement(values, shares),
        rashomon=fisc,
        settings=settings,
        seconds=time.perf_counter() - started,
    )


def score_models(
    models: Mapping[str, Any], dataset, index: str = "sii", **score_kwargs: Any
) -> list[InteractionResult]:
    """Score every model with one index on one data set (``score_interactions`` per model).

    Parameters
    ----------
    models : mapping of str to model
        Model name to ModelAdapter (or anything ``wrap_model`` takes); at least two.
    dataset : Dataset
        The rows every model is explained on.
    index : str
        One of ``INTERACTION_INDICES``.
    **score_kwargs
        Passed to ``analyzers.interactions.score_interactions`` (order, rows, background,
        seed...), the same for every model.

    Returns
    -------
    list of InteractionResult
        In the order of ``models``.
    """
    from analyzers.interactions import score_interactions

    if not isinstance(models, Mapping):
        raise ParameterError(
            f"models must be a mapping of name to model; got {type(models).__name__}"
        )
    if len(models) < 2:
        raise ParameterError(f"models: need at least two models to compare; got {len(models)}")
    return [
        score_interactions(model, dataset, index=index, model_name=str(name), **score_kwargs)
        for name, model in models.items()
    ]


def compare_models(
    models: Mapping[str, Any],
    dataset,
    index: str = "sii",
    *,
    aggregate: str = "mean_abs",
    top_k: int = 5,
    rashomon: Mapping[str, RashomonResult] | None = None,
    in_set_only: bool = True,
    zero_tolerance: float = 1e-6,
    range_tolerance: float = 1e-4,
    **score_kwargs: Any,
) -> ComparisonResult:
    """Score several models with one index on one data set and compare them.

    Parameters
    ----------
    models : mapping of str to model
        Model name to ModelAdapter (or anything ``wrap_model`` takes); at least two.
    dataset : Dataset
        The rows every model is explained on.
    index : str
        One of ``INTERACTION_INDICES``; "fis" to check against ``rashomon`` results.
    aggregate, top_k, rashomon, in_set_only, zero_tolerance, range_tolerance
        As for ``compare_results``.
    **score_kwargs
        Passed to ``score_interactions`` for every model.

    Returns
    -------
    ComparisonResult
        ``seconds`` counts the scoring too.

    Examples
    --------
    >>> comparison = compare_models({"mlp": mlp, "logistic": logit}, ds, index="fis",
    ...                             rashomon={"mlp": explore_rashomon(mlp, ds)})
    >>> comparison.rashomon.groupby("verdict").size()
    """
    started = time.perf_counter()
    unknown = sorted(set(rashomon or {}) - set(models))
    if unknown:
        raise ParameterError(
            f"rashomon: unknown model name {unknown[0]!r}; models are {', '.join(models)}"
        )
    if rashomon and index != "fis":
        raise ParameterError(scale_message(index))
    results = score_models(models, dataset, index, **score_kwargs)
    comparison = compare_results(
        results,
        aggregate=aggregate,
        top_k=top_k,
        rashomon=rashomon,
        in_set_only=in_set_only,
        zero_tolerance=zero_tolerance,
        range_tolerance=range_tolerance,
        dataset_fingerprint=dataset.fingerprint(),
    )
    return dataclasses.replace(comparison, seconds=time.perf_counter() - started)


# ---------------------------------------------------------------------------- checks
def _check_results(
    results: Sequence[InteractionResult], dataset_fingerprint: str | None
) -> list[InteractionResult]:
    results = list(results)
    if len(results) < 2:
        raise ParameterError(f"results: need at least two models to compare; got {len(results)}")
    for result in results:
        if not isinstance(result, InteractionResult):
            raise ParameterError(f"results must be InteractionResults; got {type(result).__name__}")
    first = results[0]
    names = [r.model for r in results]
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated is not None:
        raise ParameterError(f"results: model name {repeated!r} appears twice; names must differ")
    for result in results[1:]:
        if result.index != first.index:
            raise ParameterError(
                f"results: {first.model!r} uses index {first.index!r} but {result.model!r} "
                f"uses {result.index!r}; compare results of one index"
            )
        if tuple(result.group_names) != tuple(first.group_names):
            raise ParameterError(
                f"results: {result.model!r} scores groups {list(result.group_names)} but "
                f"{first.model!r} scores {list(first.group_names)}; compare results of one data set"
            )
    _check_same_data(results, dataset_fingerprint)
    return results


def _check_same_data(results: list[InteractionResult], dataset_fingerprint: str | None) -> None:
    """Results that record their data set or explained rows must agree on them."""
    expected = dataset_fingerprint
    for result in results:
        found = result.settings.get("dataset_fingerprint")
        if found is None:
            continue
        if expected is not None and found != expected:
            raise ParameterError(
                f"results: {result.model!r} was computed on another data set (fingerprint "
                f"{found[:12]}..., expected {expected[:12]}...); compare results of one data set"
            )
        expected = found
    with_rows = [r for r in results if r.settings.get("rows") is not None]
    for result in with_rows[1:]:
        if list(result.settings["rows"]) != list(with_rows[0].settings["rows"]):
            raise ParameterError(
                f"results: {result.model!r} explains other rows than {with_rows[0].model!r}; "
                "score every model on the same rows (same rows= and seed=)"
            )


def _finite_global_values(result: InteractionResult, aggregate: str) -> pd.Series:
    """pair -> global value, without pairs the index could not score (NaN, inf)."""
    values = result.global_scores(aggregate).set_index("pair")["value"].astype(float)
    return values[np.isfinite(values.to_numpy())]


def _common_pairs(scored: dict[str, pd.Series]) -> tuple[str, ...]:
    """Pairs every model scored, in the first model's order."""
    # Equal group tuples give equal labels (groups joined in group order).
    common = set.intersection(*(set(values.index) for values in scored.values()))
    pairs = tuple(p for p in next(iter(scored.values())).index if p in common)
    if not pairs:
        raise ParameterError(
            "results: the models share no scored interaction; score the same pairs for each"
        )
    return pairs


# ---------------------------------------------------------------------------- frames
def _long_table(
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


def _agreement(strengths: pd.DataFrame, has_interactions: pd.Series, top_k: int) -> pd.DataFrame:
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


def _disagreement(values: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
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
