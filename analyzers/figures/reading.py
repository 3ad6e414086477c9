""" "How to read this": the text a figure carries about its units, sign and marks.

A figure builder states it once with :func:`with_reading`; the app shows it under the graph
(``app.web.components.figure_card``) and the HTML export writes it under the plot
(``analyzers.figures.export``), so the browser, the CLI's report and a saved file say the same.
It lives in the figure's ``layout.meta``, which plotly keeps through JSON and Dash.
"""

from __future__ import annotations

import plotly.graph_objects as go

_KEY = "how_to_read"


def with_reading(figure: go.Figure, text: str) -> go.Figure:
    """``figure`` carrying ``text`` (sentences: units, sign convention, what each mark is)."""
    meta = figure.layout.meta if isinstance(figure.layout.meta, dict) else {}
    figure.update_layout(meta={**meta, _KEY: " ".join(text.split())})
    return figure


def reading_of(figure: go.Figure | dict) -> str | None:
    """The figure's "how to read this" text, or None (also for a figure given as a dict)."""
    layout = figure.get("layout", {}) if isinstance(figure, dict) else figure.layout
    meta = layout.get("meta") if isinstance(layout, dict) else layout.meta
    return meta.get(_KEY) if isinstance(meta, dict) else None
