"""Figures of a model set (``ModelSetResult``): the per-pair cloud, the consensus graph and the
order-share heatmap.

A degenerate set (no model but the best within ε, or in-set members that are one model) says so
on the figure: an empty set draws no points at all, a collapsed one carries the warning in its
title, so a range of 0 is never read as agreement between different models.
"""

from __future__ import annotations

import plotly.graph_objects as go

from analyzers.figures.beeswarm import beeswarm_offsets
from analyzers.figures.interaction_reading import INDEX_TITLES, score_unit, unit_sentence
from analyzers.figures.reading import with_reading
from analyzers.model_sets.result import ModelSetResult

MEMBER_BLUE = "#1E88E5"
ROBUST_ORANGE = "#ff9800"
RANGE_GREY = "#9e9e9e"
#: diagnostics that make a set's picture meaningless (empty) or trivially agreed (collapsed)
EMPTY_CODE = "empty_model_set"
COLLAPSED_CODE = "collapsed_model_set"
_ROW_HALF_WIDTH = 0.35


def degenerate_message(result: ModelSetResult) -> str | None:
    """Why the set's figures cannot show a range (no second model within ε), else None."""
    for diagnostic in result.diagnostics:
        if diagnostic.code == EMPTY_CODE:
            return (
                f"No Rashomon set at this ε: {result.n_in_set} of {len(result.model_names)} "
                "member(s) within ε of L*, so there is no range to draw. Raise ε or build "
                "more members."
            )
    return None


def collapsed_warning(result: ModelSetResult) -> str | None:
    """A title line when the in-set members are one model (every range 0 by construction)."""
    if any(d.code == COLLAPSED_CODE for d in result.diagnostics):
        return (
            f"⚠ the {result.n_in_set} in-set members are one model: ranges are 0 and the "
            "order is agreed by construction"
        )
    return None


def message_figure(title: str, message: str) -> go.Figure:
    figure = go.Figure()
    figure.add_annotation(
        text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font_size=14
    )
    figure.update_layout(
        title=title,
        template="plotly_white",
        height=260,
        xaxis={"visible": False},
        yaxis={"visible": False},
        meta={"degenerate": True},
    )
    return figure


def titled(text: str, result: ModelSetResult) -> str:
    warning = collapsed_warning(result)
    return f"{text}<br><sup>{warning}</sup>" if warning else text


def shown_pairs(result: ModelSetResult, top: int | None) -> list[str]:
    """Pairs by mean strength, strongest first (the range table's order), at most ``top``."""
    pairs = result.ranges["pair"].tolist()
    return pairs if top is None else pairs[:top]


def model_set_cloud_plot(result: ModelSetResult, top: int | None = 20) -> go.Figure:
    """Strength of each pair in every in-set member: one row per pair, one dot per member.

    Parameters
    ----------
    result : ModelSetResult
    top : int or None
        Rows drawn, strongest mean first (None: every pair).

    Returns
    -------
    plotly.graph_objects.Figure
        Rows ordered by mean strength (strongest on top), a grey bar from each pair's min to max
        over the members, robust top-k pairs in orange with a ★ in their label. ``layout.meta``
        holds ``rows`` (the pair of each row, top first).

    Example
    -------
    >>> fig = model_set_cloud_plot(result, top=10)  # doctest: +SKIP
    """
    title = f"{INDEX_TITLES[result.index]} over the set: one dot per in-set member"
    message = degenerate_message(result)
    if message is not None:
        return with_reading(message_figure(title, message), message)
    pairs = shown_pairs(result, top)
    ranges = result.ranges.set_index("pair")
    robust = set(result.robust_top_k())
    figure = go.Figure()
    bars_x, bars_y = [], []
    for row, pair in enumerate(pairs):
        y = len(pairs) - 1 - row  # strongest on top
        bars_x += [ranges.at[pair, "min"], ranges.at[pair, "max"], None]
        bars_y += [y, y, None]
    figure.add_trace(
        go.Scatter(
            x=bars_x,
            y=bars_y,
            mode="lines",
            line={"color": RANGE_GREY, "width": 6},
            opacity=0.45,
            name="range over the members (min to max)",
            hoverinfo="skip",
        )
    )
    for is_robust in (False, True):
        xs, ys, hover = _member_points(result, pairs, robust, is_robust)
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                marker={"color": ROBUST_ORANGE if is_robust else MEMBER_BLUE, "size": 7},
                name=f"robust top-{result.top_k} pair (top {result.top_k} in every member)"
                if is_robust
                else "a member's strength",
                text=hover,
                hovertemplate="%{text}<extra></extra>",
            )
        )
    unit = score_unit(result.index, result.settings)
    labels = [f"★ {p}" if p in robust else p for p in pairs]
    figure.update_layout(
        title=titled(title, result),
        template="plotly_white",
        height=max(320, 28 * len(pairs) + 160),
        xaxis={"title": f"strength |{result.index.upper()}| ({unit})", "rangemode": "tozero"},
        yaxis={
            "tickvals": list(range(len(pairs)))[::-1],
            "ticktext": labels,
            "range": [-0.7, len(pairs) - 0.3],
        },
        legend={"orientation": "h", "y": -0.15},
        meta={"rows": pairs},
    )
    return with_reading(figure, _cloud_reading(result, len(pairs)))


def _member_points(result, pairs, robust, is_robust):
    """x, y and hover of the member dots of the robust (or other) rows, spread vertically."""
    xs, ys, hover = [], [], []
    clouds = result.clouds
    for row, pair in enumerate(pairs):
        if (pair in robust) != is_robust:
            continue
        chosen = clouds[clouds["pair"] == pair]
        values = chosen["strength"].to_numpy(dtype=float)
        offsets = beeswarm_offsets(values, _ROW_HALF_WIDTH)
        y = len(pairs) - 1 - row
        xs += values.tolist()
        ys += (y + offsets).tolist()
        hover += [
            f"{pair}<br>member {m}<br>strength {s:.4g} (signed mean {v:.4g})"
            for m, s, v in zip(chosen["member"], values, chosen["value"], strict=True)
        ]
    return xs, ys, hover


def _cloud_reading(result: ModelSetResult, shown: int) -> str:
    what = {"retrained": "a model retrained", "dropout": "the model under one dropout mask"}
    member = what.get(result.builder, "one model of the set")
    return (
        f"Each dot is {member} whose loss is within ε = {result.epsilon:.4g} of the best "
        f"(L* = {result.reference_loss:.4g}); x is the pair's strength in that member (mean "
        f"|value| over the explained rows for local indices). "
        f"{unit_sentence(result.index, result.settings)} The grey bar spans the smallest to "
        f"the largest strength over the {result.n_in_set} in-set members: a long bar means the "
        "answer depends on which good model you picked. Rows are ordered by mean strength, "
        f"strongest on top ({shown} of {len(result.ranges)} pairs); ★ and orange dots mark the "
        f"robust top-{result.top_k}: pairs in the top {result.top_k} of every member."
    )
