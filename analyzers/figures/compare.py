"""Figures of a comparison across models: per-pair dumbbells, agreement matrix (the Rashomon
overlay: ``analyzers.figures.compare_overlay``).

Builders only reshape the frames of a ``ComparisonResult``; nothing is recomputed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analyzers.compare_result import AGREEMENT_MEASURES, ComparisonResult
from analyzers.figures.colours import model_colours
from analyzers.figures.interaction_reading import (
    aggregate_sentence,
    score_unit,
    sign_sentence,
    unit_sentence,
)
from analyzers.figures.reading import with_reading
from workbench.errors import ParameterError

_VALUE_TITLES = {
    "share": "share of the model's total interaction strength",
    "value": "global interaction value",
    "strength": "interaction strength |value|",
}
_RANGE_GREY = "rgba(120, 120, 120, 0.55)"


def model_dumbbell_plot(
    result: ComparisonResult,
    value: str = "share",
    top: int | None = 20,
    style: str = "dumbbell",
) -> go.Figure:
    """Each model's value of each pair, pairs sorted by disagreement (largest first).

    Parameters
    ----------
    result : ComparisonResult
    value : {"share", "value", "strength"}
        The column of ``result.table`` to plot; "share" puts models of different output scales
        on one axis.
    top : int or None
        Show only the ``top`` pairs with the largest disagreement; None shows all.
    style : {"dumbbell", "slope"}
        "dumbbell": one row per pair, a marker per model joined by a grey bar from the lowest
        to the highest model. "slope": models along x, one line per pair.

    Returns
    -------
    plotly.graph_objects.Figure
        Dumbbell: a "range" trace (bars, None-separated) and one marker trace per model, in
        ``result.model_names`` order, coloured by ``model_colours(result.model_names)``.
        Slope: one line trace per pair.

    Example
    -------
    >>> fig = model_dumbbell_plot(comparison, top=10)  # doctest: +SKIP
    """
    if value not in _VALUE_TITLES:
        raise ParameterError(f"value must be one of {', '.join(_VALUE_TITLES)}; got {value!r}")
    if style not in ("dumbbell", "slope"):
        raise ParameterError(f"style must be 'dumbbell' or 'slope'; got {style!r}")
    pairs = list(_head(result.disagreement, top)["pair"])
    wide = result.wide_table(value).loc[pairs]  # (pairs, models), largest disagreement first
    axis = _value_axis(result, value)
    title = f"{result.index.upper()} across models: {axis}"
    if style == "slope":
        return with_reading(
            _slope(wide, title, axis),
            f"{_value_reading(result, value)} Each line is a pair, each point one model's "
            "value of it; pairs are the ones the models disagree on most.",
        )
    fig = _dumbbell(wide, pairs, title, axis, model_colours(result.model_names))
    return with_reading(
        fig,
        f"{_value_reading(result, value)} Each row is a pair, sorted by how much the models "
        "disagree (largest difference of share first); each dot is one model's value, and the "
        "grey bar spans the lowest to the highest model.",
    )


def agreement_heatmap(result: ComparisonResult, measure: str = "spearman") -> go.Figure:
    """Model × model matrix of one rank-agreement measure.

    Parameters
    ----------
    result : ComparisonResult
    measure : {"spearman", "kendall", "top_k_overlap"}

    Returns
    -------
    plotly.graph_objects.Figure
        One heatmap trace, z = ``result.agreement_matrix(measure)`` (NaN where undefined),
        each cell labelled with its value.

    Example
    -------
    >>> fig = agreement_heatmap(comparison, "kendall")  # doctest: +SKIP
    """
    if measure not in AGREEMENT_MEASURES:
        raise ParameterError(f"measure must be one of {AGREEMENT_MEASURES}; got {measure!r}")
    matrix = result.agreement_matrix(measure)
    z = matrix.to_numpy(dtype=float)  # (models, models)
    labels = [["" if np.isnan(v) else f"{v:.2f}" for v in row] for row in z]
    overlap = measure == "top_k_overlap"
    name = f"top-{result.settings['top_k']} overlap" if overlap else f"{measure.title()} rank corr."
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(matrix.columns),
            y=list(matrix.index),
            zmin=0.0 if overlap else -1.0,
            zmax=1.0,
            zmid=None if overlap else 0.0,
            colorscale="Blues" if overlap else "RdBu",
            text=labels,
            texttemplate="%{text}",
            colorbar={"title": {"text": name}},
            hovertemplate="%{y} vs %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Agreement between models on {result.index.upper()} pair rankings: {name}",
        # Square cells kept next to their labels at any figure width (constrain="domain"),
        # pushed right and up against the colour bar and the title rather than centred.
        xaxis={"constrain": "domain", "constraintoward": "right"},
        yaxis={
            "autorange": "reversed",
            "scaleanchor": "x",
            "constrain": "domain",
            "constraintoward": "top",
        },
        template="plotly_white",
        height=max(380, 90 * len(matrix) + 160),
    )
    meaning = (
        f"Each cell: the share of one model's {result.settings['top_k']} strongest pairs that "
        "the other model also ranks among its strongest, from 0 (none shared, white) to 1 "
        "(the same pairs, dark blue)."
        if overlap
        else "Each cell: the rank correlation of two models' pair rankings by strength "
        "(|value|): 1 (blue) the same order, 0 (white) unrelated, −1 (red) the reverse order."
    )
    return with_reading(
        fig,
        f"{meaning} It compares orders only, not sizes or signs; scores below the zero "
        "tolerance tie at the last rank. An empty cell is undefined (a model without "
        "interactions, or fewer than two shared pairs).",
    )


def _model_settings(result: ComparisonResult, model: str) -> dict:
    """The settings of one compared model's interaction result (empty when unknown)."""
    return dict(result.settings.get("results", {}).get(model) or {})


def _dumbbell(
    wide: pd.DataFrame, pairs: list[str], title: str, axis: str, colours: dict[str, str]
) -> go.Figure:
    """One row per pair: a grey bar from the lowest to the highest model, a dot per model."""
    fig = go.Figure()
    low, high = wide.min(axis=1), wide.max(axis=1)
    fig.add_trace(
        go.Scatter(
            x=_segments(low.to_numpy(), high.to_numpy()),
            y=_segments(pairs, pairs),
            mode="lines",
            line={"color": _RANGE_GREY, "width": 6},
            name="range over models",
            hoverinfo="skip",
        )
    )
    for model in wide.columns:
        colour = colours[str(model)]
        fig.add_trace(
            go.Scatter(
                x=wide[model].to_numpy(),
                y=pairs,
                mode="markers",
                marker={"size": 11, "color": colour},
                name=str(model),
                hovertemplate=f"{model}<br>%{{y}}: %{{x:.4g}}<extra></extra>",
            )
        )
    fig.update_layout(
        title=title,
        xaxis={"title": axis, "zeroline": True},
        yaxis={"categoryorder": "array", "categoryarray": pairs[::-1], "title": "pair"},
        height=max(320, 28 * len(pairs) + 160),
        template="plotly_white",
        legend_title_text="model",
        hovermode="y unified",  # identical values hide each other; hovering a row lists all
    )
    return fig


def _units(result: ComparisonResult) -> dict[str, str]:
    """Each model's score unit ("logit", "probability", "log-loss", ...)."""
    return {m: score_unit(result.index, _model_settings(result, m)) for m in result.model_names}


def _value_axis(result: ComparisonResult, value: str) -> str:
    """Axis title with the unit: shares have none, values carry the models' one unit.

    Values on different output scales (one model's logit, another's probability) on one axis
    would read as comparable numbers: refused, with the unitless share as the way out.
    """
    if value == "share":
        return _VALUE_TITLES[value]
    units = _units(result)
    if len(set(units.values())) > 1:
        listed = ", ".join(f"{model}: {unit}" for model, unit in units.items())
        raise ParameterError(
            f"value={value!r}: the models' scores are on different scales ({listed}), which "
            "one axis cannot show; plot value='share' (unitless) or score them on one scale"
        )
    return f"{_VALUE_TITLES[value]} ({next(iter(units.values()))})"


def _value_reading(result: ComparisonResult, value: str) -> str:
    aggregate = result.settings.get("aggregate", "mean_abs")
    settings = _model_settings(result, result.model_names[0])
    parts = [unit_sentence(result.index, settings)]
    units = _units(result)
    if len(set(units.values())) > 1:  # only shares get here (see _value_axis)
        listed = "; ".join(f"{model}: {unit}" for model, unit in units.items())
        parts = [f"The models' scores are in different units ({listed})."]
    if value == "share":
        parts.append(
            "Share: the pair's value over the sum of the model's |values| over all pairs, "
            "unitless, so models on different output scales share one axis."
        )
    if value == "strength":
        parts.append("Strength: |value|, the sign dropped.")
    else:
        parts += [sign_sentence(result.index), aggregate_sentence(result.index, aggregate)]
    return " ".join(parts)


def _slope(wide: pd.DataFrame, title: str, axis: str) -> go.Figure:
    fig = go.Figure()
    models = [str(m) for m in wide.columns]
    for pair, values in wide.iterrows():
        fig.add_trace(
            go.Scatter(x=models, y=values.to_numpy(), mode="lines+markers", name=str(pair))
        )
    fig.update_layout(
        title=title,
        xaxis={"title": "model", "categoryorder": "array", "categoryarray": models},
        yaxis={"title": axis, "zeroline": True},
        template="plotly_white",
        legend_title_text="pair",
    )
    return fig


def _segments(starts, ends) -> list:
    """x or y of one line trace drawing a segment per pair (None breaks the line)."""
    points: list = []
    for start, end in zip(starts, ends, strict=True):
        points += [start, end, None]
    return points


def _head(frame: pd.DataFrame, top: int | None) -> pd.DataFrame:
    if top is None:
        return frame
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ParameterError(f"top must be a positive integer or None; got {top!r}")
    return frame.head(top)
