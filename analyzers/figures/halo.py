"""2-D halo plot: the 36 joint models of one pair around the Rashomon boundary (fisc.md 3.1)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from analyzers.figures._halo_points import (
    EXPECTED_RED,
    axis_title,
    check_epsilon,
    halo_coordinates,
    halo_hover_text,
    halo_reading,
    marker_symbols,
    outside_legend_entry,
    ring_colour,
)
from analyzers.figures._select import interaction_rows, rows_at_radius
from analyzers.figures.reading import with_reading
from analyzers.rashomon_result import RashomonResult

_CIRCLE_POINTS = 361


def halo_plot(
    result: RashomonResult, pair: str | Sequence[str], radius: float | None = None
) -> go.Figure:
    """Halo of one pair: each joint model at its loss increase, in the direction of its split.

    A pair that does not interact in the loss lies on the dashed expected ring (radius r for the
    ring at r·ε); an interacting pair bulges outside the ring in some sign quadrants (those models
    leave the Rashomon set) and is pinched inside in others.

    Parameters
    ----------
    result : RashomonResult
        The exploration whose ``fis_cloud`` holds the pair's joint models.
    pair : str or sequence of str
        The two groups, in any order, or the label ``"a × b"``. The axes follow the order of the
        stored label (x = its first group).
    radius : float, optional
        Draw only the ring at ``radius``·ε; None draws every ring in the result.

    Returns
    -------
    plotly.graph_objects.Figure
        Axes in units of ε with equal aspect; per ring a dashed red expected circle and a blue
        closed polygon of the joint models (lighter for inner rings). The points carry
        ``customdata`` = model_id.

    Example
    -------
    >>> fig = halo_plot(result, ("age", "prior"))  # doctest: +SKIP
    """
    check_epsilon(result.epsilon)
    label, rows = interaction_rows(result, pair, order=2, argument="pair")
    rows, radii = rows_at_radius(rows, radius)
    groups = (str(rows["group_1"].iloc[0]), str(rows["group_2"].iloc[0]))
    points = halo_coordinates(rows, order=2, epsilon=result.epsilon)
    # (models, 2)
    hover = np.array(halo_hover_text(rows, label, groups, result.epsilon), dtype=object)
    ring_radii = rows["radius"].to_numpy(dtype=float)
    symbols = np.array(marker_symbols(rows), dtype=object)

    fig = go.Figure()
    angles = np.linspace(0.0, 2.0 * np.pi, _CIRCLE_POINTS)
    for position, ring in enumerate(radii):
        on_ring = np.flatnonzero(np.isclose(ring_radii, ring))
        # Sorting by polar angle turns the scattered models into the outline of the halo.
        along = on_ring[
            np.argsort(np.arctan2(points[on_ring, 1], points[on_ring, 0]), kind="stable")
        ]
        closed = np.append(along, along[:1])
        colour = ring_colour(position, len(radii))
        fig.add_trace(
            go.Scatter(
                x=points[closed, 0],
                y=points[closed, 1],
                mode="lines+markers",
                line={"color": colour, "width": 2},
                marker={"color": colour, "size": 7, "symbol": symbols[closed]},
                name=f"joint models ({ring:g} ε)",
                legendgroup=f"ring {ring:g}",
                text=hover[closed],
                hovertemplate="%{text}<extra></extra>",
                customdata=rows["model_id"].to_numpy()[closed],
                meta={"role": "empirical", "radius": ring},
            )
        )
        # Drawn after the models so the dashed ring stays visible where they lie on it.
        fig.add_trace(
            go.Scatter(
                x=ring * np.cos(angles),
                y=ring * np.sin(angles),
                mode="lines",
                line={"color": EXPECTED_RED, "dash": "dash", "width": 1.5},
                name=f"expected ({ring:g} ε)",
                legendgroup=f"ring {ring:g}",
                hoverinfo="skip",
                meta={"role": "expected", "radius": ring},
            )
        )

    if not rows["in_set"].all():
        fig.add_trace(outside_legend_entry())
    extent = 1.1 * max(float(np.abs(points).max(initial=0.0)), max(radii))
    axis = {"range": [-extent, extent], "zeroline": True, "zerolinecolor": "#999"}
    fig.update_layout(
        title=f"Halo of {label} (ε = {result.epsilon:.4g})",
        xaxis={**axis, "title": axis_title(groups[0]), "constrain": "domain"},
        yaxis={**axis, "title": axis_title(groups[1]), "scaleanchor": "x", "scaleratio": 1},
        template="plotly_white",
        # Centred under the plot, which is centred too (square axes narrower than the figure).
        legend={"orientation": "h", "y": -0.15, "x": 0.5, "xanchor": "center"},
        width=640,
        height=680,
    )
    return with_reading(fig, halo_reading(result, groups, "circle"))
