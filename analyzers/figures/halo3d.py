"""3-D halo plot: the 288 joint models of one triple around the expected sphere (fisc.md 3.2)."""

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
    ring_colour,
)
from analyzers.figures._select import interaction_rows, rows_at_radius
from analyzers.figures.reading import with_reading
from analyzers.rashomon_result import RashomonResult

_SPHERE_STEPS = 40


def halo_plot_3d(
    result: RashomonResult, triple: str | Sequence[str], radius: float | None = None
) -> go.Figure:
    """Halo of one triple: each joint model at its loss increase along its three-way split.

    Parameters
    ----------
    result : RashomonResult
        The exploration whose ``fis_cloud`` holds the triple's joint models.
    triple : str or sequence of str
        The three groups, in any order, or the label ``"a × b × c"``. Axes follow the stored label.
    radius : float, optional
        Draw only the models at ``radius``·ε; None draws every radius in the result.

    Returns
    -------
    plotly.graph_objects.Figure
        A 3-D scatter in units of ε (equal scale on all axes, ``customdata`` = model_id) and, per
        radius r, a translucent red sphere of radius r: where models of a non-interacting
        triple are expected.

    Example
    -------
    >>> fig = halo_plot_3d(result, ("age", "prior", "income"))  # doctest: +SKIP
    """
    check_epsilon(result.epsilon)
    label, rows = interaction_rows(result, triple, order=3, argument="triple")
    rows, radii = rows_at_radius(rows, radius)
    groups = tuple(str(rows[f"group_{k}"].iloc[0]) for k in (1, 2, 3))
    points = halo_coordinates(rows, order=3, epsilon=result.epsilon)
    # (models, 3)
    hover = np.array(halo_hover_text(rows, label, groups, result.epsilon), dtype=object)
    model_radii = rows["radius"].to_numpy(dtype=float)
    symbols = np.array(marker_symbols(rows), dtype=object)

    polar, azimuth = np.meshgrid(
        np.linspace(0.0, np.pi, _SPHERE_STEPS), np.linspace(0.0, 2.0 * np.pi, 2 * _SPHERE_STEPS)
    )
    # (2 * steps, steps) each
    fig = go.Figure()
    for position, ring in enumerate(radii):
        fig.add_trace(
            go.Surface(
                x=ring * np.sin(polar) * np.cos(azimuth),
                y=ring * np.sin(polar) * np.sin(azimuth),
                z=ring * np.cos(polar),
                colorscale=[[0.0, EXPECTED_RED], [1.0, EXPECTED_RED]],
                showscale=False,
                opacity=0.15,
                hoverinfo="skip",
                name=f"expected ({ring:g} ε)",
                showlegend=True,
                meta={"role": "expected", "radius": ring},
            )
        )
        on_ring = np.flatnonzero(np.isclose(model_radii, ring))
        fig.add_trace(
            go.Scatter3d(
                x=points[on_ring, 0],
                y=points[on_ring, 1],
                z=points[on_ring, 2],
                mode="markers",
                marker={
                    "color": ring_colour(position, len(radii)),
                    "size": 3.5,
                    "symbol": symbols[on_ring],
                },
                name=f"joint models ({ring:g} ε)",
                text=hover[on_ring],
                hovertemplate="%{text}<extra></extra>",
                customdata=rows["model_id"].to_numpy()[on_ring],
                meta={"role": "empirical", "radius": ring},
            )
        )

    extent = 1.1 * max(float(np.abs(points).max(initial=0.0)), max(radii))
    axes = {
        f"{name}axis": {"title": axis_title(group), "range": [-extent, extent]}
        for name, group in zip(("x", "y", "z"), groups, strict=True)
    }
    fig.update_layout(
        title=f"Halo of {label} (ε = {result.epsilon:.4g})",
        scene={**axes, "aspectmode": "cube"},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.05},
        width=760,
        height=720,
    )
    return with_reading(fig, halo_reading(result, groups, "sphere"))
