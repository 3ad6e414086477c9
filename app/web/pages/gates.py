"""Gates and masks: what the gates of a CTR model (of the zoo, or the user's own torch model
registered with its sites by module path) do, with ablation, attributions and
field interactions of the same model on one page.

The job runs ``analyzers.gates.analyze_gates`` on a seeded sample of the model's held-out rows
(the "gates" analysis of ``app.analyses``) and stores the report. The view state (data
set, model, parameters, gate site, ablation mode, attribution method) lives in the URL query;
picking a site re-renders the per-site figures from the store.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlencode

import dash
from dash import Dash, Input, Output, State, dcc, html, no_update

from app.analyses import analysis, compute_result, stored_result
from app.model_choices import site_models
from app.web.components import register_model_choices, register_table_downloads
from app.web.context import current_workspace
from app.web.jobs import (
    JobIds,
    field,
    job_panel,
    number_field,
    read_result,
    register_job,
    results_area,
    updated_search,
)
from app.web.pages import gates_attention, gates_intrinsic, gates_optfs, gates_switches
from app.web.pages.gates_view import (
    METHOD,
    MODE,
    PAGE,
    RESULT_REFERENCE,
    SITE,
    SITE_VIEW,
    TABLES,
    result_view,
    site_view,
)
from workbench.errors import ParameterError, WorkbenchError

PATH = "/gates"
JOB = JobIds("gates")
DATA = "gates-data"
MODEL = "gates-model"
NO_MODELS = "gates-no-models"
ROWS = "gates-rows"
BOOTSTRAP = "gates-bootstrap"
ATTRIBUTION_ROWS = "gates-attribution-rows"
INTERACTIONS = "gates-interactions"
PERMUTATIONS = "gates-permutations"
#: URL query names of the form's parameters (random_state keeps its default)
FORM_PARAMETERS = (
    "rows",
    "n_bootstrap",
    "attribution_rows",
    "compute_interactions",
    "n_permutations",
)


def register(app: Dash, workspace) -> None:
    dash.register_page(
        PAGE,
        path=PATH,
        name="Gates",
        order=4,
        title="Gates and masks",
        layout=lambda **query: layout(current_workspace(), **query),
    )

    register_model_choices(
        app,
        workspace,
        DATA,
        MODEL,
        models=lambda data: site_models(workspace, data, "gates"),
        message_id=NO_MODELS,
        message=no_models_message,
    )
    states = [State(DATA, "value"), State(MODEL, "value"), State(ROWS, "value")]
    states += [State(BOOTSTRAP, "value"), State(ATTRIBUTION_ROWS, "value")]
    states += [State(INTERACTIONS, "value"), State(PERMUTATIONS, "value")]
    # the URL now (view_url follows every change of it): the cards' options are kept
    register_job(app, JOB, [*states, State(JOB.view_url, "search")], _analyze)
    _register_view_choices(app, workspace)
    _register_downloads(app, workspace)
    gates_attention.register(app, workspace, MODEL)
    # A model's own interaction claims tested by intervention, beside its attention maps.
    # Their jobs add their options to the page's URL query, which JOB.url holds current.
    gates_intrinsic.register(app, workspace, DATA, MODEL, JOB.url)
    gates_switches.register(app, workspace, DATA, MODEL, JOB.url)
    gates_optfs.register(app, workspace, DATA, MODEL, JOB.url)


def _analyze(
    progress,
    workspace,
    data,
    model,
    rows,
    n_bootstrap,
    attribution_rows,
    interactions,
    perms,
    search=None,
):
    """The background job: the stored report of the form's settings, else computed and stored."""
    if not model:
        raise ParameterError(no_models_message(data, []) or "model: choose a zoo model")
    parameters = {
        "rows": rows,
        "n_bootstrap": n_bootstrap,
        "attribution_rows": attribution_rows,
        "compute_interactions": interactions,
        "n_permutations": perms,
    }
    parameters = analysis("gates").parameters(parameters, from_form=True)
    started = time.monotonic()
    report = compute_result(workspace, "gates", model, parameters, progress=progress)
    view = result_view(report, data, model, parameters, None, None, None)
    seconds = time.monotonic() - started
    done = f"Done in {seconds:.1f} s; stored, so this view reloads from the store."
    return view_search(data, model, parameters, search), view, done


def _register_view_choices(app: Dash, workspace) -> None:
    """Site, ablation mode and attribution method re-render the site's cards (and the mode
    choices, which depend on the site); the URL records them without re-rendering the page."""

    @app.callback(
        Output(JOB.view_url, "search", allow_duplicate=True),
        Output(SITE_VIEW, "children"),
        Output(MODE, "options"),
        Output(MODE, "value"),
        Input(SITE, "value"),
        Input(MODE, "value"),
        Input(METHOD, "value"),
        State(JOB.view_url, "search"),
        State(RESULT_REFERENCE, "data"),
        prevent_initial_call=True,
    )
    def select_view(site, mode, method, search, reference):
        report = reference and stored_result(
            workspace, "gates", reference["model"], reference["parameters"]
        )
        if not report:
            return no_update, no_update, no_update, no_update
        cards, modes, mode = site_view(
            report, reference["data"], reference["model"], site, mode, method
        )
        updated = updated_search(search, {"site": site, "mode": mode, "method": method})
        return updated, cards, modes, mode


def _register_downloads(app: Dash, workspace) -> None:
    """CSV downloads of the stored report's tables."""

    def read(reference: dict):
        return stored_result(workspace, "gates", reference["model"], reference["parameters"])

    register_table_downloads(
        app,
        PAGE,
        RESULT_REFERENCE,
        {name: _table_source(read, name) for name in TABLES},
    )


def _table_source(read, name: str):
    return lambda reference: TABLES[name](read(reference))


def no_models_message(data: str | None, models: list[str]) -> str | None:
    if models:
        return None
    return (
        f"Data set {data!r} has no zoo model and no torch model of yours registered with its "
        "sites: gates need a CTR model of workbench.zoo (the demo's adult-finalmlp and "
        "adult-gdcn on adult) or `workbench add-model --factory ... --site ...`."
    )


def layout(workspace, data=None, model=None, site=None, mode=None, method=None, **query):
    data_names = workspace.data_names
    with_gates = [name for name in data_names if site_models(workspace, name, "gates")]
    fallback = with_gates[0] if with_gates else (data_names[0] if data_names else None)
    data = data if data in data_names else fallback
    models = site_models(workspace, data, "gates")
    model = model if model in models else (models[0] if models else None)
    given = {name: query[name] for name in FORM_PARAMETERS if name in query}
    problem = None
    try:
        parameters = analysis("gates").parameters(given)
    except WorkbenchError as error:
        problem, parameters = str(error), analysis("gates").parameters({})
    report, unreadable = read_result(workspace, "gates", model, parameters)
    problem = problem or unreadable
    if report is not None:
        view = result_view(report, data, model, parameters, site, mode, method)
    elif model:
        view = html.P("No stored result for these settings yet: press Run.", className="wb-muted")
    else:
        view = None
    return html.Div(
        [
            html.H2("Gates and masks of a CTR model"),
            _form(data_names, data, models, model, parameters),
            html.Div(html.Span(problem, className="wb-error") if problem else None, id=JOB.status),
            results_area(JOB, view),
            gates_attention.attention_card(),
            gates_intrinsic.intrinsic_card(workspace, data, model, query),
            gates_switches.switch_card(workspace, data, model, query),
            gates_optfs.optfs_card(workspace, data, model, query),
        ]
    )


def _form(data_names, data, models, model, parameters) -> html.Div:
    interactions = [
        {"label": "yes (permutation FIS per field pair)", "value": "on"},
        {"label": "no", "value": "off"},
    ]
    return html.Div(
        [
            html.Div(
                [
                    field("Data set", dcc.Dropdown(data_names, data, id=DATA, clearable=False)),
                    field(
                        "Model (CTR zoo or your own)",
                        dcc.Dropdown(models, model, id=MODEL, clearable=False),
                    ),
                    number_field("Rows (seeded sample)", "gates", "rows", ROWS, parameters["rows"]),
                    number_field(
                        "Bootstrap draws",
                        "gates",
                        "n_bootstrap",
                        BOOTSTRAP,
                        parameters["n_bootstrap"],
                    ),
                    number_field(
                        "Attribution rows (captum)",
                        "gates",
                        "attribution_rows",
                        ATTRIBUTION_ROWS,
                        parameters["attribution_rows"],
                    ),
                    field(
                        "Field interactions",
                        dcc.Dropdown(
                            interactions,
                            parameters["compute_interactions"],
                            id=INTERACTIONS,
                            clearable=False,
                        ),
                    ),
                    number_field(
                        "Permutations per field",
                        "gates",
                        "n_permutations",
                        PERMUTATIONS,
                        parameters["n_permutations"],
                    ),
                ],
                className="wb-form",
            ),
            html.P(no_models_message(data, models), id=NO_MODELS, className="wb-muted"),
            *job_panel(JOB),
        ],
        className="wb-card",
    )


#: URL query names of the cards' own options start with their job prefix ("intr_index")
CARD_PREFIXES = tuple(
    f"{card.JOB.prefix}_" for card in (gates_intrinsic, gates_switches, gates_optfs)
)


def view_search(data: str, model: str, parameters: dict, search: str | None = None) -> str:
    """The URL query of a finished job: data set, model and every form parameter, and the
    cards' options of the current query ``search`` (a new site starts at the first)."""
    query = {"data": data, "model": model}
    query.update({name: parameters[name] for name in FORM_PARAMETERS})
    kept = parse_qsl((search or "").lstrip("?"))
    query.update({name: value for name, value in kept if name.startswith(CARD_PREFIXES)})
    return "?" + urlencode(query)
