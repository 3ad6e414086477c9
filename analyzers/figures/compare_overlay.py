"""The Rashomon overlay of a comparison: one model's Rashomon range per pair (FISC's FIS range
or a model set's range of its index), the other models' values on it, with their verdicts.

Builders only reshape the frames of a ``ComparisonResult``; nothing is recomputed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analyzers.compare_rashomon import range_label
from analyzers.compare_result import NOT_ANALYSED_VERDICT, ComparisonResult
from analyzers.figures.colours import model_colours
from analyzers.figures.compare import _RANGE_GREY, _head, _model_settings, _segments
from analyzers.figures.interaction_reading import (
    aggregate_sentence,
    loss_name,
    score_unit,
    sign_sentence,
    unit_sentence,
)
from analyzers.figures.reading import with_reading
from workbench.errors import ParameterError

_INSIDE_SYMBOL, _OUTSIDE_SYMBOL = "circle", "x"


def rashomon_overlay_plot(
    result: ComparisonResult, reference_model: str | None = None, top: int | None = 20
) -> go.Figure:
    """The range of one model's Rashomon set per pair, with the other models' values on it.

    The range is FISC's FIS range, or a model set's range of its index (any builder); the
    title, axis and legend say which (``result.settings["ranges"]``).

    Parameters
    ----------
    result : ComparisonResult
        A comparison with a Rashomon range (``result.rashomon`` not empty).
    reference_model : str, optional
        The model whose Rashomon set gives the ranges; default the first one with a range.
    top : int or None
        Show the ``top`` pairs farthest outside the range first; None shows all analysed pairs.

    Returns
    -------
    plotly.graph_objects.Figure
        A "range" trace (one bar per pair, None-separated), the reference model's value (stars
        in its colour), and three traces per other model: its legend entry (no points), then
        circles inside the range ("explained by the Rashomon set") and crosses outside ("a
        real difference"). Colours come from ``model_colours(result.model_names)``, as in the
        other comparison figures.

    Example
    -------
    >>> fig = rashomon_overlay_plot(comparison, "mlp")  # doctest: +SKIP
    """
    reference_model, rows = _overlay_rows(result, reference_model)
    ranges = _overlay_ranges(rows, top)
    pairs = list(ranges.index)
    colours = model_colours(result.model_names)
    source = result.settings.get("ranges", {}).get(reference_model)
    label = range_label(source)
    # hover: "FIS 0.0123 log-loss", the index and the unit beside each value
    short = f"{_short_index(result, source)} %{{x:.4g}} {range_unit(result, reference_model)}"
    fig = go.Figure(
        [
            _range_trace(ranges, f"{label} of {reference_model}"),
            _reference_trace(ranges, reference_model, colours[str(reference_model)], short),
        ]
    )
    others = [m for m in result.model_names if m != reference_model]
    for model in others:
        points = rows[rows["model"] == model].set_index("pair").reindex(pairs)
        fig.add_traces(_verdict_traces(points, str(model), colours[str(model)], short))
    fig.update_layout(
        title=f"Other models' {_short_index(result, source)} against the Rashomon set of "
        f"{reference_model}<br><sup>"
        f"grey: {label}; circle: inside it (explained by the Rashomon set); "
        "cross: outside it (a real difference)</sup>",
        hovermode="y unified",
        xaxis={"title": _overlay_axis(result, reference_model, source), "zeroline": True},
        yaxis={"categoryorder": "array", "categoryarray": pairs[::-1], "title": "pair"},
        height=max(320, 28 * len(pairs) + 160),
        template="plotly_white",
    )
    return with_reading(fig, _overlay_reading(result, reference_model, source))


def _is_model_set(source: dict | None) -> bool:
    return bool(source) and source.get("kind") == "model_set"


def _short_index(result: ComparisonResult, source: dict | None) -> str:
    """ "FIS" for FISC; a model set's index, as strength when the comparison reads |values|."""
    if not _is_model_set(source):
        return "FIS"
    strength = result.settings.get("aggregate", "mean_abs") == "mean_abs"
    return f"{result.index.upper()}{' strength' if strength else ''}"


def range_unit(result: ComparisonResult, reference_model: str) -> str:
    """The unit of ``reference_model``'s range and of the values checked against it: the loss
    for FIS ("log-loss"), else the index's unit for that model ("logit", "share of the pair")."""
    settings = _model_settings(result, reference_model)
    return loss_name(settings) if result.index == "fis" else score_unit(result.index, settings)


def range_quantity(result: ComparisonResult, reference_model: str) -> str:
    """What ``reference_model``'s range holds and its unit, for table headers: "permutation
    FIS, log-loss", "SII strength, logit"."""
    source = result.settings.get("ranges", {}).get(reference_model)
    return f"{_quantity(result, source)}, {range_unit(result, reference_model)}"


def _quantity(result: ComparisonResult, source: dict | None) -> str:
    return _short_index(result, source) if _is_model_set(source) else "permutation FIS"


def _overlay_axis(result: ComparisonResult, reference_model: str, source: dict | None) -> str:
    return f"{_quantity(result, source)} ({range_unit(result, reference_model)})"


def _overlay_reading(result: ComparisonResult, reference_model: str, source: dict | None) -> str:
    settings = _model_settings(result, reference_model)
    markers = (
        "Each model has one colour, the same in every figure of a comparison: a circle when "
        "its value lies inside the range (the difference is explained by the Rashomon set), a "
        "cross when outside (a real difference). Pairs are sorted by how far outside the range "
        "a model lies, largest first."
    )
    if _is_model_set(source):
        aggregate = result.settings.get("aggregate", "mean_abs")
        return (
            f"{unit_sentence(result.index, settings)} "
            f"{aggregate_sentence(result.index, aggregate)} Grey bar: the {range_label(source)} "
            f"of {reference_model}, over its in-set members; star: {reference_model}'s own "
            f"value. {markers}"
        )
    over = (
        "the models in"
        if result.settings.get("in_set_only", True)
        else "every sampled model (in the set or not) of"
    )
    return (
        f"{unit_sentence('fis', {'loss': settings.get('loss')})} "
        f"{sign_sentence('fis')} Grey bar: the {range_label(source)}: FIS over {over} "
        f"{reference_model}'s Rashomon set, {reference_model} included; star: "
        f"{reference_model}'s own FIS. {markers}"
    )


def _overlay_rows(
    result: ComparisonResult, reference_model: str | None
) -> tuple[str, pd.DataFrame]:
    """The reference model (checked) and its analysed rows of ``result.rashomon``."""
    frame = result.rashomon
    if frame.empty:
        raise ParameterError(
            "this comparison has no FISC result or model set; pass rashomon={model: RashomonResult "
            "or ModelSetResult}"
        )
    references = list(dict.fromkeys(frame["reference_model"]))
    reference_model = references[0] if reference_model is None else reference_model
    if reference_model not in references:
        raise ParameterError(
            f"reference_model {reference_model!r} has no FISC result or model set; "
            f"choose one of {', '.join(references)}"
        )
    rows = frame[
        (frame["reference_model"] == reference_model) & (frame["verdict"] != NOT_ANALYSED_VERDICT)
    ]
    return reference_model, rows


def _overlay_ranges(rows: pd.DataFrame, top: int | None) -> pd.DataFrame:
    """One row per pair (its range, the reference value, the largest distance), farthest
    first."""
    ranges = rows.groupby("pair", sort=False).agg(
        range_low=("range_low", "first"),
        range_high=("range_high", "first"),
        reference_value=("reference_value", "first"),
        distance=("distance", "max"),
    )
    order = np.argsort(-ranges["distance"].to_numpy(), kind="stable")
    return _head(ranges.iloc[order], top)


def _range_trace(ranges: pd.DataFrame, name: str) -> go.Scatter:
    pairs = list(ranges.index)
    return go.Scatter(
        x=_segments(ranges["range_low"].to_numpy(), ranges["range_high"].to_numpy()),
        y=_segments(pairs, pairs),
        mode="lines",
        line={"color": _RANGE_GREY, "width": 10},
        name=name,
        hoverinfo="skip",
    )


def _reference_trace(
    ranges: pd.DataFrame, reference_model: str, colour: str, short: str
) -> go.Scatter:
    return go.Scatter(
        x=ranges["reference_value"].to_numpy(),
        y=list(ranges.index),
        mode="markers",
        marker={
            "symbol": "star",
            "size": 15,
            "color": colour,
            "line": {"color": "#222", "width": 1},
        },
        name=f"{reference_model} (reference)",
        hovertemplate=f"{reference_model}<br>%{{y}}: {short}<extra></extra>",
    )


def _verdict_traces(points: pd.DataFrame, model: str, colour: str, short: str) -> list[go.Scatter]:
    """The model's legend entry (a point-less trace: a neutral circle in its colour, shown even
    when every point is a cross), then its inside and outside points, grouped under it."""
    inside = points["inside"].astype(bool).to_numpy()
    traces = [
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            marker={"size": 11, "color": colour, "symbol": _INSIDE_SYMBOL},
            name=model,
            legendgroup=model,
            hoverinfo="skip",
        )
    ]
    for verdict_points, symbol in ((inside, _INSIDE_SYMBOL), (~inside, _OUTSIDE_SYMBOL)):
        chosen = points[verdict_points]
        traces.append(
            go.Scatter(
                x=chosen["value"].to_numpy(),
                y=list(chosen.index),
                mode="markers",
                marker={"size": 11, "color": colour, "symbol": symbol},
                name=model,
                legendgroup=model,
                showlegend=False,
                customdata=chosen["verdict"].to_numpy(),
                hovertemplate=f"{model}<br>%{{y}}: {short}<br>%{{customdata}}<extra></extra>",
            )
        )
    return traces
