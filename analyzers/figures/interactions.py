"""Figures of one model's interaction scores: pair heatmap, interaction network, top-pairs bar.

Each builder reads an ``InteractionResult`` (any index) and returns a plotly Figure; pairs are
scored by ``result.global_scores(aggregate)`` (mean |value| over rows by default, or the signed
mean). Only pairs are drawn; triples stay in the tables. Signed views use a diverging scale
centred at 0 (blue positive, red negative); strengths a sequential one from 0. A result whose
scores are all below its no-interaction tolerance is drawn on the scale of its largest main
effect, so rounding noise stays pale instead of being stretched over the full colour range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from analyzers.figures.interaction_reading import (
    AGGREGATE_WORDS,
    INDEX_TITLES,
    NO_INTERACTION,
    index_reading,
    is_signed,
    score_unit,
)
from analyzers.figures.reading import with_reading
from analyzers.interaction_result import InteractionResult, split_pair
from workbench.errors import ParameterError

POSITIVE_COLOUR, NEGATIVE_COLOUR, STRENGTH_COLOUR = "#1f77b4", "#d62728", "#7f7f7f"
DIVERGING_SCALE, STRENGTH_SCALE = "RdBu", "Blues"  # RdBu: red low, blue high
_MAX_EDGE_WIDTH = 12.0
_NODE_SIZES = (14.0, 46.0)
_EDGE_FLOOR = 1e-6
_MAIN_EFFECT_WORDS = {
    "loss_increase": "φ_i, the loss increase when the group alone is permuted",
    "pd_variance_share": "the share of the output's variance in its partial dependence",
}


@dataclass(frozen=True)
class ColourRange:
    """How a figure maps scores to colour or length.

    signed: a diverging scale over [-limit, limit] centred at 0; else a sequential one over
    [0, limit]. none_detected: every score is below the result's tolerance, and ``limit`` is the
    largest main effect (the size an interaction would need to matter), not the largest score.
    """

    signed: bool
    limit: float
    none_detected: bool

    @property
    def bounds(self) -> tuple[float, float]:
        return (-self.limit if self.signed else 0.0, self.limit)


def colour_range(result: InteractionResult, aggregate: str = "mean_abs") -> ColourRange:
    """The colour range the figures of ``result`` use for ``aggregate``."""
    values = np.array([abs(v) for _, v in _pair_scores(result, aggregate)], dtype=float)
    largest = float(values[np.isfinite(values)].max()) if np.isfinite(values).any() else 0.0
    none = any(d.code == NO_INTERACTION for d in result.diagnostics)
    limit = max(_largest_main_effect(result), largest) if none else largest
    signed = aggregate == "mean" and is_signed(result.index)
    return ColourRange(signed, limit if limit > 0 else 1.0, none)


def pair_matrix(result: InteractionResult, aggregate: str = "mean_abs") -> np.ndarray:
    """(groups, groups) symmetric matrix of pair scores; NaN on the diagonal and for gaps."""
    position = {name: g for g, name in enumerate(result.group_names)}
    matrix = np.full((len(position), len(position)), np.nan)
    for label, value in _pair_scores(result, aggregate):
        first, second = split_pair(label)
        matrix[position[first], position[second]] = matrix[position[second], position[first]] = (
            value
        )
    return matrix


def pair_heatmap(result: InteractionResult, aggregate: str = "mean_abs") -> go.Figure:
    """Groups × groups heatmap of the pair scores.

    Parameters
    ----------
    result : InteractionResult
    aggregate : {"mean_abs", "mean"}
        How local scores become one value per pair (see ``InteractionResult.global_scores``).

    Returns
    -------
    plotly.graph_objects.Figure
        One Heatmap trace, x and y the group names in data order. Signed values: a diverging
        scale over a range symmetric about 0 (``zmid=0``); strengths: a sequential scale from 0.
        When the result has no interaction above tolerance, the range is fixed by the largest
        main effect and the title says "no interactions detected".

    Example
    -------
    >>> fig = pair_heatmap(score_interactions(adapter, data, "sii"))  # doctest: +SKIP
    """
    matrix = pair_matrix(result, aggregate)
    names = list(result.group_names)
    scale = colour_range(result, aggregate)
    low, high = scale.bounds
    colours = (
        {"colorscale": DIVERGING_SCALE, "zmid": 0.0}
        if scale.signed
        else {"colorscale": STRENGTH_SCALE}
    )
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=names,
            y=names,
            zmin=low,
            zmax=high,
            hovertemplate="%{y} × %{x}: %{z:.4g}<extra></extra>",
            colorbar={"title": _value_title(result, aggregate)},
            **colours,
        )
    )
    fig.update_layout(
        title=_title(result, "pair scores", aggregate, scale),
        # Square cells; "domain" shrinks the axes to the cells rather than padding the range, so
        # the labels stay next to the cells however wide the card is.
        xaxis={"constrain": "domain"},
        yaxis={"autorange": "reversed", "scaleanchor": "x", "constrain": "domain"},
        template="plotly_white",
    )
    marks = (
        "Cell colour: the pair's score; blue above 0, red below 0, white 0, on a range symmetric "
        "about 0."
        if scale.signed
        else "Cell colour: the pair's score, white at 0 and darker for larger values."
    )
    extra = "The diagonal is empty."
    return with_reading(fig, _reading(result, aggregate, scale, f"{marks} {extra}"))


def interaction_network(
    result: InteractionResult, aggregate: str = "mean_abs", top: int | None = 30
) -> go.Figure:
    """Groups on a circle, sized by main effect, joined by edges as wide as the pair score.

    Parameters
    ----------
    result : InteractionResult
    aggregate : {"mean_abs", "mean"}
    top : int or None
        Draw only the ``top`` strongest pairs (by |score|); None draws every pair.

    Returns
    -------
    plotly.graph_objects.Figure
        One line trace per edge (named by the pair, width ∝ |score|; in the signed view blue
        for positive and red for negative scores, grey for strengths; pairs below 1e-6 of the
        strongest get none, and no pair does when no interaction is above tolerance), a marker
        trace at the edge midpoints carrying the hover text, and a node trace named "groups"
        whose marker sizes follow the main effects.

    Example
    -------
    >>> fig = interaction_network(result, top=15)  # doctest: +SKIP
    """
    if top is not None and int(top) < 1:
        raise ParameterError(f"top must be >= 1 or None, got {top!r}")
    names = list(result.group_names)
    xy = _circle_positions(names)
    scale = colour_range(result, aggregate)
    edges = _network_edges(result, aggregate, top, scale)
    fig = go.Figure([*_edge_traces(edges, xy, scale), _node_trace(result, names, xy)])
    hidden = {"visible": False, "range": [-1.35, 1.35]}
    fig.update_layout(
        title=_title(result, "interaction network", aggregate, scale),
        xaxis=hidden,
        yaxis={**hidden, "scaleanchor": "x"},
        template="plotly_white",
    )
    return with_reading(fig, _reading(result, aggregate, scale, _network_marks(result, scale)))


def top_pairs_bar(
    result: InteractionResult, top: int = 20, aggregate: str = "mean_abs"
) -> go.Figure:
    """Horizontal bars of the ``top`` strongest pairs, strongest on top.

    Parameters
    ----------
    result : InteractionResult
    top : int
        Number of pairs shown.
    aggregate : {"mean_abs", "mean"}

    Returns
    -------
    plotly.graph_objects.Figure
        One Bar trace (y = pair labels, x = scores; blue positive, red negative in the signed
        view, grey strengths). With ``aggregate="mean"`` and a sampled result, error bars of
        ±1.96 standard errors. With no interaction above tolerance, the x range is fixed by
        the largest main effect.

    Example
    -------
    >>> fig = top_pairs_bar(result, top=10)  # doctest: +SKIP
    """
    if int(top) < 1:
        raise ParameterError(f"top must be >= 1, got {top!r}")
    scores = sorted(_pair_scores(result, aggregate), key=lambda item: -abs(item[1]))[: int(top)]
    scores = scores[::-1]  # plotly draws the first category at the bottom
    scale = colour_range(result, aggregate)
    fig = go.Figure(
        go.Bar(
            x=[v for _, v in scores],
            y=[p for p, _ in scores],
            orientation="h",
            name=result.model_name,
            error_x=_error_bars(result, aggregate, [p for p, _ in scores]),
            marker={"color": [_sign_colour(v, scale) for _, v in scores]},
            hovertemplate="%{y}: %{x:.4g}<extra></extra>",
        )
    )
    xaxis = {"title": _value_title(result, aggregate), "zeroline": True}
    if scale.none_detected:
        xaxis["range"] = list(scale.bounds)
    fig.update_layout(
        title=_title(result, f"top {len(scores)} pairs", aggregate, scale),
        xaxis=xaxis,
        template="plotly_white",
        height=max(320, 28 * len(scores) + 140),
    )
    marks = "Bar length: the pair's score, strongest pair on top" + (
        "; blue above 0, red below 0." if scale.signed else "."
    )
    if aggregate == "mean" and result.standard_errors is not None:
        marks += " Whiskers: ±1.96 standard errors of the sampled estimate."
    return with_reading(fig, _reading(result, aggregate, scale, marks))


def _error_bars(result: InteractionResult, aggregate: str, pairs: list[str]) -> dict | None:
    if aggregate != "mean" or result.standard_errors is None:
        return None
    table = result.standard_errors
    errors = dict(zip(table["pair"], table["standard_error"], strict=True))
    return {"type": "data", "array": [1.96 * errors.get(p, np.nan) for p in pairs]}


def _circle_positions(names: list[str]) -> dict[str, tuple[float, float]]:
    """Groups evenly on the unit circle, the first at the top, clockwise."""
    angles = [math.pi / 2 - 2 * math.pi * g / max(len(names), 1) for g in range(len(names))]
    return {name: (math.cos(a), math.sin(a)) for name, a in zip(names, angles, strict=True)}


def _network_edges(
    result: InteractionResult, aggregate: str, top: int | None, scale: ColourRange
) -> list[tuple[str, float]]:
    """The pairs drawn as edges, strongest first."""
    if scale.none_detected:
        return []
    edges = sorted(_pair_scores(result, aggregate), key=lambda item: -abs(item[1]))
    # Pairs at rounding level (an additive model's exact zeros come back as ~1e-9) get no edge.
    floor = _EDGE_FLOOR * scale.limit
    edges = [(p, v) for p, v in edges if np.isfinite(v) and abs(v) > floor]
    return edges if top is None else edges[: int(top)]


def _edge_traces(
    edges: list[tuple[str, float]], xy: dict[str, tuple[float, float]], scale: ColourRange
) -> list[go.Scatter]:
    """One line trace per edge, then one invisible marker trace at the midpoints for hover."""
    traces, middles = [], []
    for label, value in edges:
        first, second = split_pair(label)
        (x0, y0), (x1, y1) = xy[first], xy[second]
        width = max(0.5, _MAX_EDGE_WIDTH * abs(value) / scale.limit)
        traces.append(
            go.Scatter(
                x=[x0, x1],
                y=[y0, y1],
                mode="lines",
                name=label,
                line={"width": width, "color": _sign_colour(value, scale)},
                opacity=0.75,
                hoverinfo="skip",
                showlegend=False,
            )
        )
        middles.append(((x0 + x1) / 2, (y0 + y1) / 2, f"{label}: {value:.4g}"))
    hover = go.Scatter(
        x=[m[0] for m in middles],
        y=[m[1] for m in middles],
        mode="markers",
        name="pairs",
        marker={"size": 6, "opacity": 0.0},
        text=[m[2] for m in middles],
        hoverinfo="text",
        showlegend=False,
    )
    return [*traces, hover]


def _node_trace(
    result: InteractionResult, names: list[str], xy: dict[str, tuple[float, float]]
) -> go.Scatter:
    return go.Scatter(
        x=[xy[n][0] for n in names],
        y=[xy[n][1] for n in names],
        mode="markers+text",
        name="groups",
        text=names,
        textposition="top center",
        marker={
            "size": _node_sizes(result, names),
            "color": "#ff7f0e",
            "line": {"width": 1, "color": "white"},
        },
        hovertext=[f"{n}: main effect {v:.4g}" for n, v in _main_effects(result, names)],
        hoverinfo="text",
        showlegend=False,
    )


def _network_marks(result: InteractionResult, scale: ColourRange) -> str:
    main = _MAIN_EFFECT_WORDS.get(
        result.settings.get("main_effect"), "the mean |main-effect value| over the explained rows"
    )
    colour = "blue above 0, red below 0" if scale.signed else "grey (a strength, no sign)"
    edges = (
        "No pair is above tolerance, so no line is drawn."
        if scale.none_detected
        else f"Each line joins a pair: width ∝ |score| (the widest is {scale.limit:.3g}); "
        f"colour {colour}; hover a line's middle for its value. Pairs below 1e-6 of the "
        "strongest get no line."
    )
    return f"Each orange circle is a group, its area ∝ the group's main effect ({main}). {edges}"


def _sign_colour(value: float, scale: ColourRange) -> str:
    if not scale.signed:
        return STRENGTH_COLOUR
    return NEGATIVE_COLOUR if value < 0 else POSITIVE_COLOUR


def _pair_scores(result: InteractionResult, aggregate: str) -> list[tuple[str, float]]:
    table = result.global_scores(aggregate)
    pairs = [(p, float(v)) for p, v in zip(table["pair"], table["value"], strict=True)]
    return [(p, v) for p, v in pairs if len(split_pair(p)) == 2]


def _main_effects(result: InteractionResult, names: list[str]) -> list[tuple[str, float]]:
    table = result.main_effects
    if table is None or table.empty:
        return [(n, math.nan) for n in names]
    values = dict(zip(table["group"], table["value"].astype(float), strict=True))
    return [(n, values.get(n, math.nan)) for n in names]


def _largest_main_effect(result: InteractionResult) -> float:
    values = np.array([abs(v) for _, v in _main_effects(result, list(result.group_names))])
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else 0.0


def _node_sizes(result: InteractionResult, names: list[str]) -> list[float]:
    values = np.array([abs(v) for _, v in _main_effects(result, names)], dtype=float)
    small, large = _NODE_SIZES
    if not np.isfinite(values).any() or np.nanmax(values) <= 0:
        return [small] * len(names)
    scaled = np.nan_to_num(values / np.nanmax(values), nan=0.0)
    return list(small + (large - small) * np.sqrt(scaled))  # area ∝ main effect


def _value_title(result: InteractionResult, aggregate: str) -> str:
    return f"{AGGREGATE_WORDS[aggregate]} ({score_unit(result.index, result.settings)})"


def _title(result: InteractionResult, what: str, aggregate: str, scale: ColourRange) -> str:
    index = INDEX_TITLES.get(result.index, result.index)
    title = f"{result.model_name}: {index} {what}, {_value_title(result, aggregate)}"
    if scale.none_detected:
        title += (
            "<br><sup>no interactions detected: every score is below tolerance; "
            "the scale is the largest main effect</sup>"
        )
    return title


def _reading(result: InteractionResult, aggregate: str, scale: ColourRange, marks: str) -> str:
    parts = [index_reading(result.index, result.settings, aggregate), marks]
    if scale.none_detected:
        parts.append(
            "No interactions detected: every pair score is below the result's tolerance "
            f"(rounding noise), so the scale runs to the largest main effect ({scale.limit:.3g}) "
            "and pale cells, short bars or missing lines mean 'no interaction', not a weak pattern."
        )
    return " ".join(parts)
