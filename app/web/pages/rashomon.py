"""Rashomon / FISC: run the exploration as a background job, then halo and swarm plots.

The view state (data set, model, parameters, selected pair) lives in the URL query, so a view is
a bookmark. A view control (the pair, a swarm click, the outside toggle) re-renders only what
depends on it and writes the URL without a navigation (``JOB.view_url``). The page renders
from the workspace store: a finished job's result shows at once on a reload or in another tab.
A job writes its result only when complete, so a cancelled job leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlencode

import dash
from dash import Dash, Input, Output, State, dcc, html, no_update

from app.analyses import analysis, bounds_text, compute_result, stored_result
from app.applicability import fisc_data_reason
from app.parameter_text import MAX_RADII, url_value
from app.web.components import (
    register_model_choices,
    register_table_downloads,
)
from app.web.context import current_workspace
from app.web.deferred import ask_when_drawn
from app.web.jobs import (
    NO_RESULT,
    JobIds,
    field,
    job_panel,
    number_field,
    register_job,
    results_area,
    select,
    stored_status,
    updated_search,
)
from app.web.pages.rashomon_view import (
    DETAILS_AREA,
    DETAILS_ASKED,
    HALO_AREA,
    OUTSIDE,
    PAGE,
    PAIR,
    RESULT_REFERENCE,
    details_view,
    halo_card,
    known_interaction,
    result_view,
)
from app.web.tables import register_lazy_grids

PATH = "/rashomon"
DATA = "fisc-data"
MODEL = "fisc-model"
EPSILON_RATE = "fisc-epsilon-rate"
APPROXIMATOR = "fisc-approximator"
ORDER = "fisc-order"
RADII = "fisc-radii"
ABSOLUTE = "fisc-absolute"
JOB = JobIds("fisc")
STATUS = JOB.status
RESULTS = JOB.results
URL = JOB.url
#: the URL a view control writes without re-rendering the page
VIEW_URL = JOB.view_url
#: URL query names of the form's parameters (the rest take the analysis defaults)
FORM_PARAMETERS = ("epsilon_rate", "approximator", "order", "radii", "absolute")
ORDER_LABELS = {2: "pairs (2)", 3: "triples (3): 3-D halo"}
ABSOLUTE_LABELS = {False: "signed FIS", True: "|FIS| (absolute)"}
#: query names of bookmarks made before the rename, read for one release
RENAMED_QUERY = {"estimator": "approximator", "seed": "random_state"}


def register(app: Dash, workspace) -> None:
    dash.register_page(
        PAGE,
        path=PATH,
        name="Rashomon / FISC",
        order=1,
        title="Rashomon / FISC",
        layout=lambda **query: layout(current_workspace(), **query),
    )

    register_model_choices(app, workspace, DATA, MODEL)

    def explore(progress, workspace, data, model, *values):
        *values, search = values
        given = dict(zip(FORM_PARAMETERS, values, strict=True))
        parameters = analysis("rashomon").parameters(given, from_form=True)
        result = compute_result(workspace, "rashomon", model, parameters, progress=progress)
        # A new run keeps the view the user had: the pair (when the new result has it) and
        # the outside-models toggle; only the parameters change.
        shown = parse_qs((search or "").lstrip("?"))
        pair = known_interaction(result, shown.get("pair", [None])[0])
        outside = shown.get("outside", [None])[0] == "1"
        view = result_view(
            result, pair, model, parameters, include_outside=outside, data=data, deferred=True
        )
        done = f"Done in {result.seconds:.1f} s; stored, so this view reloads from the store."
        return view_search(data, model, parameters, pair=pair, outside=outside), view, done

    # In FORM_PARAMETERS' order: explore() pairs them by position; the view query comes last.
    form = [EPSILON_RATE, APPROXIMATOR, ORDER, RADII, ABSOLUTE]
    states = [State(DATA, "value"), State(MODEL, "value")]
    view_state = State(VIEW_URL, "search")
    register_job(app, JOB, [*states, *(State(i, "value") for i in form), view_state], explore)

    _register_view_choices(app, workspace)

    def table_source(frame_name: str):
        def read(reference: dict):
            result = stored_result(
                workspace, "rashomon", reference["model"], reference["parameters"]
            )
            # The CSV holds what the table shows (in-set ranges unless outside models are on).
            outside = bool(reference.get("include_outside"))
            frames = {
                "summary": lambda: result.summary(include_outside=outside),
                "main_effects": lambda: result.main_effect_summary(include_outside=outside),
                "fis_cloud": lambda: result.fis_cloud,
                "boundaries": lambda: result.boundaries,
            }
            return frames[frame_name]()

        return read

    # The grids sit far below the halo: each is built when scrolled near; CSVs need no grid.
    register_lazy_grids(app, PAGE)
    register_table_downloads(
        app,
        PAGE,
        RESULT_REFERENCE,
        {
            name: table_source(name)
            for name in ("summary", "main_effects", "fis_cloud", "boundaries")
        },
    )


def _register_view_choices(app: Dash, workspace) -> None:
    """The pair and the outside toggle update their part of the results and record the view in
    the URL, without the page re-render a navigation would cost (seconds on a loaded machine)."""

    swarm = {"type": "graph", "figure": "fisc-swarm"}

    # A swarm click chooses the pair, which then draws its halo: the swarm arrives after the
    # halo (rashomon_view.DETAILS_AREA), so the pair's own callback cannot wait on it.
    @app.callback(
        Output(PAIR, "value", allow_duplicate=True),
        Input(swarm, "clickData"),
        State(swarm, "figure"),
        prevent_initial_call=True,
    )
    def click_pair(click, figure):
        return clicked_interaction(click, figure) or no_update

    @app.callback(
        Output(VIEW_URL, "search", allow_duplicate=True),
        Output(HALO_AREA, "children"),
        Output(PAIR, "value"),
        Input(PAIR, "value"),
        State(VIEW_URL, "search"),
        State(RESULT_REFERENCE, "data"),
        prevent_initial_call=True,
    )
    def select_pair(pair, search, reference):
        if not pair or not reference:
            return no_update, no_update, no_update
        result = stored_result(workspace, "rashomon", reference["model"], reference["parameters"])
        pair = known_interaction(result, pair) if result is not None else None
        if pair is None:
            return no_update, no_update, no_update
        card = halo_card(result, pair, reference.get("data"), reference["model"])
        return updated_search(search, {"pair": pair}), [card], pair

    @app.callback(
        Output(VIEW_URL, "search", allow_duplicate=True),
        Output(RESULTS, "children", allow_duplicate=True),
        Input(OUTSIDE, "value"),
        State(VIEW_URL, "search"),
        State(PAIR, "value"),
        State(RESULT_REFERENCE, "data"),
        prevent_initial_call=True,
    )
    def show_outside(value, search, pair, reference):
        # Swarms, ranges and tables all change: the results area re-renders, the form stays.
        result = reference and stored_result(
            workspace, "rashomon", reference["model"], reference["parameters"]
        )
        if not result:
            return no_update, no_update
        search = updated_search(search, {"outside": "1" if value else None}, remove=("outside",))
        view = result_view(
            result,
            pair,
            reference["model"],
            reference["parameters"],
            include_outside=bool(value),
            data=reference.get("data"),
            deferred=True,
        )
        return search, view

    _register_details(app, workspace)


def _register_details(app: Dash, workspace) -> None:
    """The swarms and tables: asked for from the browser once the halo is drawn, built (once
    per result and view) from the stored result the page shows."""
    # The swarms and tables below the fold must not hold up the figure a user looks at first.
    ask_when_drawn(app, DETAILS_AREA, DETAILS_ASKED, f"#{HALO_AREA} .main-svg")

    @app.callback(
        Output(DETAILS_AREA, "children"),
        Input(DETAILS_ASKED, "data"),
        State(RESULT_REFERENCE, "data"),
        prevent_initial_call=True,
    )
    def show_details(asked, reference):
        result = reference and stored_result(
            workspace, "rashomon", reference["model"], reference["parameters"]
        )
        if not result:
            return html.P(NO_RESULT, className="wb-muted")
        return details_view(
            result,
            reference["model"],
            reference["parameters"],
            include_outside=bool(reference.get("include_outside")),
            data=reference.get("data"),
        )


def layout(workspace, data=None, model=None, pair=None, outside=None, **query) -> html.Div:
    query = {RENAMED_QUERY.get(name, name): value for name, value in query.items()}
    # FISC scales inputs, which means nothing for coded fields (the CTR data sets).
    data_names = [name for name in workspace.data_names if not fisc_data_reason(workspace, name)]
    chosen = select(workspace, "rashomon", data, model, query, FORM_PARAMETERS, data_names)
    if data and data not in data_names and data in workspace.data_names:
        # A link to a data set FISC cannot analyse: say so, never switch data sets silently.
        reason = fisc_data_reason(workspace, data)
        shown = f"; showing {chosen.data!r}" if chosen.data else ""
        chosen = replace(
            chosen, problem=f"data set {data!r} is not available here: {reason}{shown}"
        )
    if chosen.result is not None:
        view = result_view(
            chosen.result,
            pair,
            chosen.model,
            chosen.parameters,
            include_outside=outside == "1",
            data=chosen.data,
            deferred=True,
        )
    else:
        view = html.P(NO_RESULT, className="wb-muted")
    return html.Div(
        [
            html.H2("Rashomon set: feature interaction clouds (FISC)"),
            _form(chosen.data_names, chosen.data, chosen.models, chosen.model, chosen.parameters),
            html.Div(_status(chosen.problem, chosen.result), id=STATUS),
            results_area(JOB, view),
        ]
    )


def _status(problem: str | None, result) -> html.Span | None:
    """The status line a rendered page starts with: what is wrong with the query, else where
    the shown result comes from. A job's "Done in …" is gone once its new URL re-renders the
    page; this line takes its place, so the state after Done stays truthful."""
    if problem:
        return html.Span(problem, className="wb-error")
    if result is not None:
        return html.Span(stored_status(result), className="wb-ok")
    return None


def _form(data_names, data, models, model, parameters) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    field("Data set", dcc.Dropdown(data_names, data, id=DATA, clearable=False)),
                    field("Model", dcc.Dropdown(models, model, id=MODEL, clearable=False)),
                    number_field(
                        "ε as a fraction of the reference loss",
                        "rashomon",
                        "epsilon_rate",
                        EPSILON_RATE,
                        parameters["epsilon_rate"],
                        step="any",
                    ),
                    field(
                        "Approximator",
                        dcc.Dropdown(
                            list(analysis("rashomon").choices["approximator"]),
                            parameters["approximator"],
                            id=APPROXIMATOR,
                            clearable=False,
                        ),
                    ),
                    *_shape_fields(parameters),
                ],
                className="wb-form",
            ),
            *job_panel(JOB),
        ],
        className="wb-card",
    )


def _shape_fields(parameters: dict) -> list:
    """Order (pairs, or triples with the 3-D halo), rings and the sign convention."""
    orders = [{"label": ORDER_LABELS[o], "value": o} for o in analysis("rashomon").choices["order"]]
    signs = [{"label": label, "value": url_value(v)} for v, label in ABSOLUTE_LABELS.items()]
    radii = dcc.Input(id=RADII, type="text", value=url_value(parameters["radii"]))
    return [
        field("Order", dcc.Dropdown(orders, parameters["order"], id=ORDER, clearable=False)),
        field(
            f"Rings, radii in units of ε (up to {MAX_RADII}, each "
            f"{bounds_text('rashomon', 'radii')}, comma-separated)",
            radii,
        ),
        field(
            "Score",
            dcc.RadioItems(signs, url_value(parameters["absolute"]), id=ABSOLUTE, inline=True),
        ),
    ]


def view_search(
    data: str, model: str, parameters: dict, pair: str | None, outside: bool = False
) -> str:
    query = {"data": data, "model": model}
    query.update({name: url_value(parameters[name]) for name in FORM_PARAMETERS})
    if pair:
        query["pair"] = pair
    if outside:
        query["outside"] = "1"
    return "?" + urlencode(query)


def clicked_interaction(click: dict | None, swarm: dict | None) -> str | None:
    """The interaction of the swarm row a user clicked (rows sit at integer y)."""
    if not click or not swarm or not click.get("points"):
        return None
    # Row labels live in layout.meta: a flagged row's tick text carries a warning too.
    meta = swarm["layout"].get("meta") or {}
    labels = meta.get("rows") or swarm["layout"]["yaxis"]["ticktext"]
    row = round(float(click["points"][0]["y"]))
    return labels[row] if 0 <= row < len(labels) else None
