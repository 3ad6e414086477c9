"""Maps of embedding rows or data rows: a 2-D or 3-D scatter of a ``Projection``."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from analyzers.embeddings import Projection
from analyzers.figures.embedding_notes import trace_colour, with_invariance_note
from workbench.errors import ParameterError

_MAX_HOVER_COLUMNS = 16


def projection_scatter(
    projection: Projection,
    *,
    color: str | None = "field",
    hover: Sequence[str] | None = None,
) -> go.Figure:
    """2-D or 3-D scatter of a projection, coloured by a label column, with hover labels.

    Parameters
    ----------
    projection : Projection
    color : str or None
        Label column: a text column gives one trace per value (field, level ...), a numeric
        one a colour scale (frequency, norm, gate value, attribution).
    hover : sequence of str, optional
        Label columns shown on hover (those present); default every label column (field,
        level, frequency, norm, gate value ... for a table map; each field's level for a map
        of data rows), at most ``_MAX_HOVER_COLUMNS``.
    """
    frame = projection.coordinates
    labels = [c for c in frame.columns if c not in ("point", *projection.axes)]
    if color is not None and color not in frame:
        raise ParameterError(f"color must be one of the label columns {labels}, got {color!r}")
    hover_columns = (
        labels[:_MAX_HOVER_COLUMNS] if hover is None else [c for c in hover if c in frame]
    )
    three_d = len(projection.axes) == 3
    fig = go.Figure()
    if color is None or not pd.api.types.is_numeric_dtype(frame[color]):
        groups = [("points", frame)] if color is None else list(frame.groupby(color, sort=True))
        for colour, (name, rows) in enumerate(groups):
            fig.add_trace(
                _scatter(
                    rows,
                    projection.axes,
                    hover_columns,
                    str(name),
                    {"color": trace_colour(colour)},
                    three_d,
                )
            )
    else:
        marker = {
            "color": frame[color],
            "colorscale": "Viridis",
            "showscale": True,
            "colorbar": {"title": color},
        }
        fig.add_trace(_scatter(frame, projection.axes, hover_columns, color, marker, three_d))
    title = f"{projection.method.upper()} of {len(frame)} points"
    if len(frame) < projection.settings["n_input_points"]:
        title += f" (sample of {projection.settings['n_input_points']})"
    fig.update_layout(title=title, legend_title=color or "")
    colouring = (
        "one colour per value of " + color
        if color is not None and not pd.api.types.is_numeric_dtype(frame[color])
        else (f"colour: {color} (scale on the right)" if color is not None else "one colour")
    )
    return with_invariance_note(
        fig,
        projection.measure_invariance,
        ("projection",),
        f"Each point is one embedding row (or data row) placed by {projection.method.upper()} "
        f"so that near points are similar; {colouring}. The axes have no units and distances "
        "between far-apart clusters are not to scale; read neighbourhoods, not positions.",
    )


def _scatter(rows, axes, hover_columns, name, marker, three_d) -> go.Scatter | go.Scatter3d:
    hovertemplate = "<br>".join(f"{c}: %{{customdata[{i}]}}" for i, c in enumerate(hover_columns))
    common = {
        "mode": "markers",
        "name": name,
        "marker": {"size": 3 if three_d else 5, **marker},
        "customdata": rows[hover_columns].to_numpy() if hover_columns else None,
        "hovertemplate": (hovertemplate or name) + "<extra></extra>",
    }
    if three_d:
        return go.Scatter3d(x=rows["x"], y=rows["y"], z=rows["z"], **common)
    return go.Scatter(x=rows["x"], y=rows["y"], **common)
