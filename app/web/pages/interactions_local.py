"""Local views on the Interactions page: one pair across the explained rows (dependence plot),
one row across the pairs (signed bars and the row's values).

The pair and the row are view state kept in the URL, but choosing one redraws only this card:
its callback reads the stored result and writes the URL with ``history.replaceState`` (a
``dcc.Location`` update would re-render the whole page, and every figure with it).
"""

from __future__ import annotations

from collections.abc import Callable

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update

from analyzers.interaction_result import split_pair
from analyzers.interactions.explained_rows import LOCAL_INDEX_WORDS, explained_rows, group_values
from app.web.components import figure_card
from app.web.jobs import field, updated_search

CARD = "inter-local"
FIGURES = "inter-local-figures"
#: dict ids, so the page's other callbacks can read them with ALL when the card has none
PAIR = {"type": "inter-local-pair", "index": 0}
ROW = {"type": "inter-local-row", "index": 0}
SEARCH = "inter-local-search"
URL_WRITTEN = "inter-local-url-written"
TOP_PAIRS = {"type": "graph", "figure": "inter-top-pairs"}

#: writes the card's query into the address bar without telling Dash's Location components
_REPLACE_URL = """
function(search) {
    if (search && search !== window.location.search) {
        window.history.replaceState(window.history.state, "", window.location.pathname + search);
    }
    return search || null;
}
"""


def local_card(result, dataset, pair=None, row=None, export: str | None = None) -> html.Div:
    """The "Local views" card of ``result``: pair and row choices and their figures; for a
    global-only index (H², FIS), a line naming the local indices instead."""
    title = html.H3("Local views: one pair across rows, one row across pairs")
    if not result.is_local:
        message = (
            f"The local views need per-row values, which this index does not give: run a local "
            f"index ({LOCAL_INDEX_WORDS}) to see a dependence plot and a row explorer."
        )
        return html.Div(
            [title, html.P(message, className="wb-muted")], className="wb-card", id=CARD
        )
    pairs = ranked_pairs(result)
    rows = explained_rows(result).tolist()
    pair, row = chosen_pair(result, pair), chosen_row(result, row)
    controls = html.Div(
        [
            field(
                "Pair (or click a bar of Strongest pairs)",
                dcc.Dropdown(pairs, pair, id=PAIR, clearable=False),
            ),
            field(
                "Explained row",
                dcc.Dropdown(
                    [{"label": f"row {r}", "value": r} for r in rows], row, id=ROW, clearable=False
                ),
            ),
        ],
        className="wb-form",
    )
    figures = html.Div(local_figures(result, dataset, pair, row, export), id=FIGURES)
    stores = [dcc.Store(id=SEARCH), dcc.Store(id=URL_WRITTEN)]
    return html.Div([title, controls, figures, *stores], className="wb-card", id=CARD)


def local_figures(result, dataset, pair: str, row: int, export: str | None = None) -> list:
    """The dependence plot of ``pair`` and the bars and values of ``row``."""
    from analyzers.figures.dependence import dependence_plot
    from analyzers.figures.row_explorer import row_interaction_bar

    values = group_values(dataset, explained_rows(result))
    chosen = values.loc[row]
    table = html.Table(
        [html.Tr([html.Th("group"), html.Th("value")])]
        + [html.Tr([html.Td(name), html.Td(_shown(v))]) for name, v in chosen.items()],
        className="wb-row-values",
    )
    return [
        figure_card(
            "inter-dependence", dependence_plot(result, values, pair, row=row), export=export
        ),
        html.Div(
            [
                html.Div(
                    figure_card("inter-row", row_interaction_bar(result, row), export=export),
                    style={"flex": "2 1 24rem", "minWidth": 0},
                ),
                html.Div(
                    [html.H3(f"Values of row {row}"), table],
                    className="wb-card",
                    style={"flex": "1 1 12rem"},
                ),
            ],
            style={"display": "flex", "flexWrap": "wrap", "gap": "1rem", "alignItems": "start"},
        ),
    ]


def ranked_pairs(result) -> list[str]:
    """The result's pairs (not triples), strongest (mean |value|) first."""
    table = result.global_scores("mean_abs").sort_values("value", ascending=False, kind="stable")
    return [p for p in table["pair"] if len(split_pair(p)) == 2]


def chosen_pair(result, pair) -> str:
    """``pair`` when the result scores it, else its strongest pair."""
    pairs = ranked_pairs(result)
    return pair if pair in pairs else pairs[0]


def chosen_row(result, row) -> int:
    """``row`` (a number, or its text from the URL) when it is explained, else the first row."""
    rows = explained_rows(result).tolist()
    try:
        number = int(row)
    except (TypeError, ValueError):
        return rows[0]
    return number if number in rows else rows[0]


def local_query(pairs: list, rows: list) -> dict:
    """The card's choices as URL query values (ALL-state lists: empty when the card has none)."""
    return {"pair": pairs[0] if pairs else None, "row": str(rows[0]) if rows else None}


def register_local_views(
    app: Dash, workspace, read: Callable[[dict], object], reference_id: str, url_id: str
) -> None:
    """Callbacks of the card: redraw it on a pair or row choice, pick the pair from a click on
    the Strongest pairs bar, keep both in the URL."""

    @app.callback(
        Output(FIGURES, "children"),
        Output(SEARCH, "data"),
        Input(PAIR, "value"),
        Input(ROW, "value"),
        State(reference_id, "data"),
        State(url_id, "search"),
        prevent_initial_call=True,
    )
    def redraw(pair, row, reference, search):
        if not reference:
            return no_update, no_update
        result = read(reference)
        if result is None or not result.is_local:
            return no_update, no_update
        pair, row = chosen_pair(result, pair), chosen_row(result, row)
        dataset = workspace.dataset(reference["data"])
        figures = local_figures(result, dataset, pair, row, reference.get("export"))
        return figures, updated_search(search, local_query([pair], [row]))

    app.clientside_callback(
        _REPLACE_URL, Output(URL_WRITTEN, "data"), Input(SEARCH, "data"), prevent_initial_call=True
    )

    @app.callback(
        Output({"type": PAIR["type"], "index": ALL}, "value"),
        Input(TOP_PAIRS, "clickData"),
        prevent_initial_call=True,
    )
    def pair_from_bar(click):
        if not click or not click.get("points") or not ctx.outputs_list:
            return [no_update] * len(ctx.outputs_list)
        label = click["points"][0].get("y")
        return [label if len(split_pair(str(label))) == 2 else no_update] * len(ctx.outputs_list)


def _shown(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
