"""Embeddings: the field embeddings of a CTR-zoo model — per-field geometry, relations between
fields (CKA), shared-table collisions and a PCA/UMAP map — and which of these numbers survive a
re-parametrisation of the embeddings that leaves the model's function unchanged.

The analysis is a background job (PCA: seconds; UMAP compiles numba code on its first fit in the
job's process, about 30 s on two cores) whose report is stored; the page renders from the store.
The form's parameters and the view choices (map colour, geometry weighting and sort, relation
measure) live in the URL query, so a view is a bookmark and a reload shows it from the store.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import dash
import pandas as pd
from dash import Dash, Input, Output, State, dcc, html, no_update

from app.components import figure_card, metric, register_table_downloads, table_card
from app.jobs import JobIds, field, job_panel, register_job
from workbench.analyses import analysis, compute_result, stored_result
from workbench.errors import ParameterError, WorkbenchError

PATH = "/embeddings"
PAGE = "embeddings"
JOB = JobIds("emb")
DATA = "emb-data"
MODEL = "emb-model"
NO_MODELS = "emb-no-models"
PROJECTION = "emb-projection"
POINTS = "emb-points"
COMPONENTS = "emb-components"
MAX_ROWS = "emb-max-rows"
MAX_POINTS = "emb-max-points"
GATE_SITE = "emb-gate-site"
COLOR = "emb-color"
WEIGHTING = "emb-weighting"
RELATION = "emb-relation"
SORT = "emb-sort"
RESULT_REFERENCE = "emb-result-reference"
#: URL query names of the form's parameters (the rest take the analysis defaults)
FORM_PARAMETERS = ("projection", "points", "components", "max_rows", "max_points", "gate_site")
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
RELATION_MEASURES = ("linear_cka", "subspace_overlap", "fm_strength", "centroid_cosine")
SORT_COLUMNS = (
    "effective_rank",
    "participation_ratio",
    "stable_rank",
    "information_abundance",
    "dim_95",
    "mean_norm",
    "mean_pairwise_cosine",
    "mean_vector_ratio",
)
#: measure of the invariance note → where the page shows it
SHOWN_IN = {
    "row_norms": "geometry table (norms), norm by frequency",
    "spectrum": "geometry table (ranks, dims), spectrum",
    "anisotropy": "geometry table (cosine, mean-vector ratio)",
    "linear_cka": "relations heatmap",
    "subspace_overlap": "relations heatmap",
    "fm_strength": "relations heatmap",
    "centroid_cosine": "relations heatmap",
    "collisions": "collision chart",
    "private_rows_delta_loss": "(not run on this page)",
    "projection": "map",
}
INVARIANCE_COLOURS = {"invariant": "#116329", "orthogonal-only": "#9a6700", "descriptive": "#666"}
STAGE_LABELS = {
    "embeddings": "geometry, relations, map",
    "pca": "PCA fit",
    "umap": "UMAP fit (the first in a job compiles numba code, ~30 s)",
}


def register(app: Dash, workspace) -> None:
    dash.register_page(
        PAGE,
        path=PATH,
        name="Embeddings",
        order=4,
        title="Embedding geometry",
        layout=lambda **query: layout(workspace, **query),
    )

    @app.callback(
        Output(MODEL, "options"),
        Output(MODEL, "value"),
        Output(NO_MODELS, "children"),
        Input(DATA, "value"),
        State(MODEL, "value"),
        prevent_initial_call=True,
    )
    def models_of_data(data, model):
        names = zoo_models(workspace, data)
        chosen = model if model in names else (names[0] if names else None)
        return names, chosen, no_models_message(workspace, data, names)

    @app.callback(
        Output(GATE_SITE, "options"),
        Output(GATE_SITE, "value"),
        Input(MODEL, "value"),
        State(GATE_SITE, "value"),
        prevent_initial_call=True,
    )
    def gate_sites_of_model(model, site):
        options = gate_site_options(workspace, model)
        return options, site if site in options else "auto"

    def embed(progress, data, model, projection, points, components, rows, max_points, site, url):
        if not model:
            raise ParameterError(f"model: data set {data!r} has no CTR-zoo model to analyse")
        given = {
            "projection": projection,
            "points": points,
            "components": components,
            "max_rows": rows,
            "max_points": max_points,
            "gate_site": site,
        }
        parameters = analysis(PAGE).parameters(given)

        def labelled(stage: str, done: int, total: int) -> None:
            progress(STAGE_LABELS.get(stage, stage), done, total)

        report = compute_result(workspace, PAGE, model, parameters, progress=labelled)
        view = dict(parse_qsl((url or "").lstrip("?")))
        view = {name: view[name] for name in VIEW_PARAMETERS if name in view}
        seconds = report.settings["seconds"]
        done = f"Done in {seconds:.1f} s; stored, so this view reloads from the store."
        return (
            view_search(data, model, parameters, view),
            result_view(report, data, model, parameters, view),
            done,
        )

    form_states = [
        State(DATA, "value"),
        State(MODEL, "value"),
        State(PROJECTION, "value"),
        State(POINTS, "value"),
        State(COMPONENTS, "value"),
        State(MAX_ROWS, "value"),
        State(MAX_POINTS, "value"),
        State(GATE_SITE, "value"),
        State(JOB.url, "search"),
    ]
    register_job(app, JOB, form_states, embed)

    @app.callback(
        Output(JOB.url, "search", allow_duplicate=True),
        Input(COLOR, "value"),
        Input(WEIGHTING, "value"),
        Input(SORT, "value"),
        Input(RELATION, "value"),
        State(JOB.url, "search"),
        prevent_initial_call=True,
    )
    def choose_view(color, weighting, sort, relation, search):
        query = dict(parse_qsl((search or "").lstrip("?")))
        chosen = {"color": color, "weighting": weighting, "sort": sort, "relation": relation}
        query.update({name: value for name, value in chosen.items() if value})
        updated = "?" + urlencode(query)
        return no_update if updated == (search or "") else updated

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
        },
    )


def zoo_models(workspace, data: str | None) -> list[str]:
    """Models of ``data`` with field embeddings (CTR-zoo models); only they have embeddings."""
    if not data:
        return []
    return [n for n in workspace.model_names(data) if workspace.model_entry(n).kind == "zoo"]


def no_models_message(workspace, data: str | None, models: list[str]) -> str | None:
    if models:
        return None
    others = [d for d in workspace.data_names if zoo_models(workspace, d)]
    hint = f"; try {', '.join(others)}" if others else ""
    return f"Data set {data!r} has no CTR-zoo model, so no field embeddings to analyse{hint}."


def gate_site_options(workspace, model: str | None) -> list[str]:
    """ "auto" (the model's first field-aligned gate site), "none", then every such site."""
    if not model:
        return ["auto", "none"]
    module = workspace.model(model).adapter.module
    sites = [s.name for s in module.gate_sites() if s.field_aligned]
    return ["auto", "none", *sites]


def layout(workspace, data=None, model=None, **query) -> html.Div:
    data_names = workspace.data_names
    with_models = [d for d in data_names if zoo_models(workspace, d)]
    default_data = with_models[0] if with_models else (data_names[0] if data_names else None)
    data = data if data in data_names else default_data
    models = zoo_models(workspace, data)
    model = model if model in models else (models[0] if models else None)
    given = {name: query[name] for name in FORM_PARAMETERS if name in query}
    view = {name: query[name] for name in VIEW_PARAMETERS if name in query}
    problem = None
    try:
        parameters = analysis(PAGE).parameters(given)
    except WorkbenchError as error:
        problem, parameters = str(error), analysis(PAGE).parameters({})
    report = stored_result(workspace, PAGE, model, parameters) if model else None
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
            html.Div(results, id=JOB.results),
        ]
    )


def _form(workspace, data_names, data, models, model, parameters) -> html.Div:
    def options(labels: dict) -> list[dict]:
        return [{"label": label, "value": value} for value, label in labels.items()]

    def number(component_id: str, value: int, minimum: int) -> dcc.Input:
        return dcc.Input(id=component_id, type="number", value=value, min=minimum, step=1)

    return html.Div(
        [
            html.Div(
                [
                    field("Data set", dcc.Dropdown(data_names, data, id=DATA, clearable=False)),
                    field(
                        "Model (CTR zoo)", dcc.Dropdown(models, model, id=MODEL, clearable=False)
                    ),
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
                            parameters["points"],
                            id=POINTS,
                            clearable=False,
                            style={"minWidth": "22rem"},
                        ),
                    ),
                    field(
                        "Map dimensions",
                        dcc.Dropdown(
                            [2, 3], parameters["components"], id=COMPONENTS, clearable=False
                        ),
                    ),
                    field("Data rows sampled", number(MAX_ROWS, parameters["max_rows"], 2)),
                    field("Map points at most", number(MAX_POINTS, parameters["max_points"], 3)),
                    field(
                        "Gate colour (table map)",
                        dcc.Dropdown(
                            gate_site_options(workspace, model),
                            parameters["gate_site"],
                            id=GATE_SITE,
                            clearable=False,
                        ),
                    ),
                ],
                className="wb-form",
            ),
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


def result_view(report, data: str, model: str, parameters: dict, view: dict) -> list:
    from analyzers.figures.embeddings import (
        cka_heatmap,
        collision_chart,
        geometry_table,
        norm_strata_plot,
        projection_scatter,
        spectrum_plot,
    )

    geometry = report.geometry
    weightings = list(dict.fromkeys(geometry.geometry["weighting"]))
    weighting = _valid(view.get("weighting"), weightings, weightings[-1])
    sort = _valid(view.get("sort"), SORT_COLUMNS, SORT_COLUMNS[0])
    relation = _valid(view.get("relation"), RELATION_MEASURES, RELATION_MEASURES[0])
    colours = _colour_columns(report.projection)
    colour = _valid(view.get("color"), colours, colours[0] if colours else None)
    reference = {"data": data, "model": model, "parameters": parameters}
    invariance = report.measure_invariance()
    parts = [
        dcc.Store(id=RESULT_REFERENCE, data=reference),
        _summary(report, model),
        _invariance_card(invariance),
        _view_controls(weightings, weighting, sort, relation, colours, colour, invariance),
        figure_card(
            "emb-geometry",
            geometry_table(geometry, weighting=weighting, sort_by=sort),
            "Geometry per field",
        ),
        figure_card("emb-spectrum", spectrum_plot(geometry, weighting=weighting), "Spectrum"),
    ]
    if not geometry.norm_strata.empty:
        parts.append(figure_card("emb-norms", norm_strata_plot(geometry), "Row norm by frequency"))
    parts.append(
        figure_card(
            "emb-relations", cka_heatmap(report.relations, relation), "Relations between fields"
        )
    )
    if report.collisions is not None:
        parts.append(
            figure_card(
                "emb-collisions", collision_chart(report.collisions), "Shared-table collisions"
            )
        )
    else:
        parts.append(
            html.P(
                "One table per field: no hashing collisions to show (shared tables only).",
                className="wb-muted",
            )
        )
    if report.projection is not None:
        parts.append(
            figure_card("emb-map", projection_scatter(report.projection, color=colour), "Map")
        )
    parts += [
        table_card(PAGE, "geometry", geometry.geometry, "Geometry per field and weighting"),
        table_card(PAGE, "relations", report.relations.pairs, "Relations per pair of fields"),
    ]
    if report.projection is not None:
        parts.append(
            table_card(PAGE, "projection", report.projection.coordinates, "Map coordinates")
        )
    if report.collisions is not None:
        parts.append(
            table_card(PAGE, "collisions", report.collisions.fields, "Collisions per field")
        )
    return parts


def _summary(report, model: str) -> html.Div:
    geometry = report.geometry.geometry
    dims = sorted(set(geometry["dim"].astype(int)))
    table = (
        "per field"
        if report.collisions is None
        else f"shared, {report.collisions.n_buckets:,} rows"
    )
    mapped = "none"
    if report.projection is not None:
        method, points = report.projection.method.upper(), report.settings["projection_points"]
        mapped = f"{method} of {len(report.projection.coordinates):,} {points} points"
    return html.Div(
        [
            metric("model", model),
            metric("fields", str(len(report.geometry.field_names))),
            metric("dim", ", ".join(map(str, dims))),
            metric("tables", table),
            metric("rows sampled", f"{report.settings['n_rows_sampled']:,}"),
            metric("map", mapped),
            metric("analysis time", f"{report.settings['seconds']:.2f} s"),
        ],
        className="wb-card wb-metrics",
    )


def invariance_frame(invariance: dict[str, str]) -> pd.DataFrame:
    """measure, invariance class and why, from a report's ``measure_invariance``."""
    rows = []
    for measure, note in invariance.items():
        kind, _, why = note.partition(":")
        rows.append({"measure": measure, "survives": kind, "why": why.strip()})
    return pd.DataFrame(rows, columns=["measure", "survives", "why"])


def _invariance_card(invariance: dict[str, str]) -> html.Div:
    frame = invariance_frame(invariance)
    rows = [
        html.Tr(
            [
                html.Td(html.B(row.measure)),
                html.Td(
                    row.survives,
                    style={"color": INVARIANCE_COLOURS.get(row.survives), "fontWeight": 600},
                ),
                html.Td(SHOWN_IN.get(row.measure, "")),
                html.Td(row.why),
            ]
        )
        for row in frame.itertuples(index=False)
    ]
    header = html.Tr([html.Th(c) for c in ("measure", "survives", "shown in", "why")])
    return html.Div(
        [
            html.H3("Which numbers survive a re-parametrisation"),
            html.P(
                "Mapping a field's embeddings by an invertible A and absorbing A⁻¹ into the next "
                "layer gives the same model. Invariant measures are about the model; "
                "orthogonal-only ones survive rotations and isotropic scaling but not general "
                "maps; descriptive ones describe this parametrisation only: compare them across "
                "fields of one model, never read them as importance.",
                className="wb-muted",
            ),
            html.Table(
                [html.Thead(header), html.Tbody(rows)],
                className="wb-table",
                id="emb-invariance",
            ),
            html.Div(
                [
                    html.Button(
                        "Download CSV",
                        id={"type": "csv", "page": PAGE, "table": "invariance"},
                        n_clicks=0,
                    )
                ],
                className="wb-buttons",
            ),
            dcc.Download(id={"type": "csv-download", "page": PAGE, "table": "invariance"}),
        ],
        className="wb-card",
    )


def _view_controls(weightings, weighting, sort, relation, colours, colour, invariance) -> html.Div:
    def relation_label(measure: str) -> str:
        kind = invariance.get(measure, "").partition(":")[0]
        return f"{measure} ({kind})" if kind else measure

    controls = [
        field(
            "Geometry weighting", dcc.Dropdown(weightings, weighting, id=WEIGHTING, clearable=False)
        ),
        field("Sort geometry by", dcc.Dropdown(list(SORT_COLUMNS), sort, id=SORT, clearable=False)),
        field(
            "Relation measure",
            dcc.Dropdown(
                [{"label": relation_label(m), "value": m} for m in RELATION_MEASURES],
                relation,
                id=RELATION,
                clearable=False,
                style={"minWidth": "18rem"},
            ),
        ),
    ]
    if colours:
        controls.append(
            field("Map colour", dcc.Dropdown(colours, colour, id=COLOR, clearable=False))
        )
    return html.Div([html.H3("View"), html.Div(controls, className="wb-form")], className="wb-card")


def _colour_columns(projection) -> list[str]:
    if projection is None:
        return []
    frame = projection.coordinates
    return [c for c in frame.columns if c not in ("point", "row", "level", *projection.axes)]


def _valid(value, allowed, default):
    return value if value in allowed else default


def view_search(data: str, model: str, parameters: dict, view: dict) -> str:
    query = {"data": data, "model": model}
    query.update({name: parameters[name] for name in FORM_PARAMETERS})
    query.update({name: view[name] for name in VIEW_PARAMETERS if view.get(name)})
    return "?" + urlencode(query)
