"""Is a difference between models larger than one model's Rashomon variability?

For a model with a FISC result (``analyzers.rashomon``), each other model's FIS of a pair is
compared with the range of the pair's FIS over the reference model's Rashomon set (the reference
model included). Inside: "explained by the Rashomon set"; outside: "a real difference".

Only permutation FIS (index "fis") shares the FISC scale: both are loss increases of the same
definition (fisc.md section 1), so other indices are refused rather than rescaled, and results
scored with another loss or on another number of rows are refused too.

The range may also come from a model set (``analyzers.model_sets``: retrained, dropout, fitted
or input-mask members): then it is the range of the pair's value over the set's in-set members
in the set's own index, which must be the comparison's index, on the comparison's aggregate
(strength for "mean_abs", the signed mean for "mean").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analyzers.compare_result import (
    INSIDE_VERDICT,
    NOT_ANALYSED_VERDICT,
    OUTSIDE_VERDICT,
    VERDICT_COLUMNS,
    range_source_text,
)
from analyzers.interaction_result import InteractionResult
from analyzers.model_sets.result import ModelSetResult
from analyzers.rashomon_result import INTERACTION_SEPARATOR, MIN_IN_SET_MODELS, RashomonResult
from workbench.errors import ParameterError

_SCALE_SETTINGS = ("loss", "n_rows")  # settings that must agree for FIS to share a scale


def scale_message(index: str) -> str:
    """The one-line refusal of a FIS range check on another index."""
    return (
        f"rashomon: FISC ranges are permutation FIS on the loss scale; "
        f"compare them with index 'fis' results only, got index {index!r}"
    )


#: how each builder's set is named in a range label ("range over the retrained set ...")
_SET_NAMES = {
    "retrained": "retrained set",
    "fitted": "set of fitted models",
    "dropout": "dropout set",
    "masks": "input-mask set",
}


def range_source(found: RashomonResult | ModelSetResult) -> dict[str, Any]:
    """What a reference model's range is over, JSON-safe: a comparison keeps one per reference
    model (``settings["ranges"]``) so its figures and tables can say so without the set.

    Keys: kind ("fisc" or "model_set"), index, epsilon (absolute), epsilon_rate (None when ε
    was given absolute); model sets also builder and n_members (in-set members), FISC also
    approximator.
    """
    if isinstance(found, ModelSetResult):
        return {
            "kind": "model_set",
            "index": found.index,
            "builder": found.builder,
            "n_members": found.n_in_set,
            "epsilon": float(found.epsilon),
            "epsilon_rate": found.settings.get("epsilon_rate"),
        }
    # No member count for FISC: its joint models are sampled per pair, so the count differs
    # between pairs (the FISC page's n_in_set column gives it per pair).
    return {
        "kind": "fisc",
        "index": "fis",
        "epsilon": float(found.epsilon),
        "epsilon_rate": found.settings.get("epsilon_rate"),
        "approximator": found.settings.get("approximator"),
    }


def range_label(source: Mapping[str, Any] | None) -> str:
    """A range named for a reader: "range over the retrained set (8 members, ε = 10%)" or
    "FISC range (ε = 5%, approximator exact)"; None (a comparison from before sources were
    kept) is a FISC range."""
    if not source or source.get("kind") != "model_set":
        parts = [_epsilon_text(source)] if source else []
        if source and source.get("approximator"):
            parts.append(f"approximator {source['approximator']}")
        return "FISC range" + (f" ({', '.join(parts)})" if parts else "")
    name = _SET_NAMES.get(source["builder"], f"{source['builder']} set")
    members = source["n_members"]
    return (
        f"range over the {name} ({members} member{'s' * (members != 1)}, {_epsilon_text(source)})"
    )


def _epsilon_text(source: Mapping[str, Any]) -> str:
    rate = source.get("epsilon_rate")
    if rate is not None:
        return f"ε = {100 * float(rate):.3g}%"
    return f"ε = {float(source['epsilon']):.3g}"


def rashomon_verdicts(
    results: list[InteractionResult],
    pairs: tuple[str, ...],
    rashomon: Mapping[str, RashomonResult | ModelSetResult],
    in_set_only: bool,
    range_tolerance: float,
    aggregate: str = "mean_abs",
) -> pd.DataFrame:
    """One row per reference model, other model and aligned pair (see ``ComparisonResult``).

    Parameters
    ----------
    results : list of InteractionResult
        The compared results (index "fis" when ``rashomon`` is not empty).
    pairs : tuple of str
        The aligned pairs.
    rashomon : mapping of model name to RashomonResult or ModelSetResult
        A model set's range is over its in-set members, in its index (see the module).
    in_set_only : bool
        Range over the models inside the set (``RashomonResult.summary()``'s default), or
        over every sampled model (``summary(include_outside=True)``).
    range_tolerance : float
        Slack at the ends of a range, as a fraction of the reference model's effect scale
        (a model set's: the largest |value| in its ranges or of a compared model).
    aggregate : {"mean_abs", "mean"}
        How a model set's range and the compared values are read (FISC: always signed FIS).

    Returns
    -------
    DataFrame
        Empty (with its columns) when ``rashomon`` is empty.
    """
    by_name = {r.model_name: r for r in results}
    rows = []
    for reference, found in rashomon.items():
        rows += _reference_rows(
            reference, found, results, by_name, pairs, in_set_only, range_tolerance, aggregate
        )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in VERDICT_COLUMNS.items()})
    return pd.DataFrame(rows, columns=list(VERDICT_COLUMNS)).astype(VERDICT_COLUMNS)


def _reference_rows(
    reference: str,
    found: RashomonResult | ModelSetResult,
    results: list[InteractionResult],
    by_name: dict[str, InteractionResult],
    pairs: tuple[str, ...],
    in_set_only: bool,
    range_tolerance: float,
    aggregate: str,
) -> list[dict]:
    """The verdict rows of every other model against ``reference``'s range."""
    if isinstance(found, ModelSetResult):
        _check_model_set(reference, found, by_name, results[0])
        ranges = _set_ranges(found, by_name[reference], aggregate)
        read, absolute = aggregate, False
    else:
        _check_rashomon(reference, found, by_name, results[0].index)
        ranges = _fis_ranges(found, in_set_only)
        read, absolute = "mean", bool(found.settings.get("absolute", False))
    slack = range_tolerance * _range_scale(found, ranges, results, read)
    # every row names what its range is over, so a CSV row read alone says what it holds
    named = {"index": results[0].index, "range_source": range_source_text(range_source(found))}
    rows = []
    for result in results:
        if result.model_name == reference:
            continue
        values = result.global_scores(read).set_index("pair")["value"]
        for pair in pairs:
            value = abs(values[pair]) if absolute else float(values[pair])
            row = _verdict_row(reference, result.model_name, pair, value, ranges, slack)
            rows.append({**row, **named})
    return rows


def _check_rashomon(
    reference: str, fisc: Any, by_name: dict[str, InteractionResult], index: str
) -> None:
    if reference not in by_name:
        raise ParameterError(
            f"rashomon: unknown model name {reference!r}; models are {', '.join(by_name)}"
        )
    if not isinstance(fisc, RashomonResult):
        raise ParameterError(
            f"rashomon[{reference!r}] must be a RashomonResult; got {type(fisc).__name__}"
        )
    if index != "fis":
        raise ParameterError(scale_message(index))
    for name in _SCALE_SETTINGS:
        for result in by_name.values():
            ours, theirs = result.settings.get(name), fisc.settings.get(name)
            if ours is not None and theirs is not None and ours != theirs:
                raise ParameterError(
                    f"rashomon[{reference!r}]: FIS range has {name}={theirs!r} but "
                    f"{result.model_name!r} was scored with {name}={ours!r}; "
                    "use the same for both"
                )


def _check_model_set(
    reference: str, model_set: ModelSetResult, by_name: dict, first: InteractionResult
) -> None:
    """The set must be of the comparison's index and groups, else one line saying so."""
    if reference not in by_name:
        raise ParameterError(
            f"rashomon: unknown model name {reference!r}; models are {', '.join(by_name)}"
        )
    if model_set.index != first.index:
        raise ParameterError(
            f"rashomon[{reference!r}]: the model set's ranges are of index "
            f"{model_set.index!r} but the comparison uses {first.index!r}; build the set with "
            "the comparison's index"
        )
    if tuple(model_set.group_names) != tuple(first.group_names):
        raise ParameterError(
            f"rashomon[{reference!r}]: the model set scores groups {list(model_set.group_names)} "
            f"but the compared models {list(first.group_names)}; use one data set"
        )


def _set_ranges(
    model_set: ModelSetResult, reference: InteractionResult, aggregate: str
) -> dict[frozenset[str], tuple]:
    """[min, max] of each pair over the set's in-set members, beside the reference's value."""
    column = "strength" if aggregate == "mean_abs" else "value"
    clouds = model_set.clouds.groupby("pair")[column]
    low, high, counts = clouds.min(), clouds.max(), clouds.count()
    own = reference.global_scores(aggregate).set_index("pair")["value"]
    return {
        _key(pair): (
            float(own.get(pair, np.nan)),
            float(low[pair]),
            float(high[pair]),
            bool(counts[pair] < MIN_IN_SET_MODELS),
        )
        for pair in low.index
    }


def _range_scale(found: Any, ranges: dict, results: list[InteractionResult], read: str) -> float:
    """The effect scale the slack is a fraction of. A model set's: its largest |end| or the
    largest |value| of a compared model, so a set flat at 0 (an additive learner retrained)
    still gives rounding noise of another model's zero pairs a slack."""
    if isinstance(found, RashomonResult):
        return _effect_scale(found)
    ends = [end for _, low, high, _ in ranges.values() for end in (low, high)]
    for result in results:
        ends += list(result.global_scores(read)["value"].to_numpy(dtype=float))
    ends = np.abs(np.asarray(ends, dtype=float))
    ends = ends[np.isfinite(ends)]
    return float(ends.max()) if ends.size else 0.0


def _fis_ranges(fisc: RashomonResult, in_set_only: bool) -> dict[frozenset[str], tuple]:
    """[min, max] of each pair from ``RashomonResult.summary``: the FISC page's numbers.

    The summary's range already holds the reference model (it is in its own set), so the
    verdicts and the FISC page agree on every pair by construction.
    """
    summary = fisc.summary(include_outside=not in_set_only)
    return {
        _key(row.interaction): (
            float(row.reference_fis),
            float(row.min),
            float(row.max),
            bool(row.few_models),
        )
        for row in summary.itertuples(index=False)
    }


def _effect_scale(fisc: RashomonResult) -> float:
    """The reference model's largest |main effect| or |FIS|: the scale of FIS rounding."""
    effects = [fisc.reference_fis["fis"].to_numpy(dtype=float)]
    if "main_effect" in fisc.reference_main_effects:
        effects.append(fisc.reference_main_effects["main_effect"].to_numpy(dtype=float))
    values = np.abs(np.concatenate(effects))
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else 0.0


def _verdict_row(
    reference: str, model: str, pair: str, value: float, ranges: dict, slack: float
) -> dict:
    found = ranges.get(_key(pair))
    if found is None:
        reference_value = low = high = distance = np.nan
        inside, verdict, few_models = False, NOT_ANALYSED_VERDICT, False
    else:
        # few_models: the FISC page flags the pair too (fewer than MIN_IN_SET_MODELS in-set
        # models), so a verdict on it is as weak as its range.
        reference_value, low, high, few_models = found
        distance = max(low - value, value - high, 0.0)
        inside = distance <= slack
        distance = 0.0 if inside else distance
        verdict = INSIDE_VERDICT if inside else OUTSIDE_VERDICT
    return {
        "reference_model": reference,
        "model": model,
        "pair": pair,
        "value": value,
        "reference_value": reference_value,
        "range_low": low,
        "range_high": high,
        "inside": inside,
        "distance": distance,
        "verdict": verdict,
        "few_models": few_models,
    }


def _key(label: str) -> frozenset[str]:
    return frozenset(label.split(INTERACTION_SEPARATOR))
