"""OptFS's selection per field: the share of each field's values the ticket keeps."""

from __future__ import annotations

import plotly.graph_objects as go

from analyzers.figures.reading import with_reading
from analyzers.optfs_selection import OptFSSelectionResult

__all__ = ["optfs_kept_figure"]

_ROW_PX = 26


def optfs_kept_figure(result: OptFSSelectionResult) -> go.Figure:
    """Per field, the share of its values kept and the share of training rows whose value is
    kept, fields with the least kept on top.

    Parameters
    ----------
    result : OptFSSelectionResult

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fields = result.fields.sort_values("kept_share")
    fig = go.Figure()
    for column, name in (("kept_share", "values kept"), ("kept_row_share", "rows kept")):
        fig.add_trace(
            go.Bar(
                x=fields[column],
                y=fields["field"],
                orientation="h",
                name=name,
                customdata=fields[["n_kept", "n_values"]],
                hovertemplate="%{y}: %{x:.0%} " + name + " (%{customdata[0]} of "
                "%{customdata[1]} values)<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        xaxis={"title": "share kept by the ticket", "range": [0, 1.02], "tickformat": ".0%"},
        yaxis={"categoryorder": "array", "categoryarray": list(fields["field"])[::-1]},
        height=max(260, 120 + _ROW_PX * len(fields)),
        margin={"t": 30},
        legend={"orientation": "h", "y": -0.15},
    )
    return with_reading(
        fig,
        "Each row is a field. 'values kept': the share of the field's values whose learned "
        "gate weight is above 0 after the search, so the retrained ticket still sees them; "
        "'rows kept': the share of training rows whose value in the field is kept. A field "
        "the label ignores should lose most of its values; the metrics table says what the "
        f"selection costs in test AUC and log-loss. Overall {result.kept_share:.0%} of the "
        "values are kept.",
    )
