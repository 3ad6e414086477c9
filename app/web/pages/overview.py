"""Overview: the workspace's data sets and models with their metrics, and data upload."""

from __future__ import annotations

import threading

import dash
import pandas as pd
from dash import Dash, Input, Output, dcc, html

from app.web.components import one_line
from app.web.context import current_workspace
from app.web.pages import overview_register
from app.web.pages.overview_upload import register_upload, upload_card
from app.web.tables import results_grid

PATH = "/"
TABLES = "overview-tables"
MODELS = "overview-models"
#: polls the models table while sample models train (first start, or after an upload)
MODELS_POLL = "overview-models-poll"
TRAINING = "training…"
#: how long the page waits for models before it shows them as "training…"
_FIRST_WAIT_SECONDS = 1.0
_POLL_MS = 1000
#: (workspace root, model name) → one-line error of a model that failed to load
_FAILED: dict[tuple[str, str], str] = {}
_LOADERS: dict[str, threading.Thread] = {}
_LOADERS_LOCK = threading.Lock()


def register(app: Dash, workspace) -> None:
    dash.register_page(
        "overview",
        path=PATH,
        name="Overview",
        order=0,
        title="Overview",
        layout=lambda **_: layout(current_workspace()),
    )
    # The job's process renders the tables; a model it has not loaded shows "training…".
    register_upload(app, TABLES, lambda ws: workspace_tables(ws, _FIRST_WAIT_SECONDS))

    @app.callback(
        Output(MODELS, "children"),
        Output(MODELS_POLL, "disabled"),
        Input(MODELS_POLL, "n_intervals"),
        prevent_initial_call=True,
    )
    def poll_models(_):
        workspace = current_workspace()
        _load_models(workspace, wait_seconds=0)  # models a job registered since
        rows = _model_rows(workspace)
        return _models_card_children(rows), not _any_training(rows)

    overview_register.register_callbacks(app, workspace, TABLES, workspace_tables)


def layout(workspace) -> html.Div:
    return html.Div(
        [
            html.H2("Overview"),
            html.Div(workspace_tables(workspace, wait_seconds=_FIRST_WAIT_SECONDS), id=TABLES),
            upload_card(),
            overview_register.register_section(workspace),
        ]
    )


def workspace_tables(workspace, wait_seconds: float | None = None) -> list:
    """The data sets and models of the workspace; an entry that fails to load is listed with
    its one-line error instead of taking the whole page down.

    Models load in a background thread; after ``wait_seconds`` (None: until all have loaded)
    the ones still training are listed as "training…" and the table polls until they are done
    (the first start trains the sample models: 32 s of blank page before)."""
    _load_models(workspace, wait_seconds)
    data_rows = [_data_row(workspace, name) for name in workspace.data_names]
    model_rows = _model_rows(workspace)
    return [
        html.Div(
            [html.H3("Data sets"), results_grid("overview", "data", pd.DataFrame(data_rows))],
            className="wb-card",
        ),
        html.Div(
            [
                html.Div(_models_card_children(model_rows), id=MODELS),
                dcc.Interval(
                    id=MODELS_POLL, interval=_POLL_MS, disabled=not _any_training(model_rows)
                ),
            ],
            className="wb-card",
        ),
    ]


def _models_card_children(rows: list[dict]) -> list:
    return [
        html.H3("Models"),
        html.P(
            "Metrics on the rows each model is explained on (the 20% test split for "
            "sample models).",
            className="wb-muted",
        ),
        results_grid("overview", "models", pd.DataFrame(rows)),
    ]


def _any_training(rows: list[dict]) -> bool:
    return any(row.get("status") == TRAINING for row in rows)


def _load_models(workspace, wait_seconds: float | None) -> None:
    """Load (train, or read from the sample cache) every model not yet loaded, in one thread
    per workspace; wait for it at most ``wait_seconds``."""
    root = str(workspace.root)
    with _LOADERS_LOCK:
        loader = _LOADERS.get(root)
        if loader is None or not loader.is_alive():
            missing = [
                name
                for name in workspace.model_names()
                if not workspace.is_loaded(name) and (root, name) not in _FAILED
            ]
            if not missing:
                return
            loader = threading.Thread(
                target=_load_each, args=(workspace, missing), name="overview-models", daemon=True
            )
            _LOADERS[root] = loader
            loader.start()
    loader.join(wait_seconds)


def _load_each(workspace, names: list[str]) -> None:
    for name in names:
        try:
            workspace.model(name)
        except Exception as error:  # listed with its error; the other models still load
            _FAILED[(str(workspace.root), name)] = one_line(error)


def _model_rows(workspace) -> list[dict]:
    return [_model_row(workspace, name) for name in workspace.model_names()]


def _data_row(workspace, name: str) -> dict:
    entry = workspace.data_entry(name)
    try:
        dataset = workspace.dataset(name)
    except Exception as error:  # a manifest entry that no longer loads: say why, list the rest
        return {"data set": name, "description": entry.description, "error": one_line(error)}
    return {
        "data set": name,
        "rows": dataset.n_rows,
        "features": dataset.n_features,
        "groups": dataset.n_groups,
        "target": dataset.target_name,
        "description": entry.description,
    }


def _model_row(workspace, name: str) -> dict:
    entry = workspace.model_entry(name)
    kind = f"torch ({entry.factory})" if entry.kind == "torch" else entry.sample or entry.kind
    row = {"model": name, "data set": entry.data, "kind": kind}
    failed = _FAILED.get((str(workspace.root), name))
    if failed is not None:  # as for data sets: the page lists the model and its error
        return {**row, "error": failed}
    if not workspace.is_loaded(name):
        return {**row, "status": TRAINING}
    metrics = workspace.model(name).metrics
    return {
        **row,
        "explained rows": metrics.get("rows"),
        "loss": metrics.get("loss"),
        "accuracy": metrics.get("accuracy"),
        "AUC": metrics.get("auc"),
    }
