"""Building blocks shared by the pages: figure cards with exports, tables with CSV downloads.

Ids are dicts so one pattern-matching callback serves every card: a graph
``{"type": "graph", "figure": name}`` has buttons ``{"type": "export", "figure": name,
"format": fmt}``; one callback per page serves its tables, ``{"type": "csv", "page": page,
"table": name}``. Exports are built on the server from the figure the browser holds (plain JSON)
with plotly/kaleido, after refusing any figure that would load something (an image, a URL, a
map): kaleido renders it in the server's Chromium. Nothing sent by the browser is unpickled.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
from dash import ALL, MATCH, Dash, Input, Output, State, ctx, dcc, html, no_update

from analyzers.figures.reading import reading_of
from app.web.guard import check_exportable
from workbench.errors import ParameterError, WorkbenchError

EXPORT_FORMATS = ("png", "svg", "html")
TABLE_PREVIEW_ROWS = 15

#: name of a table → function of the page's result reference returning the full frame
TableSource = Callable[[dict], pd.DataFrame]


def figure_card(name: str, figure: go.Figure, title: str | None = None) -> html.Div:
    """A graph with PNG/SVG/HTML export buttons (the modebar camera also saves a PNG)."""
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
                config={"displaylogo": False, "toImageButtonOptions": {"filename": name}},
            ),
            how_to_read(reading_of(figure)),
            html.Div(
                [
                    html.Span("Export: ", className="wb-muted"),
                    *buttons,
                    html.Span(id={"type": "export-status", "figure": name}, className="wb-error"),
                ],
                className="wb-buttons",
            ),
            dcc.Download(id={"type": "download", "figure": name}),
        ],
        className="wb-card",
    )


def how_to_read(text: str | None) -> html.Details | None:
    """The figure's "How to read this" (units, sign, marks), folded under the graph."""
    if not text:
        return None
    return html.Details(
        [html.Summary("How to read this"), html.P(text)], className="wb-how-to-read", open=True
    )


def table_card(
    page: str, name: str, frame: pd.DataFrame, title: str, note: str | None = None
) -> html.Div:
    """The first rows of ``frame`` and a button that downloads all of it as CSV."""
    return html.Div(
        [
            html.H3(title),
            frame_table(frame.head(TABLE_PREVIEW_ROWS)),
            html.Div(
                [
                    html.Span(
                        note or f"{len(frame):,} rows; the first {TABLE_PREVIEW_ROWS} shown",
                        className="wb-muted",
                    ),
                    html.Button(
                        "Download CSV", id={"type": "csv", "page": page, "table": name}, n_clicks=0
                    ),
                ],
                className="wb-buttons",
            ),
            dcc.Download(id={"type": "csv-download", "page": page, "table": name}),
        ],
        className="wb-card",
    )


def frame_table(frame: pd.DataFrame) -> html.Table:
    """A plain HTML table of a small frame (numbers to 4 significant digits)."""
    header = html.Tr([html.Th(str(c)) for c in frame.columns])
    body = [
        html.Tr([html.Td(_cell(v)) for v in row])
        for row in frame.itertuples(index=False, name=None)
    ]
    return html.Table([html.Thead(header), html.Tbody(body)], className="wb-table")


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


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:.4g}"
    return str(value)


def register_model_choices(
    app: Dash,
    workspace,
    data_id: str,
    model_id: str,
    *,
    kind: str | None = None,
    message_id: str | None = None,
    message: Callable[[str, list[str]], str | None] | None = None,
) -> None:
    """Choosing a data set offers its models (of ``kind``, when given), keeping the chosen model
    when it still applies; ``message(data, names)`` fills ``message_id`` (e.g. "no zoo model")."""
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
        names = workspace.model_names(data, kind=kind) if data else []
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
        prevent_initial_call=True,
    )
    def export_figure(clicks, figure):
        trigger = ctx.triggered_id
        if not trigger or not any(clicks) or figure is None:
            return no_update, no_update
        try:
            return figure_download(figure, trigger["figure"], trigger["format"]), ""
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
    # kaleido drives the installed Chromium; the figure's own size is kept.
    return dcc.send_bytes(fig.to_image(format=fmt), f"{name}.{fmt}")


def register_table_downloads(
    app: Dash, page: str, reference_id: str, sources: dict[str, TableSource]
) -> None:
    """CSV downloads of one page's tables; ``reference_id`` is the dcc.Store naming its result."""

    @app.callback(
        Output({"type": "csv-download", "page": page, "table": MATCH}, "data"),
        Input({"type": "csv", "page": page, "table": MATCH}, "n_clicks"),
        State(reference_id, "data"),
        prevent_initial_call=True,
    )
    def download_table(clicks, reference):
        trigger = ctx.triggered_id
        if not clicks or not reference or trigger["table"] not in sources:
            return no_update
        frame = sources[trigger["table"]](reference)
        return dcc.send_data_frame(frame.to_csv, f"{trigger['table']}.csv", index=False)


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
