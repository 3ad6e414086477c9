"""Model sets: a Rashomon set of retrained or dropout models, an interaction index over every
member, and what all good models agree on, run as a background job.

The settings are named as ``workbench rashomon-set`` names them (builder, epsilon_rate,
members, n_bootstrap, index, top_k, rows). The view state lives in the URL query, so a view is a
bookmark, and the page renders from the workspace store: a finished job's result shows at once
on a reload or in another tab. A job stores its result only when complete.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
from dash import Dash, Input, Output, State, dcc, html

from app.analyses import analysis, compute_result, stored_result
from app.applicability import model_set_builder_reason
from app.model_set_analysis import BUILDERS, cost_text
from app.parameter_text import url_value
from app.web.components import register_model_choices, register_table_downloads
from app.web.context import current_workspace
from app.web.jobs import (
    NO_RESULT,
    JobIds,
    field,
    job_panel,
    number_field,
    register_job,
    results_area,
    select,
)
from app.web.pages.model_sets_view import PAGE, RESULT_REFERENCE, result_view
from workbench.errors import ParameterError, WorkbenchError

PATH = "/model-sets"
DATA = "mset-data"
MODEL = "mset-model"
BUILDER = "mset-builder"
BUILDER_NOTE = "mset-builder-note"
EPSILON_RATE = "mset-epsilon-rate"
MEMBERS = "mset-members"
BOOTSTRAP = "mset-n-bootstrap"
INDEX = "mset-index"
TOP_K = "mset-top-k"
ROWS = "mset-rows"
MAX_COALITIONS = "mset-max-coalitions"
COST = "mset-cost"
JOB = JobIds("mset")
#: URL query names of the form's parameters, in the form's order (the rest take the defaults)
FORM_PARAMETERS = (
    "builder",
    "epsilon_rate",
    "members",
    "n_bootstrap",
    "index",
    "top_k",
    "rows",
    "max_coalitions",
)
INDEX_LABELS = {
    "sii": "SII (Shapley interactions)",
    "stii": "Shapley-Taylor (STII)",
    "ksii": "k-SII",
    "h2": "Friedman H²",
    "fis": "permutation FIS",
    "tree": "tree SHAP (retrained trees)",
}


def register(app: Dash, workspace) -> None:
    dash.register_page(
        PAGE,
        path=PATH,
        name="Model sets",
        order=1.5,
        title="Model sets",
        layout=lambda **query: layout(current_workspace(), **query),
    )
    register_model_choices(app, workspace, DATA, MODEL)

    def explore(progress, workspace, data, model, *values):
        given = dict(zip(FORM_PARAMETERS, values, strict=True))
        parameters = analysis("model_set").parameters(given, from_form=True)
        reason = model and model_set_builder_reason(workspace, model, parameters["builder"])
        if reason:
            raise ParameterError(f"builder: {reason}")
        result = compute_result(workspace, "model_set", model, parameters, progress=progress)
        view = result_view(result, model, parameters, data=data)
        done = f"Done in {result.seconds:.1f} s; stored, so this view reloads from the store."
        return view_search(data, model, parameters), view, done

    form = [BUILDER, EPSILON_RATE, MEMBERS, BOOTSTRAP, INDEX, TOP_K, ROWS, MAX_COALITIONS]
    states = [State(DATA, "value"), State(MODEL, "value")]
    register_job(app, JOB, [*states, *(State(i, "value") for i in form)], explore)

    @app.callback(
        Output(COST, "children"),
        Input(MODEL, "value"),
        *(Input(i, "value") for i in form),
        prevent_initial_call=True,
    )
    def cost_of_settings(model, *values):
        return settings_cost(workspace, model, dict(zip(FORM_PARAMETERS, values, strict=True)))

    @app.callback(
        Output(BUILDER, "options"),
        Output(BUILDER_NOTE, "children"),
        Input(MODEL, "value"),
        prevent_initial_call=True,
    )
    def builders_of_model(model):
        # The chosen builder stays (a choice is never silently replaced); Run says why not.
        options, notes = builder_options(workspace, model)
        return options, notes

    def table_source(name: str):
        def read(reference: dict):
            result = stored_result(
                workspace, "model_set", reference["model"], reference["parameters"]
            )
            return {"ranges": result.ranges, "members": result.members}[name]

        return read

    register_table_downloads(
        app, PAGE, RESULT_REFERENCE, {name: table_source(name) for name in ("ranges", "members")}
    )


def settings_cost(workspace, model: str | None, given: dict) -> str:
    """The cost line of the chosen settings (``cost_text``), or why there is none yet."""
    if not model:
        return ""
    try:
        parameters = analysis("model_set").parameters(given, from_form=True)
        return cost_text(workspace.model(model), parameters)
    except WorkbenchError as error:
        return f"Cost: unknown until the settings are valid ({error})"


def builder_options(workspace, model: str | None) -> tuple[list[dict], str]:
    """The builder choices for ``model``: those that do not apply disabled, with their one-line
    reasons as the note under the choice."""
    options, notes = [], []
    for choice in BUILDERS:
        reason = model_set_builder_reason(workspace, model, choice.name) if model else None
        options.append({"label": choice.label, "value": choice.name, "disabled": bool(reason)})
        if reason:
            notes.append(f"{choice.name}: {reason}")
    return options, "; ".join(notes)


def layout(workspace, data=None, model=None, **query) -> html.Div:
    chosen = select(workspace, "model_set", data, model, query, FORM_PARAMETERS)
    if chosen.result is not None:
        view = result_view(chosen.result, chosen.model, chosen.parameters, data=chosen.data)
    else:
        view = html.P(NO_RESULT, className="wb-muted")
    problem = html.Span(chosen.problem, className="wb-error") if chosen.problem else None
    return html.Div(
        [
            html.H2("Model sets: interactions every good model agrees on"),
            _form(workspace, chosen),
            html.Div(problem, id=JOB.status),
            results_area(JOB, view),
        ]
    )


def _form(workspace, chosen) -> html.Div:
    parameters = chosen.parameters
    options, note = builder_options(workspace, chosen.model)
    indices = [
        {"label": INDEX_LABELS[i], "value": i} for i in analysis("model_set").choices["index"]
    ]
    return html.Div(
        [
            html.Div(
                [
                    field(
                        "Data set",
                        dcc.Dropdown(chosen.data_names, chosen.data, id=DATA, clearable=False),
                    ),
                    field(
                        "Model",
                        dcc.Dropdown(chosen.models, chosen.model, id=MODEL, clearable=False),
                    ),
                    field(
                        "Builder",
                        dcc.Dropdown(options, parameters["builder"], id=BUILDER, clearable=False),
                    ),
                    number_field(
                        "ε as a fraction of L*",
                        "model_set",
                        "epsilon_rate",
                        EPSILON_RATE,
                        parameters["epsilon_rate"],
                        step="any",
                    ),
                    number_field(
                        "Members (seeds, or dropout masks)",
                        "model_set",
                        "members",
                        MEMBERS,
                        parameters["members"],
                    ),
                    number_field(
                        "Bootstrap resamples per seed (retrain)",
                        "model_set",
                        "n_bootstrap",
                        BOOTSTRAP,
                        parameters["n_bootstrap"],
                    ),
                    field(
                        "Index",
                        dcc.Dropdown(indices, parameters["index"], id=INDEX, clearable=False),
                    ),
                    number_field("Top k", "model_set", "top_k", TOP_K, parameters["top_k"]),
                    number_field("Explained rows", "model_set", "rows", ROWS, parameters["rows"]),
                    number_field(
                        "Coalitions per row before sampling (SII, STII, k-SII)",
                        "model_set",
                        "max_coalitions",
                        MAX_COALITIONS,
                        parameters["max_coalitions"],
                    ),
                ],
                className="wb-form",
            ),
            html.P(note, id=BUILDER_NOTE, className="wb-muted"),
            html.P(settings_cost(workspace, chosen.model, parameters), id=COST),
            *job_panel(JOB),
        ],
        className="wb-card",
    )


def view_search(data: str, model: str, parameters: dict) -> str:
    query = {"data": data, "model": model}
    query.update({name: url_value(parameters[name]) for name in FORM_PARAMETERS})
    return "?" + urlencode(query)
