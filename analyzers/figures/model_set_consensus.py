"""The consensus of a model set as figures: the Hasse diagram of the order every in-set member
agrees on, and the share of members ranking one pair above another.

Shared with the cloud (``analyzers.figures.model_sets``): an empty set draws nothing but its
message, a collapsed one warns in the title.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analyzers.figures.interaction_reading import INDEX_TITLES
from analyzers.figures.model_sets import (
    MEMBER_BLUE,
    RANGE_GREY,
    ROBUST_ORANGE,
    degenerate_message,
    message_figure,
    shown_pairs,
    titled,
)
from analyzers.figures.reading import with_reading
from analyzers.model_sets.result import ModelSetResult


def consensus_graph_plot(result: ModelSetResult, top: int | None = 30) -> go.Figure:
    """The Hasse diagram of what every in-set member agrees on: pairs as nodes, a line from a
    pair down to a pair every member ranks weaker (|a| > |b| in all of them).

    Parameters
    ----------
    result : ModelSetResult
    top : int or None
        Pairs drawn, strongest mean first (None: every pair); the order among them is the
        full agreed order restricted to them.

    Returns
    -------
    plotly.graph_objects.Figure
        Nodes layered top to bottom (layer 0: pairs no pair dominates), robust top-k nodes in
        orange. ``layout.meta`` holds ``edges`` ([stronger, weaker] of every line drawn) and
        ``layers`` (pair: layer).

    Example
    -------
    >>> fig = consensus_graph_plot(result)  # doctest: +SKIP
    """
    title = f"Consensus graph: the {INDEX_TITLES[result.index]} order every in-set member agrees on"
    message = degenerate_message(result)
    if message is not None:
        return with_reading(message_figure(title, message), message)
    pairs = shown_pairs(result, top)
    edges = shown_hasse_edges(result, pairs)
    layers = hasse_layers(pairs, edges)
    position = _node_positions(pairs, layers)
    figure = go.Figure()
    lines_x, lines_y = [], []
    for stronger, weaker in zip(edges["stronger"], edges["weaker"], strict=True):
        lines_x += [position[stronger][0], position[weaker][0], None]
        lines_y += [position[stronger][1], position[weaker][1], None]
    figure.add_trace(
        go.Scatter(
            x=lines_x,
            y=lines_y,
            mode="lines",
            line={"color": RANGE_GREY, "width": 1.5},
            name="every member ranks the upper pair stronger",
            hoverinfo="skip",
        )
    )
    ranges = result.ranges.set_index("pair")
    robust = set(result.robust_top_k())
    figure.add_trace(
        go.Scatter(
            x=[position[p][0] for p in pairs],
            y=[position[p][1] for p in pairs],
            mode="markers+text",
            text=pairs,
            textposition="top center",
            marker={
                "size": 12,
                "color": [ROBUST_ORANGE if p in robust else MEMBER_BLUE for p in pairs],
            },
            customdata=[
                [ranges.at[p, "mean"], ranges.at[p, "rank_best"], ranges.at[p, "rank_worst"]]
                for p in pairs
            ],
            hovertemplate="%{text}<br>mean strength %{customdata[0]:.4g}"
            "<br>rank %{customdata[1]}–%{customdata[2]}<extra></extra>",
            name="pair (orange: robust top-k)",
        )
    )
    depth = max(layers.values(), default=0)
    figure.update_layout(
        title=titled(title, result),
        template="plotly_white",
        height=max(340, 90 * (depth + 1) + 160),
        xaxis={"visible": False},
        yaxis={"visible": False, "range": [-depth - 0.6, 0.6]},
        showlegend=False,
        meta={"edges": edges.to_numpy().tolist(), "layers": layers},
    )
    if edges.empty:
        figure.add_annotation(
            text="The members agree on no order between these pairs.",
            showarrow=False,
            xref="paper",
            yref="paper",
            x=0.5,
            y=0.02,
        )
    return with_reading(figure, _graph_reading(result, len(pairs)))


def _node_positions(pairs: list[str], layers: dict[str, int]) -> dict[str, tuple[float, float]]:
    """x spread evenly within each layer (strongest mean first), y = −layer."""
    by_layer: dict[int, list[str]] = {}
    for pair in pairs:  # pairs come strongest mean first, so each layer keeps that order
        by_layer.setdefault(layers[pair], []).append(pair)
    position = {}
    for layer, members in by_layer.items():
        for k, pair in enumerate(members):
            position[pair] = ((k + 1) / (len(members) + 1), -float(layer))
    return position


def _graph_reading(result: ModelSetResult, shown: int) -> str:
    return (
        f"A line joins two pairs when every one of the {result.n_in_set} in-set members ranks "
        "the upper pair's strength strictly above the lower one's; lines implied by a chain "
        "are left out (a Hasse diagram), so follow lines downwards to read the agreed order. "
        "Pairs in the top row are dominated by no other pair. Pairs with no line between "
        "them are ordered differently by different good models: their order depends on which "
        f"model you picked. Orange: robust top-{result.top_k} (top {result.top_k} in every "
        f"member). {shown} of {len(result.ranges)} pairs, strongest mean first."
    )


def order_share_heatmap(result: ModelSetResult, top: int | None = 15) -> go.Figure:
    """Share of in-set members ranking the row's pair strictly above the column's.

    Parameters
    ----------
    result : ModelSetResult
    top : int or None
        Pairs shown, strongest mean first.

    Returns
    -------
    plotly.graph_objects.Figure
        One heatmap, z in [0, 1] (diagonal empty).
    """
    title = "Order shares: how many members rank the row's pair above the column's"
    message = degenerate_message(result)
    if message is not None:
        return with_reading(message_figure(title, message), message)
    pairs = shown_pairs(result, top)
    shares = result.order_shares
    chosen = shares[shares["pair_a"].isin(pairs) & shares["pair_b"].isin(pairs)]
    matrix = chosen.pivot(index="pair_a", columns="pair_b", values="share_above")
    matrix = matrix.reindex(index=pairs, columns=pairs)  # diagonal: NaN
    z = matrix.to_numpy(dtype=float)  # (pairs, pairs)
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=pairs,
            y=pairs,
            zmin=0.0,
            zmax=1.0,
            colorscale="Blues",
            colorbar={"title": {"text": "share of members"}},
            hovertemplate="%{y} above %{x}: %{z:.2f} of the members<extra></extra>",
        )
    )
    figure.update_layout(
        title=titled(title, result),
        template="plotly_white",
        yaxis={"autorange": "reversed"},
        height=max(380, 26 * len(pairs) + 220),
    )
    return with_reading(
        figure,
        "Each cell: the share of in-set members whose strength of the row's pair is strictly "
        "above that of the column's pair. 1 (dark): every member agrees the row pair is "
        "stronger (a consensus-graph relation); 0: none does; values in between: the order "
        "depends on the model. Ties count as neither. Pairs strongest mean first.",
    )


def hasse_layers(pairs: list[str], edges: pd.DataFrame) -> dict[str, int]:
    """Layer of each pair in the Hasse diagram: 0 for pairs nothing dominates, else one below
    its lowest dominator (the longest chain of dominators above it)."""
    above = {p: [] for p in pairs}
    for stronger, weaker in zip(edges["stronger"], edges["weaker"], strict=True):
        if stronger in above and weaker in above:
            above[weaker].append(stronger)
    layers: dict[str, int] = {}

    def layer(pair: str) -> int:
        if pair not in layers:
            # A dominance order has no cycles, so the recursion ends (depth ≤ number of pairs).
            layers[pair] = 1 + max((layer(p) for p in above[pair]), default=-1)
        return layers[pair]

    for pair in pairs:
        layer(pair)
    return layers


def shown_hasse_edges(result: ModelSetResult, pairs: list[str]) -> pd.DataFrame:
    """The Hasse edges among ``pairs``: the order every member agrees on restricted to them,
    transitively reduced again (an edge through a pair left out stays, as a direct edge)."""
    names = result.ranges["pair"].tolist()
    position = {p: i for i, p in enumerate(names)}
    dominates = np.zeros((len(names), len(names)), dtype=bool)  # (pairs, pairs)
    for stronger, weaker in zip(result.hasse["stronger"], result.hasse["weaker"], strict=True):
        dominates[position[stronger], position[weaker]] = True
    for middle in range(len(names)):  # transitive closure (Warshall)
        dominates |= dominates[:, [middle]] & dominates[[middle], :]
    kept = [position[p] for p in pairs]
    sub = dominates[np.ix_(kept, kept)]
    through = (sub.astype(np.int64) @ sub.astype(np.int64)) > 0
    a, b = np.nonzero(sub & ~through)
    shown = np.asarray(pairs, dtype=object)
    return pd.DataFrame({"stronger": shown[a], "weaker": shown[b]})
