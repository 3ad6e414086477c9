"""Interactions: every pair of groups of one model scored by an index (SII, STII, k-SII, H², FIS,
tree SHAP); click a heatmap cell to open that pair's halo on the Rashomon page.

A stored result shows its heatmap first; the page asks for the rest (network, bar, local views,
tables) once the heatmap is drawn (``app.web.deferred``). Drawn in one go, the heatmap waited on
everything below it: 3.1 s for a reload on a loaded 2-core machine."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import dash
from dash import ALL, Dash, Input, Output, State, html, no_update

from app.analyses import analysis, compute_result, stored_result
from app.applicability import fisc_data_reason, tree_index_reason
from app.reports.interactions import pair_table
from app.web.components import register_model_choices, register_table_downloads
from app.web.context import current_workspace
from app.web.deferred import ask_when_drawn
from app.web.jobs import (
    NO_RESULT,
    register_job,
    results_area,
    select,
    stored_status,
    updated_search,
)
from app.web.pages import interactions_local as local
from app.web.pages.interactions_form import (
    AGGREGATE,
    AGGREGATE_LABELS,
    BACKGROUND,
    CLIP,
    DATA,
    FORM_PARAMETERS,
    INDEX,
    INDEX_FIELD,
    INDEX_LABELS,
    JOB,
    MODEL,
    PAGE,
    ROWS,
    SCALE,
    aggregate_choice,
    form,
    index_options,
)
from app.web.pages.interactions_view import (
    DEFAULT_AGGREGATE,
    DETAILS_AREA,
    DETAILS_ASKED,
    FIGURES,
    HEATMAP,
    MORE_FIGURES,
    RESULT_REFERENCE,
    aggregate_view,
    details_view,
    figure_cards,
    result_view,
    view_search,
)
from app.web.tables import register_lazy_grids
from workbench.errors import ParameterError

__all__ = [  # the page's ids and helpers, used by other pages and the tests
    "AGGREGATE",
    "CLIP",
    "DEFAULT_AGGREGATE",
    "FIGURES",
    "FORM_PARAMETERS",
    "INDEX_LABELS",
    "JOB",
    "RESULT_REFERENCE",
    "figure_cards",
    "index_options",
    "layout",
    "register",
    "result_view",
    "view_search",
]

PATH = "/interactions"


def register(app: Dash, workspace) -> None:
    dash.register_page(
        PAGE,
        path=PATH,
        name="Interactions",
        order=2,
        title="Interactions",
        layout=lambda **query: layout(current_workspace(), **query),
    )

    register_model_choices(app, workspace, DATA, MODEL)
    register_lazy_grids(app, PAGE)

    def score(progress, workspace, data, model, index, rows, background, scale, clip, aggregate):
        parameters = {
            "index": index,
            "rows": rows,
            "background": background,
            "output": None if scale == "auto" else scale,
            "probability_clip": clip,
        }
        parameters = analysis(PAGE).parameters(parameters, from_form=True)
        # Refused before the model loads, not after seconds with shap's own message.
        reason = parameters["index"] == "tree" and tree_index_reason(workspace, model)
        if reason:
            raise ParameterError(f"index: {reason}")
        result = compute_result(workspace, "interactions", model, parameters, progress=progress)
        done = f"Done in {result.seconds:.1f} s; stored, so this view reloads from the store."
        view = result_view(
            result,
            data,
            model,
            parameters,
            aggregate,
            fisc_reason=fisc_data_reason(workspace, data),
            deferred=True,
        )
        return view_search(data, model, parameters, aggregate), view, done

    states = [State(DATA, "value"), State(MODEL, "value"), State(INDEX, "value")]
    game = [State(ROWS, "value"), State(BACKGROUND, "value"), State(SCALE, "value")]
    view = [State(CLIP, "value"), State(AGGREGATE, "value")]
    register_job(app, JOB, [*states, *game, *view], score)

    @app.callback(
        Output(INDEX, "options"),
        Output(INDEX_FIELD, "title"),
        Input(MODEL, "value"),
        prevent_initial_call=True,
    )
    def indices_of_model(model):
        # The chosen index stays (a choice is never silently replaced); Run says why not.
        reason = tree_index_reason(workspace, model) if model else None
        return index_options(reason), reason or ""

    @app.callback(
        Output(JOB.url, "href"),
        Input(HEATMAP, "clickData"),
        State(RESULT_REFERENCE, "data"),
        prevent_initial_call=True,
    )
    def open_halo(click, reference):
        if not click or not click.get("points") or not reference:
            return no_update
        point = click["points"][0]
        groups = reference["groups"]
        first, second = sorted((point["x"], point["y"]), key=groups.index)
        # No link to a Rashomon page that cannot show this data set (coded fields).
        if first == second or fisc_data_reason(workspace, reference["data"]):
            return no_update
        query = {"data": reference["data"], "model": reference["model"]}
        return "/rashomon?" + urlencode({**query, "pair": f"{first} × {second}"})

    def read(reference: dict):
        return stored_result(workspace, "interactions", reference["model"], reference["parameters"])

    @app.callback(
        Output(FIGURES, "children"),
        Output(DETAILS_AREA, "children", allow_duplicate=True),
        Output(RESULT_REFERENCE, "data"),
        Output(JOB.view_url, "search", allow_duplicate=True),
        Input(AGGREGATE, "value"),
        State(RESULT_REFERENCE, "data"),
        State(JOB.url, "search"),
        State({"type": local.PAIR["type"], "index": ALL}, "value"),
        State({"type": local.ROW["type"], "index": ALL}, "value"),
        prevent_initial_call=True,
    )
    def choose_aggregate(aggregate, reference, search, pairs, rows):
        # A view choice: only the figures and the table it ranks are drawn again (a Location
        # update would re-render the whole page); the URL keeps it through the Location that
        # does not navigate (JOB.view_url). The local choices are read from the card: they
        # reach the URL without a Location update, so ``search`` may lack them.
        result = reference and aggregate in AGGREGATE_LABELS and read(reference)
        if not result or aggregate == reference.get("aggregate"):
            return no_update, no_update, no_update, no_update
        query = local.local_query(pairs, rows)
        figures, details, reference = aggregate_view(
            result,
            reference,
            workspace.dataset(reference["data"]),
            aggregate,
            query["pair"],
            query["row"],
        )
        return (
            figures,
            details,
            reference,
            updated_search(search, {"aggregate": aggregate, **query}),
        )

    local.register_local_views(app, workspace, read, RESULT_REFERENCE, JOB.url)
    _register_details(app, workspace, read)

    register_table_downloads(
        app,
        PAGE,
        RESULT_REFERENCE,
        {
            "global": lambda ref: pair_table(read(ref), ref.get("aggregate", DEFAULT_AGGREGATE)),
            "scores": lambda ref: read(ref).scores,
        },
    )


def _register_details(app: Dash, workspace, read) -> None:
    """The network, the bar, the local views and the tables: asked for from the browser once
    the heatmap is drawn, built (once per result and view) from the stored result shown."""
    ask_when_drawn(app, DETAILS_AREA, DETAILS_ASKED, f"#{FIGURES} .main-svg")

    @app.callback(
        Output(MORE_FIGURES, "children"),
        Output(DETAILS_AREA, "children"),
        Input(DETAILS_ASKED, "data"),
        State(RESULT_REFERENCE, "data"),
        prevent_initial_call=True,
    )
    def show_details(asked, reference):
        result = reference and read(reference)
        if not result:
            return [], html.P(NO_RESULT, className="wb-muted")
        more, details = details_view(result, reference, workspace.dataset(reference["data"]))
        return more, details


def layout(
    workspace, data=None, model=None, aggregate=None, pair=None, row=None, **query
) -> html.Div:
    chosen = select(workspace, "interactions", data, model, query, FORM_PARAMETERS)
    aggregate = aggregate if aggregate in AGGREGATE_LABELS else DEFAULT_AGGREGATE
    if chosen.result is not None:
        view = result_view(
            chosen.result,
            chosen.data,
            chosen.model,
            chosen.parameters,
            aggregate,
            pair=pair,
            row=row,
            fisc_reason=fisc_data_reason(workspace, chosen.data),
            deferred=True,
        )
    else:
        view = html.P(NO_RESULT, className="wb-muted")
    tree_reason = tree_index_reason(workspace, chosen.model) if chosen.model else None
    if chosen.parameters["index"] == "tree" and tree_reason and not chosen.problem:
        chosen = replace(chosen, problem=f"index: {tree_reason}")
    problem = html.Span(chosen.problem, className="wb-error") if chosen.problem else None
    if problem is None and chosen.result is not None:
        problem = html.Span(stored_status(chosen.result), className="wb-ok")
    return html.Div(
        [
            html.H2("Feature interactions of one model"),
            html.Div([form(chosen, tree_reason), aggregate_choice(aggregate)]),
            html.Div(problem, id=JOB.status),
            results_area(JOB, view),
        ]
    )
