"""Checks of a comparison's input, before any scoring: the models, the knobs, that the results
are of one index on one data set and rows, and that each Rashomon range records that data set."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from analyzers.interaction_result import AGGREGATES, InteractionResult
from analyzers.model_sets.result import ModelSetResult
from analyzers.rashomon_result import RashomonResult
from workbench.errors import ParameterError

if TYPE_CHECKING:
    from analyzers.compare import RashomonRange


def check_rashomon_data(
    rashomon: Mapping[str, RashomonRange], fingerprint: str, index: str
) -> None:
    """Each FISC or model-set result must record this data set (checked before scoring)."""
    for name, result in rashomon.items():
        if isinstance(result, ModelSetResult):
            if result.index != index:
                raise ParameterError(
                    f"rashomon[{name!r}]: the model set's ranges are of index {result.index!r} "
                    f"but the comparison uses {index!r}; build the set with the comparison's index"
                )
        elif not isinstance(result, RashomonResult):
            raise ParameterError(
                f"rashomon[{name!r}]: expected the RashomonResult of explore_rashomon or a "
                f"ModelSetResult, got {type(result).__name__}"
            )
        found = result.settings.get("dataset_fingerprint")
        if found is not None and found != fingerprint:
            raise ParameterError(
                f"rashomon[{name!r}]: computed on another data set (fingerprint {found[:12]}..., "
                f"this one {fingerprint[:12]}...); explore the Rashomon set on the compared rows"
            )


def check_models(models: Mapping[str, Any]) -> None:
    if not isinstance(models, Mapping):
        raise ParameterError(
            f"models must be a mapping of name to model; got {type(models).__name__}"
        )
    if len(models) < 2:
        raise ParameterError(f"models: need at least two models to compare; got {len(models)}")


def check_parameters(
    aggregate: str, top_k: int, zero_tolerance: float, range_tolerance: float
) -> None:
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


def check_results(
    results: Sequence[InteractionResult], dataset_fingerprint: str | None
) -> list[InteractionResult]:
    results = list(results)
    if len(results) < 2:
        raise ParameterError(f"results: need at least two models to compare; got {len(results)}")
    for result in results:
        if not isinstance(result, InteractionResult):
            raise ParameterError(f"results must be InteractionResults; got {type(result).__name__}")
    first, first_name = results[0], results[0].model_name
    names = [r.model_name for r in results]
    repeated = next((name for name in names if names.count(name) > 1), None)
    if repeated is not None:
        raise ParameterError(f"results: model name {repeated!r} appears twice; names must differ")
    for result, name in zip(results[1:], names[1:], strict=True):
        if result.index != first.index:
            raise ParameterError(
                f"results: {first_name!r} uses index {first.index!r} but {name!r} "
                f"uses {result.index!r}; compare results of one index"
            )
        if tuple(result.group_names) != tuple(first.group_names):
            raise ParameterError(
                f"results: {name!r} scores groups {list(result.group_names)} but "
                f"{first_name!r} scores {list(first.group_names)}; compare results of one data set"
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
                f"results: {result.model_name!r} was computed on another data set (fingerprint "
                f"{found[:12]}..., expected {expected[:12]}...); compare results of one data set"
            )
        expected = found
    with_rows = [r for r in results if r.settings.get("rows") is not None]
    for result in with_rows[1:]:
        if list(result.settings["rows"]) != list(with_rows[0].settings["rows"]):
            raise ParameterError(
                f"results: {result.model_name!r} explains other rows than "
                f"{with_rows[0].model_name!r}; "
                "score every model on the same rows (same rows= and seed=)"
            )
