"""Building blocks shared by the pages: figure cards with exports, tables with CSV downloads.

Ids are dicts so one pattern-matching callback serves every card: a graph
``{"type": "graph", "figure": name}`` has buttons ``{"type": "export", "figure": name,
"format": fmt}``; one callback per page serves its tables, ``{"type": "csv", "page": page,
"table": name}``. Exports are built on the server from the figure the browser holds (plain JSON)
with plotly/kaleido, after refusing any figure that would load something (an image, a URL, a
map): kaleido renders it in the server's Chromium. Nothing sent by the browser is unpickled.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update

from analyzers.figures.reading import reading_of
from app.web.guard import check_exportable
from app.web.tables import export_stem, table_card
from workbench.errors import ParameterError, WorkbenchError

__all__ = ["export_stem", "table_card"]  # the table builder lives in app.web.tables

EXPORT_FORMATS = ("png", "svg", "html")
EXPORTING = "Exporting…"
#: width in pixels of an exported PNG/SVG (on the page a figure is as wide as its card)
EXPORT_WIDTH = 900

#: name of a table → function of the page's result reference returning the full frame
TableSource = Callable[[dict], pd.DataFrame]


def figure_card(
    name: str, figure: go.Figure, title: str | None = None, *, export: str | None = None
) -> html.Div:
    """A graph with PNG/SVG/HTML export buttons (the modebar camera also saves a PNG).

    The graph fills its card's width (the figure's own width is dropped; its height is kept).
    ``export`` is the file-name stem (``export_stem``): files are ``<export>_<short name>.<fmt>``
    with the short name ``name`` less its page prefix (``fisc-halo`` → ``…_halo.png``).
    """
    filename = figure_file_name(name, export)
    # In place: builders make a fresh figure per card, and copying a large cloud costs time.
    height = figure.layout.height
    figure.update_layout(width=None, autosize=True)
    # A responsive graph fills its container, whose height is plotly's 450 px unless set: the
    # container takes the builder's height (sized to the rows it draws), or a 21-pair chart
    # squeezed into 450 px shows every other label.
    style = {"width": "100%", **({"height": f"{height}px"} if height else {})}
    buttons = [
        html.Button(fmt.upper(), id={"type": "export", "figure": name, "format": fmt}, n_clicks=0)
        for fmt in EXPORT_FORMATS
    ]
    return html.Div(
        [
            html.H3(title) if title else None,
            dcc.Graph(
                id={"type": "graph", "figure": name},
                figure=figure,
                config={"displaylogo": False, "toImageButtonOptions": {"filename": filename}},
                responsive=True,
                style=style,
            ),
            how_to_read(reading_of(figure)),
            html.Div(
                [
                    html.Span("Export: ", className="wb-muted"),
                    *buttons,
                    # kaleido takes 10-16 s for a PNG/SVG: say so while it works
                    dcc.Loading(
                        html.Span(
                            id={"type": "export-status", "figure": name}, className="wb-error"
                        ),
                        custom_spinner=html.Span(EXPORTING, className="wb-muted"),
                        overlay_style={"visibility": "visible"},
                        display="auto",
                        parent_style={"display": "inline-block", "minWidth": "8em"},
                    ),
                ],
                className="wb-buttons",
            ),
            dcc.Download(id={"type": "download", "figure": name}),
        ],
        className="wb-card",
    )


def figure_file_name(name: str, export: str | None) -> str:
    """``fisc-halo`` with stem ``fisc_compas_compas-mlp`` → ``fisc_compas_compas-mlp_halo``."""
    if not export:
        return name
    return f"{export}_{name.split('-', 1)[-1]}"


def how_to_read(text: str | None) -> html.Details | None:
    """The figure's "How to read this" (units, sign, marks), folded under the graph."""
    if not text:
        return None
    return html.Details(
        [html.Summary("How to read this"), html.P(text)], className="wb-how-to-read", open=True
    )


def one_line(error: BaseException, limit: int = 300) -> str:
    """An exception as one line for the page: a workbench error's own message; anything else
    (a bug, an out-of-memory) with its type, so the user sees what failed."""
    from workbench.errors import WorkbenchError

    text = (str(error).strip().splitlines() or [""])[0]
    if not isinstance(error, WorkbenchError):
        text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def metric(label: str, value: str) -> html.Div:
    return html.Div([html.B(value), html.Span(label, className="wb-muted")], className="wb-metric")


def register_model_choices(
    app: Dash,
    workspace,
    data_id: str,
    model_id: str,
    *,
    kind: str | None = None,
    message_id: str | None = None,
    message: Callable[[str, list[str]], str | None] | None = None,
    models: Callable[[str], list[str]] | None = None,
) -> None:
    """Choosing a data set offers its models (of ``kind``, or ``models(data)`` when given),
    keeping the chosen model when it still applies; ``message(data, names)`` fills
    ``message_id`` (e.g. "no zoo model")."""
    outputs = [Output(model_id, "options"), Output(model_id, "value")]
    if message_id is not None:
        outputs.append(Output(message_id, "children"))

    @app.callback(
        *outputs,
        Input(data_id, "value"),
        State(model_id, "value"),
        prevent_initial_call=True,
    )
    def models_of_data(data, model):
        if not data:
            names = []
        else:
            names = models(data) if models else workspace.model_names(data, kind=kind)
        chosen = model if model in names else (names[0] if names else None)
        if message_id is None:
            return names, chosen
        return names, chosen, message(data, names)


def register_exports(app: Dash) -> None:
    """The one callback that exports any figure card."""

    @app.callback(
        Output({"type": "download", "figure": MATCH}, "data"),
        Output({"type": "export-status", "figure": MATCH}, "children"),
        Input({"type": "export", "figure": MATCH, "format": ALL}, "n_clicks"),
        State({"type": "graph", "figure": MATCH}, "figure"),
        State({"type": "graph", "figure": MATCH}, "config"),
        prevent_initial_call=True,
    )
    def export_figure(clicks, figure, config):
        trigger = ctx.triggered_id
        if not trigger or not any(clicks) or figure is None:
            return no_update, no_update
        options = (config or {}).get("toImageButtonOptions") or {}
        name = options.get("filename")
        name = name if _plain_file_name(name) else trigger["figure"]
        try:
            return figure_download(figure, name, trigger["format"]), ""
        except WorkbenchError as error:
            return no_update, str(error)


def figure_download(figure: dict, name: str, fmt: str) -> dict:
    """``dcc.Download`` data for a figure (as the browser holds it) in ``fmt``; a figure that
    would load anything from outside itself is refused first (:func:`check_exportable`)."""
    if fmt not in EXPORT_FORMATS:
        raise ParameterError(f"export: format must be one of {', '.join(EXPORT_FORMATS)}")
    check_exportable(figure)
    try:
        fig = go.Figure(figure)
    except ValueError as error:
        raise ParameterError(f"export: not a valid plotly figure ({one_line(error)})") from None
    if fmt == "html":
        return dcc.send_string(fig.to_html(include_plotlyjs=True, full_html=True), f"{name}.html")
    # kaleido drives the installed Chromium; the figure's height is kept, and the width the
    # page dropped (the graph fills its card) becomes a fixed one.
    width = fig.layout.width or EXPORT_WIDTH
    return dcc.send_bytes(fig.to_image(format=fmt, width=width), f"{name}.{fmt}")


def register_table_downloads(
    app: Dash, page: str, reference_id: str, sources: dict[str, TableSource]
) -> None:
    """CSV downloads of one page's tables; ``reference_id`` is the dcc.Store naming its result."""

    @app.callback(
        Output({"type": "csv-download", "page": page, "table": MATCH}, "data"),
        Input({"type": "csv", "page": page, "table": MATCH}, "n_clicks"),
        State(reference_id, "data"),
        State({"type": "csv-name", "page": page, "table": MATCH}, "data"),
        prevent_initial_call=True,
    )
    def download_table(clicks, reference, filename):
        trigger = ctx.triggered_id
        if not clicks or not reference or trigger["table"] not in sources:
            return no_update
        frame = sources[trigger["table"]](reference)
        name = filename if _plain_file_name(filename, ".csv") else f"{trigger['table']}.csv"
        return dcc.send_data_frame(frame.to_csv, name, index=False)


def _plain_file_name(name, suffix: str = "") -> bool:
    """A file name the page sent (graph config, ``table_card``'s Store) that is safe to offer:
    no folders, no odd characters, ending in ``suffix``."""
    pattern = r"[A-Za-z0-9_+=-][A-Za-z0-9._+=-]{0,200}" + re.escape(suffix)
    return isinstance(name, str) and re.fullmatch(pattern, name) is not None


def diagnostics_card(diagnostics) -> list:
    """A result's diagnostics ("Read with care"), above the figures they concern; nothing when
    the result has none. Warnings (the result is degenerate) stand out; notes are muted."""
    if not diagnostics:
        return []
    items = [
        html.Li(d.message, className="wb-error" if d.severity == "warning" else "wb-muted")
        for d in diagnostics
    ]
    return [
        html.Div([html.H4("Read with care"), html.Ul(items)], className="wb-card wb-diagnostics")
    ]
