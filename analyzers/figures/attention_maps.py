"""Attention maps as small multiples: one heat map per layer (rows) and head (columns).

The case figure is AutoInt's Fig. 7 (a): the attention of one input row, each axis labelled with
the field and its value on that row; the global figure is Fig. 7 (b), the mean over a sample.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analyzers.attention_maps import AttentionMapsResult
from analyzers.figures.reading import with_reading
from workbench.errors import ParameterError

__all__ = ["attention_map_figure"]

# Cell values are written in the cells up to this many fields (beyond, they crowd the map).
_MAX_TEXT_FIELDS = 10


def attention_map_figure(result: AttentionMapsResult, row: int | None = None) -> go.Figure:
    """Heat maps of each site (layer) and head: the case map of ``row``, or the global map.

    Parameters
    ----------
    result : AttentionMapsResult
    row : int, optional
        A case row of the result; None: the mean map over the result's row sample.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    if row is not None and row not in result.rows:
        raise ParameterError(f"row: {row} is not a case of this result; cases: {result.rows}")
    sites = result.sites
    n_heads = max(len(result.heads(site)) for site in sites)
    titles = [f"{site} · head {h}" for site in sites for h in range(n_heads)]
    fig = make_subplots(
        rows=len(sites),
        cols=n_heads,
        subplot_titles=titles,
        horizontal_spacing=0.12,
        vertical_spacing=0.12,
    )
    labels = _labels(result, row)
    F = len(labels)
    peak = float(result.maps["attention"].max())
    for i, site in enumerate(sites):
        for h in result.heads(site):
            matrix = result.matrix(site, h, row)
            fig.add_trace(
                go.Heatmap(
                    z=matrix,
                    x=labels,
                    y=labels,
                    zmin=0.0,
                    zmax=peak,
                    coloraxis="coloraxis",
                    texttemplate="%{z:.2f}" if F <= _MAX_TEXT_FIELDS else None,
                    hovertemplate="query %{y}<br>key %{x}<br>attention %{z:.3f}<extra></extra>",
                ),
                row=i + 1,
                col=h + 1,
            )
    fig.update_yaxes(autorange="reversed", tickfont={"size": 10})
    fig.update_xaxes(tickangle=-45, tickfont={"size": 10})
    side = 260 + 22 * F
    scope = f"row {row}" if row is not None else f"mean over {result.settings['sample_rows']} rows"
    fig.update_layout(
        title=f"{result.model_name}: attention, {scope}",
        coloraxis={"colorscale": "Blues", "colorbar": {"title": "attention"}},
        height=side * len(sites) + 80,
        width=min(side * n_heads + 200, 1800),
        template="plotly_white",
    )
    return with_reading(fig, _reading(result, row))


def _labels(result: AttentionMapsResult, row: int | None) -> list[str]:
    if row is None:
        return list(result.field_names)
    values = result.case_values(row)
    return [f"{field} = {values[field]}" for field in result.field_names]


def _reading(result: AttentionMapsResult, row: int | None) -> str:
    layouts = set(result.layouts.values())
    if layouts == {"pairs"}:
        cell = (
            "Cell (i, j) is the attention weight of the field pair {i, j} (the map is symmetric, "
            "the diagonal empty); all pairs' weights sum to 1."
        )
    else:
        cell = (
            "Each row is a query field, each column a key field: cell (i, j) is how much field i "
            "attends to field j when the layer mixes the fields; each row sums to 1, so 1/F "
            "everywhere means the head mixes all fields equally."
        )
    scope = (
        f"The axes name each field and its value on row {row}."
        if row is not None
        else f"Each map is the mean of the per-row maps over {result.settings['sample_rows']} rows."
    )
    return (
        f"One map per layer (rows of the grid) and head (columns). {cell} {scope} Attention is "
        "what the layer weighs, not what the prediction depends on: compare it with the "
        "measured interactions (workbench intrinsic) before reading it as one."
    )
