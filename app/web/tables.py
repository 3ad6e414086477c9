"""Result tables: every table of the app is one Dash AG Grid built here, with a CSV download.

The grid holds every row of the frame (sorted, filtered and paged in the browser), numbers are
shown to ``SIGNIFICANT_DIGITS`` significant digits while sorting uses the full values, and a
column's unit, when known, is in its header. AG Grid's JavaScript and styles are served from the
``dash_ag_grid`` package (Dash's ``serve_locally``), so the grid works offline like the rest of
the app. The CSV download holds the whole frame, every column, unformatted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import dash_ag_grid as dag
import pandas as pd
from dash import MATCH, Dash, Input, Output, State, dcc, html

SIGNIFICANT_DIGITS = 4
#: rows per grid page; a user can pick another size under the grid
PAGE_SIZE = 20
PAGE_SIZES = [10, 20, 50, 100]
#: d3-format of floats: the JSON encoder sends NaN as null, which d3 would print as 0
_FLOAT_FORMATTER = f"params.value == null ? '' : d3.format('.{SIGNIFICANT_DIGITS}~g')(params.value)"
_INTEGER_FORMATTER = "params.value == null ? '' : d3.format(',d')(params.value)"
#: column widths, estimated here from the text a column holds instead of measured in the
#: browser: AG Grid's auto-size lays out every cell to measure it, 0.6 s of Chromium's time on
#: a FISC page under load. Pixels per character of the grid's font (an average, digits included),
#: the cell's padding, and the header's room for its sort and filter icons.
_CHARACTER_PX = 7.5
_CELL_PADDING_PX = 34
_HEADER_ICONS_PX = 56
_WIDTH_LIMITS_PX = (90, 360)
#: characters of a float as shown: sign, 4 digits, point and exponent ("-1.234e-5")
_FLOAT_CHARACTERS = 9

#: units of columns that mean the same in every analyzer's frames (header: "name (unit)")
COLUMN_UNITS = {
    "seconds": "s",
    "loss": "loss",
    "reference_loss": "loss",
    "loss_increase": "Δ loss",
    "loss_increase_low": "Δ loss",
    "loss_increase_high": "Δ loss",
    "epsilon": "Δ loss",
}


def grid_id(page: str, table: str) -> dict:
    """The id of one page's table grid (pattern-matching ids, like the CSV buttons)."""
    return {"type": "grid", "page": page, "table": table}


#: a lazy grid's place, its grid (as component JSON) and the flag assets/lazy_grids.js writes
#: once the place is scrolled near; the ids differ in ``type`` only (the script relies on it)
LAZY_SLOT, LAZY_SPEC, LAZY_SEEN = "lazy-grid", "lazy-grid-spec", "lazy-grid-seen"
#: the line a lazy grid's place shows until the grid is built
LAZY_WAITING = "Table of {rows:,} rows: built when scrolled to"
#: heights (px) of a built grid's parts in Chromium (AG Grid's default theme, measured): its
#: header, a row, the paging bar, a horizontal scroll bar, the borders; the rows' area is at
#: least _GRID_MIN_ROWS_PX high
_GRID_PARTS_PX = {"header": 49, "row": 42, "paging": 42, "scroll": 15, "borders": 2}
_GRID_MIN_ROWS_PX = 150


def export_stem(analysis: str, data: str | None, models) -> str:
    """The start of an exported file's name: analysis, data set and model(s), e.g.
    ``fisc_compas_compas-mlp``; characters a file name should not hold become ``-``."""
    names = [models] if isinstance(models, str) else list(models or [])
    parts = [analysis, data or "", "+".join(names)]
    return "_".join(re.sub(r"[^A-Za-z0-9.+=-]+", "-", part) for part in parts if part)


def column_defs(
    frame: pd.DataFrame,
    units: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[dict]:
    """AG Grid columns of ``frame``: numbers right-aligned with a number filter and formatted
    to ``SIGNIFICANT_DIGITS`` digits, text with a text filter; headers carry known units.
    ``headers`` shows a column under another name (the field, and the CSV, keep the column's)."""
    known = {**COLUMN_UNITS, **(units or {})}
    columns = []
    for name in frame.columns:
        dtype = frame[name].dtype
        shown = (headers or {}).get(name, str(name))
        header = shown + (f" ({known[name]})" if name in known else "")
        column = {"field": str(name), "headerName": header}
        if pd.api.types.is_bool_dtype(dtype):
            column["filter"] = "agTextColumnFilter"
        elif pd.api.types.is_numeric_dtype(dtype):
            formatter = (
                _INTEGER_FORMATTER if pd.api.types.is_integer_dtype(dtype) else _FLOAT_FORMATTER
            )
            column.update(
                type="numericColumn",
                filter="agNumberColumnFilter",
                valueFormatter={"function": formatter},
            )
        else:
            column["filter"] = "agTextColumnFilter"
        column["minWidth"] = column_width(frame[name], header)
        columns.append(column)
    return columns


def column_width(values: pd.Series, header: str) -> int:
    """Pixels a column needs to show ``header`` and its widest value without cutting them (the
    grid's columns start at this width and share the card's spare width)."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        characters = 5
    elif pd.api.types.is_integer_dtype(dtype):
        present = values.dropna()
        largest = int(present.abs().max()) if len(present) else 0
        characters = len(f"{largest:,d}") + 1
    elif pd.api.types.is_numeric_dtype(dtype):
        characters = _FLOAT_CHARACTERS
    else:
        shown = values.dropna().astype(str)
        characters = int(shown.str.len().max()) if len(shown) else 0
    width = max(
        characters * _CHARACTER_PX + _CELL_PADDING_PX,
        len(header) * _CHARACTER_PX + _HEADER_ICONS_PX,
    )
    low, high = _WIDTH_LIMITS_PX
    return int(min(max(width, low), high))


def grid_rows(frame: pd.DataFrame) -> list[dict]:
    """Every row of ``frame`` as JSON-ready records (NaN → null, text columns as text)."""
    plain = frame.copy()
    plain.columns = [str(c) for c in plain.columns]
    for name in plain.columns:
        dtype = plain[name].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            plain[name] = plain[name].map(lambda v: None if _missing(v) else str(v))
    return plain.astype(object).where(plain.notna(), None).to_dict("records")


def results_grid(
    page: str,
    name: str,
    frame: pd.DataFrame,
    units: Mapping[str, str] | None = None,
    cell_styles: Mapping[str, dict] | None = None,
    headers: Mapping[str, str] | None = None,
    virtual_columns: bool = False,
) -> dag.AgGrid:
    """A sortable, filterable, paged grid of every row of ``frame``.

    ``cell_styles`` maps a column to an AG Grid ``cellStyle`` (e.g. colour by value). The grid
    fills its card and scrolls inside it when its columns are wider than the screen.
    ``virtual_columns``: only the columns in view are in the DOM (the rest as the grid is
    scrolled sideways); for a grid far wider than a screen, whose off-screen cells cost the
    page more to lay out than the rest of its grids together.
    """
    columns = column_defs(frame, units, headers)
    for column in columns:
        if cell_styles and column["field"] in cell_styles:
            column["cellStyle"] = cell_styles[column["field"]]
    return dag.AgGrid(
        id=grid_id(page, name),
        rowData=grid_rows(frame),
        columnDefs=columns,
        # Widths from column_defs, never measured in the browser; columns share spare width.
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": PAGE_SIZE,
            "paginationPageSizeSelector": PAGE_SIZES,
            "domLayout": "autoHeight",
            "enableCellTextSelection": True,
            "animateRows": False,
            # Every column in the DOM unless asked otherwise: most tables are narrow enough,
            # and a user's Ctrl+F (and the browser tests) find every cell of the page shown.
            "suppressColumnVirtualisation": not virtual_columns,
        },
        className="wb-grid",
        style={"width": "100%"},
    )


def table_card(
    page: str,
    name: str,
    frame: pd.DataFrame,
    title: str,
    note: str | None = None,
    *,
    units: Mapping[str, str] | None = None,
    export: str | None = None,
    cell_styles: Mapping[str, dict] | None = None,
    headers: Mapping[str, str] | None = None,
    virtual_columns: bool = False,
    lazy: bool = False,
) -> html.Div:
    """A card with the grid of ``frame`` and a button that downloads it as CSV.

    ``export`` is the file-name stem (see ``export_stem``): the CSV is ``<export>_<name>.csv``;
    ``headers`` renames columns on the page only (see ``column_defs``); ``virtual_columns``:
    see ``results_grid``. ``lazy``: the grid is built in the browser only once its card is
    scrolled near (``lazy_grid``; the page must call ``register_lazy_grids``); the CSV comes
    from the server either way.
    """
    filename = f"{export}_{name}.csv" if export else f"{name}.csv"
    grid = results_grid(page, name, frame, units, cell_styles, headers, virtual_columns)
    return html.Div(
        [
            html.H3(title),
            *(lazy_grid(page, name, grid, len(frame)) if lazy else [grid]),
            html.Div(
                [
                    html.Span(
                        note or f"{len(frame):,} rows: sort or filter by a column's header",
                        className="wb-muted",
                    ),
                    html.Button(
                        "Download CSV", id={"type": "csv", "page": page, "table": name}, n_clicks=0
                    ),
                ],
                className="wb-buttons",
            ),
            dcc.Store(id={"type": "csv-name", "page": page, "table": name}, data=filename),
            dcc.Download(id={"type": "csv-download", "page": page, "table": name}),
        ],
        className="wb-card wb-table-card",
    )


def lazy_grid(page: str, name: str, grid: dag.AgGrid, rows: int) -> list:
    """``grid`` held in the page as data, built once its place is scrolled near.

    A FISC page's four grids sit far below the first screen, yet mounting them (and loading
    AG Grid's 870 kB script for the first) cost Chromium a quarter to a third of a reload. Their
    place says how many rows wait there; assets/lazy_grids.js watches it (IntersectionObserver)
    and writes ``LAZY_SEEN``, on which a clientside callback puts the grid in. Held in a Store,
    the grid needs no second trip to the server when it is scrolled to."""
    ids = {kind: {"type": kind, "page": page, "table": name} for kind in (LAZY_SLOT, LAZY_SPEC)}
    waiting = html.P(LAZY_WAITING.format(rows=rows), className="wb-muted wb-lazy-waiting")
    # The place is as tall as the grid will be: built as a user scrolls (or reaches for the
    # CSV button under it), a grid must not push what is below it away from the pointer.
    height = {"minHeight": f"{grid_height(rows)}px"}
    return [
        html.Div(waiting, id=ids[LAZY_SLOT], className="wb-lazy-grid", style=height),
        dcc.Store(id=ids[LAZY_SPEC], data=grid.to_plotly_json()),
        dcc.Store(id={"type": LAZY_SEEN, "page": page, "table": name}),
    ]


def grid_height(rows: int) -> int:
    """Pixels a built grid of ``rows`` rows takes on its first page (``PAGE_SIZE`` rows at
    most), a horizontal scroll bar included: the most it takes at the default page size."""
    parts = _GRID_PARTS_PX
    shown = max(_GRID_MIN_ROWS_PX, min(rows, PAGE_SIZE) * parts["row"])
    return parts["header"] + shown + parts["paging"] + parts["scroll"] + parts["borders"]


def register_lazy_grids(app: Dash, page: str) -> None:
    """Build ``page``'s lazy grids (``table_card(lazy=True)``) in the browser when asked."""
    app.clientside_callback(
        """
        function (seen, grid) {
            return seen && grid ? grid : window.dash_clientside.no_update;
        }
        """,
        Output({"type": LAZY_SLOT, "page": page, "table": MATCH}, "children"),
        Input({"type": LAZY_SEEN, "page": page, "table": MATCH}, "data"),
        State({"type": LAZY_SPEC, "page": page, "table": MATCH}, "data"),
        prevent_initial_call=True,
    )


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
