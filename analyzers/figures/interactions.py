"""Figures of one model's interaction scores: pair heatmap, interaction network, top-pairs bar.

Each builder reads an ``InteractionResult`` (any index) and returns a plotly Figure; pairs are
scored by ``result.global_scores(aggregate)`` (mean |value| over rows by default, or the signed
mean). Only pairs are drawn; triples stay in the tables.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from analyzers.interaction_result import InteractionResult, split_pair
from workbench.errors import ParameterError

_INDEX_TITLES = {
    "fis": "permutation FIS",
    "h2": "Friedman H²",
    "sii": "SII",
    "stii": "Shapley-Taylor (STII)",
    "ksii": "k-SII",
    "tree": "tree SHAP (SII scale)",
}
_AGGREGATE_WORDS = {"mean_abs": "mean |value|", "mean": "mean value"}
_MAX_EDGE_WIDTH = 12.0
_NODE_SIZES = (14.0, 46.0)
_EDGE_FLOOR = 1e-6


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
        One Heatmap trace, x and y the group names in data order; a diverging colour scale
        centred at 0 when values of both signs occur.

    Example
    -------
    >>> fig = pair_heatmap(score_interactions(adapter, data, "sii"))  # doctest: +SKIP
    """
    matrix = pair_matrix(result, aggregate)
    names = list(result.group_names)
    finite = matrix[np.isfinite(matrix)]
    signed = finite.size and finite.min() < 0 < finite.max()
    colour = {"colorscale": "RdBu", "zmid": 0.0} if signed else {"colorscale": "Viridis"}
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=names,
            y=names,
            hovertemplate="%{y} × %{x}: %{z:.4g}<extra></extra>",
            colorbar={"title": _AGGREGATE_WORDS[aggregate]},
            **colour,
        )
    )
    fig.update_layout(
        title=_title(result, "pair scores", aggregate),
        yaxis={"autorange": "reversed", "scaleanchor": "x"},
        template="plotly_white",
    )
    return fig


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
        One line trace per edge (named by the pair, width ∝ |score|, red for negative signed
        scores; pairs below 1e-6 of the strongest get none), a marker trace at the edge
        midpoints carrying the hover text, and a node trace named "groups" whose marker sizes
        follow the main effects.

    Example
    -------
    >>> fig = interaction_network(result, top=15)  # doctest: +SKIP
    """
    if top is not None and int(top) < 1:
        raise ParameterError(f"top must be >= 1 or None, got {top!r}")
    names = list(result.group_names)
    angles = [math.pi / 2 - 2 * math.pi * g / max(len(names), 1) for g in range(len(names))]
    xy = {name: (math.cos(a), math.sin(a)) for name, a in zip(names, angles, strict=True)}
    edges = sorted(_pair_scores(result, aggregate), key=lambda item: -abs(item[1]))
    strongest = max((abs(v) for _, v in edges if np.isfinite(v)), default=0.0)
    # Pairs at rounding level (an additive model's exact zeros come back as ~1e-9) get no edge.
    edges = [(p, v) for p, v in edges if np.isfinite(v) and abs(v) > _EDGE_FLOOR * strongest]
    if top is not None:
        edges = edges[: int(top)]
    fig = go.Figure()
    middles = []
    for label, value in edges:
        first, second = split_pair(label)
        (x0, y0), (x1, y1) = xy[first], xy[second]
        fig.add_trace(
            go.Scatter(
                x=[x0, x1],
                y=[y0, y1],
                mode="lines",
                name=label,
                line={
                    "width": max(0.5, _MAX_EDGE_WIDTH * abs(value) / strongest),
                    "color": "#d62728" if value < 0 else "#1f77b4",
                },
                opacity=0.75,
                hoverinfo="skip",
                showlegend=False,
            )
        )
        middles.append(((x0 + x1) / 2, (y0 + y1) / 2, f"{label}: {value:.4g}"))
    fig.add_trace(
        go.Scatter(
            x=[m[0] for m in middles],
            y=[m[1] for m in middles],
            mode="markers",
            name="pairs",
            marker={"size": 6, "opacity": 0.0},
            text=[m[2] for m in middles],
            hoverinfo="text",
            showlegend=False,
        )
    )
    sizes = _node_sizes(result, names)
    fig.add_trace(
        go.Scatter(
            x=[xy[n][0] for n in names],
            y=[xy[n][1] for n in names],
            mode="markers+text",
            name="groups",
            text=names,
            textposition="top center",
            marker={"size": sizes, "color": "#ff7f0e", "line": {"width": 1, "color": "white"}},
            hovertext=[f"{n}: main effect {v:.4g}" for n, v in _main_effects(result, names)],
            hoverinfo="text",
            showlegend=False,
        )
    )
    hidden = {"visible": False, "range": [-1.35, 1.35]}
    fig.update_layout(
        title=_title(result, "interaction network", aggregate),
        xaxis=hidden,
        yaxis={**hidden, "scaleanchor": "x"},
        template="plotly_white",
    )
    return fig


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
        One Bar trace (y = pair labels, x = scores). With ``aggregate="mean"`` and a sampled
        result, error bars of ±1.96 standard errors.

    Example
    -------
    >>> fig = top_pairs_bar(result, top=10)  # doctest: +SKIP
    """
    if int(top) < 1:
        raise ParameterError(f"top must be >= 1, got {top!r}")
    scores = sorted(_pair_scores(result, aggregate), key=lambda item: -abs(item[1]))[: int(top)]
    scores = scores[::-1]  # plotly draws the first category at the bottom
    error_x = None
    if aggregate == "mean" and result.standard_errors is not None:
        errors = dict(
            zip(
                result.standard_errors["pair"],
                result.standard_errors["standard_error"],
                strict=True,
            )
        )
        error_x = {"type": "data", "array": [1.96 * errors.get(p, np.nan) for p, _ in scores]}
    fig = go.Figure(
        go.Bar(
            x=[v for _, v in scores],
            y=[p for p, _ in scores],
            orientation="h",
            name=result.model_name,
            error_x=error_x,
            marker={"color": ["#d62728" if v < 0 else "#1f77b4" for _, v in scores]},
            hovertemplate="%{y}: %{x:.4g}<extra></extra>",
        )
    )
    fig.update_layout(
        title=_title(result, f"top {len(scores)} pairs", aggregate),
        xaxis={"title": _AGGREGATE_WORDS[aggregate]},
        template="plotly_white",
        height=max(320, 28 * len(scores) + 140),
    )
    return fig


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


def _node_sizes(result: InteractionResult, names: list[str]) -> list[float]:
    values = np.array([abs(v) for _, v in _main_effects(result, names)], dtype=float)
    small, large = _NODE_SIZES
    if not np.isfinite(values).any() or np.nanmax(values) <= 0:
        return [small] * len(names)
    scaled = np.nan_to_num(values / np.nanmax(values), nan=0.0)
    return list(small + (large - small) * np.sqrt(scaled))  # area ∝ main effect


def _title(result: InteractionResult, what: str, aggregate: str) -> str:
    index = _INDEX_TITLES.get(result.index, result.index)
    return f"{result.model_name}: {index} {what} ({_AGGREGATE_WORDS[aggregate]})"
