"""Put the interaction scores of several models side by side: agreement, disagreement, Rashomon.

Every model is scored with the same index on the same data (``analyzers.interactions``); this
module only aligns and compares the results, so it runs in milliseconds and can be re-run with
other knobs (top k, aggregation) without touching a model. Its input is checked in
``analyzers.compare_checks``, the measures computed in ``analyzers.compare_measures`` and the
Rashomon verdicts in ``analyzers.compare_rashomon``.

Measures, all over the interactions scored by every model ("pairs", triples included):

- strength = |global value|; share = value / (sum of the model's strengths), so models with
  different output scales (a logit and a regression value, say) become comparable. A model
  whose total strength is at most ``zero_tolerance`` × the largest total of the compared models
  has no interactions: its shares are 0, not amplified rounding noise.
- rank agreement between two models: Spearman's rho and Kendall's tau-b of their strengths, and
  the top-k overlap |top_k(a) ∩ top_k(b)| / k (ties broken by pair order).
- disagreement of a pair: max − min of its share over the models, in [0, 1] for strengths. It is
  0 when every model gives the pair the same part of its interaction budget.
- Rashomon check (FISC: index "fis" only; a model set: its own index): FISC scores are
  permutation FIS on the loss scale (fisc.md section 1), so only permutation FIS values of the
  other models are on the same scale as the reference model's FIS range; other indices raise a
  ``ParameterError``. A value inside [min, max] of the range (the reference model included)
  is "explained by the Rashomon set",
  outside it is "a real difference".
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analyzers.compare_checks import (
    check_models,
    check_parameters,
    check_rashomon_data,
    check_results,
)
from analyzers.compare_measures import (
    agreement_frame,
    aligned_scores,
    comparison_diagnostics,
    disagreement_frame,
    long_table,
)
from analyzers.compare_rashomon import range_source, rashomon_verdicts, scale_message
from analyzers.compare_result import ComparisonResult
from analyzers.interaction_result import InteractionResult
from analyzers.model_sets.result import ModelSetResult
from analyzers.rashomon_result import RashomonResult
from workbench.errors import ParameterError
from workbench.progress import ProgressCallback

#: Where a model's Rashomon range comes from: FISC, or a model set of any builder and index.
RashomonRange = RashomonResult | ModelSetResult


def compare_results(
    results: Sequence[InteractionResult],
    *,
    aggregate: str = "mean_abs",
    top_k: int = 5,
    rashomon: Mapping[str, RashomonRange] | None = None,
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
    rashomon : mapping of model name to RashomonResult or ModelSetResult, optional
        FISC results of some of the models; each other model's FIS is checked against the
        reference model's FIS range. Needs ``index == "fis"``. A ModelSetResult (any
        builder) gives the range of its in-set members instead; its index must be the
        comparison's.
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
    results = check_results(results, dataset_fingerprint)
    check_parameters(aggregate, top_k, zero_tolerance, range_tolerance)
    scored = {r.model_name: _finite_global_values(r, aggregate) for r in results}
    pairs = _common_pairs(scored)
    scores = aligned_scores(scored, pairs, zero_tolerance)
    settings = {
        "aggregate": aggregate,
        "top_k": top_k,
        "zero_tolerance": zero_tolerance,
        "in_set_only": in_set_only,
        "range_tolerance": range_tolerance,
        "dataset_fingerprint": _dataset_fingerprint(results, dataset_fingerprint),
        "rashomon_models": sorted(rashomon or {}),
        # what each reference model's range is over, so figures and tables can name it
        "ranges": {name: range_source(found) for name, found in (rashomon or {}).items()},
        # Pairs some model did not score (or scored NaN): left out of every measure.
        "unaligned_pairs": sorted(set().union(*(v.index for v in scored.values())) - set(pairs)),
        "results": {r.model_name: r.settings for r in results},
    }
    return ComparisonResult(
        index=results[0].index,
        model_names=tuple(scored),
        pairs=pairs,
        table=long_table(scores.values, scores.strengths, scores.shares, scores.ranked),
        models_summary=scores.summary(),
        agreement=agreement_frame(scores.ranked, scores.has_interactions, top_k),
        disagreement=disagreement_frame(scores.values, scores.shares),
        rashomon=rashomon_verdicts(
            results, pairs, rashomon or {}, in_set_only, range_tolerance, aggregate
        ),
        settings=settings,
        seconds=time.perf_counter() - started,
        diagnostics=comparison_diagnostics(scores.has_interactions, settings["unaligned_pairs"]),
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

    check_models(models)
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
    rashomon: Mapping[str, RashomonRange] | None = None,
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
    from analyzers.interactions import score_interactions

    unknown = sorted(set(rashomon or {}) - set(models))
    if unknown:
        raise ParameterError(
            f"rashomon: unknown model name {unknown[0]!r}; models are {', '.join(models)}"
        )
    fisc = [r for r in (rashomon or {}).values() if not isinstance(r, ModelSetResult)]
    if fisc and index != "fis":
        raise ParameterError(scale_message(index))
    check_models(models)
    fingerprint = dataset.fingerprint()
    check_rashomon_data(rashomon or {}, fingerprint, index)

    def score(name: str) -> InteractionResult:
        model = models[name]
        return score_interactions(model, dataset, index=index, model_name=str(name), **score_kwargs)

    return compare_scored(
        [str(name) for name in models],
        score,
        rashomon=(rashomon or {}).get,
        aggregate=aggregate,
        top_k=top_k,
        in_set_only=in_set_only,
        zero_tolerance=zero_tolerance,
        range_tolerance=range_tolerance,
        dataset_fingerprint=fingerprint,
    )


def compare_scored(
    model_names: Sequence[str],
    score: Callable[[str], InteractionResult | None],
    *,
    rashomon: Callable[[str], RashomonRange | None] | None = None,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> ComparisonResult | None:
    """Score each model through ``score`` (computed, cached or stored), then compare them.

    The one orchestration of a comparison: ``compare_models``, the ``workbench compare``
    command and the web app's Compare page differ only in where a model's scores and FISC
    result come from.

    Parameters
    ----------
    model_names : sequence of str
        The models to compare, at least two, in the order of the result.
    score : callable
        ``score(name) -> InteractionResult``, or None when the scores are not available
        (a page reading the store only); then the comparison is None.
    rashomon : callable, optional
        ``rashomon(name) -> RashomonResult, ModelSetResult or None``: the range to check the
        other models against, for each model that has one.
    progress : ProgressCallback, optional
        Told ``("scoring <name>", done, total)`` per model, then ``("comparing", ...)``.
    **options
        Passed to ``compare_results`` (aggregate, top_k, in_set_only, zero_tolerance,
        range_tolerance, dataset_fingerprint).

    Returns
    -------
    ComparisonResult or None
        ``seconds`` counts the scoring too.

    Examples
    --------
    >>> cached = {"mlp": sii_mlp, "logistic": sii_logistic}
    >>> compare_scored(list(cached), cached.get, top_k=3).top_disagreements(3)
    """
    started = time.perf_counter()
    names = [str(name) for name in model_names]
    if len(names) < 2:
        raise ParameterError(f"models: need at least two models to compare; got {len(names)}")
    results = []
    for done, name in enumerate(names):
        if progress:
            progress(f"scoring {name}", done, len(names))
        result = score(name)
        if result is None:
            return None
        results.append(result)
    if progress:
        progress("comparing", len(names), len(names))
    found = {name: rashomon(name) for name in names} if rashomon else {}
    found = {name: fisc for name, fisc in found.items() if fisc is not None}
    comparison = compare_results(results, rashomon=found or None, **options)
    return dataclasses.replace(comparison, seconds=time.perf_counter() - started)


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


def _dataset_fingerprint(results: list[InteractionResult], given: str | None) -> str | None:
    recorded = {r.settings.get("dataset_fingerprint") for r in results} - {None}
    return given or next(iter(recorded), None)
