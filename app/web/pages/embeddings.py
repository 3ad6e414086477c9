"""Embeddings: the field embeddings of a CTR-zoo model — per-field geometry, relations between
fields (CKA), shared-table collisions and a PCA/UMAP map — and which of these numbers survive a
re-parametrisation of the embeddings that leaves the model's function unchanged.

The analysis is a background job (PCA: seconds; UMAP compiles numba code on its first fit in the
job's process, about 30 s on two cores) whose report is stored; the page renders from the store.
The form's parameters and the view choices (map colour, geometry weighting and sort, relation
measure) live in the URL query, so a view is a bookmark and a reload shows it from the store. A
view choice re-renders only the figures it changes (``embeddings_view``'s areas).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import dash
import pandas as pd
from dash import Dash, Input, Output, State, dcc, html

from app.analyses import analysis, compute_result, stored_result
from app.model_choices import site_models
from app.parameter_text import url_value
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
)
from app.web.pages.embeddings_choices import register_view_choices
from app.web.pages.embeddings_options import (
    ATTRIBUTION,
    ATTRIBUTION_FIELD,
    ATTRIBUTION_HINT,
    COMPARE_FIELD,
    COMPARE_HINT,
    COMPARE_WITH,
    GATE_SITE,
    GATE_SITE_FIELD,
    GATE_SITE_HINT,
    N_STEPS,
    PRIVATE_ROWS,
    PRIVATE_ROWS_FIELD,
    PRIVATE_ROWS_HINT,
    gate_site_field,
    option_availability,
    optional_fields,
    private_options,
)
from app.web.pages.embeddings_view import (
    PAGE,
    RESULT_REFERENCE,
    invariance_frame,
    result_view,
)
from workbench.errors import ParameterError, WorkbenchError

PATH = "/embeddings"
JOB = JobIds("emb")
DATA = "emb-data"
MODEL = "emb-model"
NO_MODELS = "emb-no-models"
PROJECTION = "emb-projection"
POINTS = "emb-points"
COMPONENTS = "emb-components"
MAX_ROWS = "emb-max-rows"
MAX_POINTS = "emb-max-points"
#: URL query names of the form's parameters (the rest take the analysis defaults)
FORM_PARAMETERS = (
    "projection",
    "projection_points",
    "n_components",
    "max_rows",
    "max_points",
    "gate_site",
    "attribution",
    "private_rows",
    "n_steps",
    "compare_with",
)
#: URL query names of the view choices (re-rendered from the stored report, never recomputed)
VIEW_PARAMETERS = ("color", "weighting", "sort", "relation")
PROJECTION_LABELS = {
    "pca": "PCA (seconds)",
    "umap": "UMAP (slow: the first fit in a job compiles, ~30 s on 2 cores)",
}
POINTS_LABELS = {
    "table": "table rows: one point per level that occurs",
    "rows": "data rows: each row's field vectors side by side",
}
STAGE_LABELS = {
    "embeddings": "geometry, relations, map",
    "pca": "PCA fit",
    "loading UMAP": "loading UMAP (the first load in a job compiles numba code, ~30 s)",
}


def register(app: Dash, workspace) -> None:
    dash.register_page(
        PAGE,
        path=PATH,
        name="Embeddings",
        order=5,
        title="Embedding geometry",
        layout=lambda **query: layout(current_workspace(), **query),
    )
    register_model_choices(
        app,
        workspace,
        DATA,
        MODEL,
        models=lambda data: site_models(workspace, data, PAGE),
        message_id=NO_MODELS,
        message=lambda data, names: no_models_message(workspace, data, names),
    )
    _register_option_availability(app, workspace)
    form_states = [
        State(DATA, "value"),
        State(MODEL, "value"),
        State(PROJECTION, "value"),
        State(POINTS, "value"),
        State(COMPONENTS, "value"),
        State(MAX_ROWS, "value"),
        State(MAX_POINTS, "value"),
        State(GATE_SITE, "value"),
        State(ATTRIBUTION, "value"),
        State(PRIVATE_ROWS, "value"),
        State(N_STEPS, "value"),
        State(COMPARE_WITH, "value"),
        State(JOB.url, "search"),
    ]
    register_job(app, JOB, form_states, _embed)
    register_view_choices(app, workspace, JOB.view_url)
    _register_downloads(app, workspace)


def _register_option_availability(app: Dash, workspace) -> None:
    """Options that cannot apply to the chosen model and map are switched off, with the reason
    as hover text; the gate-colour choices follow the model."""

    @app.callback(
        Output(GATE_SITE, "options"),
        Output(GATE_SITE, "value"),
        Output(GATE_SITE, "disabled"),
        Output(GATE_SITE_FIELD, "title"),
        Output(ATTRIBUTION, "disabled"),
        Output(ATTRIBUTION_FIELD, "title"),
        Output(PRIVATE_ROWS, "options"),
        Output(PRIVATE_ROWS_FIELD, "title"),
        Output(COMPARE_WITH, "options"),
        Output(COMPARE_WITH, "disabled"),
        Output(COMPARE_FIELD, "title"),
        Input(MODEL, "value"),
        Input(POINTS, "value"),
        State(GATE_SITE, "value"),
        prevent_initial_call=True,
    )
    def options_of_model(model, points, site):
        available = option_availability(workspace, model, points)
        # the gate sites follow the model; a site the new model lacks falls back to auto
        sites = available["gate_sites"]
        return (
            sites,
            site if site in sites else "auto",
            bool(available["gate_site"]),
            available["gate_site"] or GATE_SITE_HINT,
            bool(available["attribution"]),
            available["attribution"] or ATTRIBUTION_HINT,
            private_options(available["private_rows"]),
            available["private_rows"] or PRIVATE_ROWS_HINT,
            ["none", *available["compare_candidates"]],
            bool(available["compare_with"]),
            available["compare_with"] or COMPARE_HINT,
        )


def _embed(
    progress,
    workspace,
    data,
    model,
    projection,
    points,
    components,
    rows,
    max_points,
    site,
    attribution,
    private_rows,
    n_steps,
    compare_with,
    url,
):
    """The background job: the stored report of the form's settings, else computed and stored."""
    if not model:
        raise ParameterError(f"model: data set {data!r} has no model with field embeddings")
    given = {
        "projection": projection,
        "projection_points": points,
        "n_components": components,
        "max_rows": rows,
        "max_points": max_points,
        "gate_site": site,
        "attribution": attribution,
        "private_rows": private_rows,
        "n_steps": n_steps,
        "compare_with": compare_with,
    }
    parameters = analysis(PAGE).parameters(given, from_form=True)

    def labelled(stage: str, done: int, total: int) -> None:
        progress(STAGE_LABELS.get(stage, stage), done, total)

    report = compute_result(workspace, PAGE, model, parameters, progress=labelled)
    view = dict(parse_qsl((url or "").lstrip("?")))
    view = {name: view[name] for name in VIEW_PARAMETERS if name in view}
    done = f"Done in {report.seconds:.1f} s; stored, so this view reloads from the store."
    return (
        view_search(data, model, parameters, view),
        result_view(report, data, model, parameters, view),
        done,
    )


def _register_downloads(app: Dash, workspace) -> None:
    """CSV downloads of the stored report's tables."""

    def read(reference: dict):
        return stored_result(workspace, PAGE, reference["model"], reference["parameters"])

    def collisions(reference: dict) -> pd.DataFrame:
        found = read(reference).collisions
        return pd.DataFrame() if found is None else found.fields

    register_table_downloads(
        app,
        PAGE,
        RESULT_REFERENCE,
        {
            "geometry": lambda ref: read(ref).geometry.geometry,
            "spectrum": lambda ref: read(ref).geometry.spectrum,
            "relations": lambda ref: read(ref).relations.pairs,
            "projection": lambda ref: read(ref).projection.coordinates,
            "invariance": lambda ref: invariance_frame(read(ref).measure_invariance()),
            "collisions": collisions,
            "private_rows": lambda ref: read(ref).private_rows.variants,
            "comparison": lambda ref: read(ref).comparison.same_field_cka(),
        },
    )


def no_models_message(workspace, data: str | None, models: list[str]) -> str | None:
    if models:
        return None
    others = [d for d in workspace.data_names if site_models(workspace, d, PAGE)]
    hint = f"; try {', '.join(others)}" if others else ""
    return (
        f"Data set {data!r} has no CTR-zoo model (nor a torch model of yours registered with "
        f"--embedding-site), so no field embeddings to analyse{hint}."
    )


def layout(workspace, data=None, model=None, **query) -> html.Div:
    data_names = workspace.data_names
    with_models = [d for d in data_names if site_models(workspace, d, PAGE)]
    default_data = with_models[0] if with_models else (data_names[0] if data_names else None)
    data = data if data in data_names else default_data
    models = site_models(workspace, data, PAGE)
    model = model if model in models else (models[0] if models else None)
    given = {name: query[name] for name in FORM_PARAMETERS if name in query}
    view = {name: query[name] for name in VIEW_PARAMETERS if name in query}
    problem = None
    try:
        parameters = analysis(PAGE).parameters(given)
    except WorkbenchError as error:
        problem, parameters = str(error), analysis(PAGE).parameters({})
    report, unreadable = read_result(workspace, PAGE, model, parameters)
    problem = problem or unreadable
    if report is not None:
        results = result_view(report, data, model, parameters, view)
    elif model:
        results = html.P(
            "No stored result for these settings yet: press Run.", className="wb-muted"
        )
    else:
        results = None
    return html.Div(
        [
            html.H2("Embedding geometry of one model"),
            _form(workspace, data_names, data, models, model, parameters),
            html.Div(html.Span(problem, className="wb-error") if problem else None, id=JOB.status),
            results_area(JOB, results),
        ]
    )


def _form(workspace, data_names, data, models, model, parameters) -> html.Div:
    available = option_availability(workspace, model, parameters["projection_points"])
    return html.Div(
        [
            html.Div(
                [
                    field("Data set", dcc.Dropdown(data_names, data, id=DATA, clearable=False)),
                    field(
                        "Model (CTR zoo or registered)",
                        dcc.Dropdown(models, model, id=MODEL, clearable=False),
                    ),
                    *_map_fields(parameters),
                    gate_site_field(parameters["gate_site"], available),
                ],
                className="wb-form",
            ),
            html.Div(optional_fields(parameters, available), className="wb-form"),
            html.P(
                "PCA is the default and takes seconds. UMAP runs as this page's background job "
                "with progress: its first fit in a job compiles numba code (about 30 s on 2 "
                "cores) before it maps anything. Relations use a seeded sample of the held-out "
                "rows.",
                className="wb-muted",
            ),
            html.Div(
                no_models_message(workspace, data, models), id=NO_MODELS, className="wb-error"
            ),
            *job_panel(JOB),
        ],
        className="wb-card",
    )


def _map_fields(parameters: dict) -> list[html.Div]:
    """The projection's fields: method, points, dimensions and the two sample sizes."""

    def options(labels: dict) -> list[dict]:
        return [{"label": label, "value": value} for value, label in labels.items()]

    return [
        field(
            "Projection",
            dcc.Dropdown(
                options(PROJECTION_LABELS),
                parameters["projection"],
                id=PROJECTION,
                clearable=False,
                style={"minWidth": "26rem"},
            ),
        ),
        field(
            "Map points",
            dcc.Dropdown(
                options(POINTS_LABELS),
                parameters["projection_points"],
                id=POINTS,
                clearable=False,
                style={"minWidth": "22rem"},
            ),
        ),
        field(
            "Map dimensions",
            dcc.Dropdown([2, 3], parameters["n_components"], id=COMPONENTS, clearable=False),
        ),
        number_field("Data rows sampled", PAGE, "max_rows", MAX_ROWS, parameters["max_rows"]),
        number_field(
            "Map points at most", PAGE, "max_points", MAX_POINTS, parameters["max_points"]
        ),
    ]


def view_search(data: str, model: str, parameters: dict, view: dict) -> str:
    query = {"data": data, "model": model}
    query.update({name: url_value(parameters[name]) for name in FORM_PARAMETERS})
    query.update({name: view[name] for name in VIEW_PARAMETERS if view.get(name)})
    return "?" + urlencode(query)
