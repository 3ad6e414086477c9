"""Overview: the workspace's data sets and models with their metrics, and data upload."""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path

import dash
import pandas as pd
from dash import Dash, Input, Output, State, dcc, html, no_update

from app.web.components import one_line
from app.web.context import current_workspace
from app.web.guard import MAX_UPLOAD_BYTES
from app.web.pages import overview_register
from app.web.tables import results_grid

PATH = "/"
UPLOAD = "overview-upload"
UPLOAD_NAME = "overview-upload-name"
UPLOAD_TARGET = "overview-upload-target"
UPLOAD_STATUS = "overview-upload-status"
TABLES = "overview-tables"
UPLOAD_SUFFIXES = (".csv", ".parquet")
SAMPLE_MODELS_FOR_UPLOADS = ("logistic", "mlp")


def register(app: Dash, workspace) -> None:
    dash.register_page(
        "overview",
        path=PATH,
        name="Overview",
        order=0,
        title="Overview",
        layout=lambda **_: layout(current_workspace()),
    )

    @app.callback(
        Output(UPLOAD_STATUS, "children"),
        Output(UPLOAD_STATUS, "className"),
        Output(TABLES, "children"),
        Input(UPLOAD, "contents"),
        State(UPLOAD, "filename"),
        State(UPLOAD_NAME, "value"),
        State(UPLOAD_TARGET, "value"),
        prevent_initial_call=True,
    )
    def upload_data(contents, filename, name, target):
        if contents is None:
            return no_update, no_update, no_update
        try:
            entry = add_uploaded_data(workspace, contents, filename, name, target)
        except Exception as error:  # one line on the page, never an HTTP 500
            return one_line(error), "wb-error", no_update
        message = (
            f"Added data set {entry.name!r} with sample models "
            f"{', '.join(f'{entry.name}-{m}' for m in SAMPLE_MODELS_FOR_UPLOADS)}."
        )
        return message, "wb-ok", workspace_tables(workspace)

    overview_register.register_callbacks(app, workspace, TABLES, workspace_tables)


def layout(workspace) -> html.Div:
    return html.Div(
        [
            html.H2("Overview"),
            html.Div(workspace_tables(workspace), id=TABLES),
            _upload_card(),
            overview_register.register_section(workspace),
        ]
    )


def workspace_tables(workspace) -> list:
    """The data sets and models of the workspace; an entry that fails to load is listed with
    its one-line error instead of taking the whole page down."""
    data_rows = [_data_row(workspace, name) for name in workspace.data_names]
    model_rows = [_model_row(workspace, name) for name in workspace.model_names()]
    return [
        html.Div(
            [html.H3("Data sets"), results_grid("overview", "data", pd.DataFrame(data_rows))],
            className="wb-card",
        ),
        html.Div(
            [
                html.H3("Models"),
                html.P(
                    "Metrics on the rows each model is explained on (the 20% test split for "
                    "sample models).",
                    className="wb-muted",
                ),
                results_grid("overview", "models", pd.DataFrame(model_rows)),
            ],
            className="wb-card",
            id="overview-models",
        ),
    ]


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
    row = {"model": name, "data set": entry.data, "kind": entry.sample or entry.kind}
    try:
        metrics = workspace.model(name).metrics
    except Exception as error:  # as for data sets: the page lists the model and its error
        return {**row, "error": one_line(error)}
    return {
        **row,
        "explained rows": metrics.get("rows"),
        "loss": metrics.get("loss"),
        "accuracy": metrics.get("accuracy"),
        "AUC": metrics.get("auc"),
    }


def _upload_card() -> html.Div:
    return html.Div(
        [
            html.H3("Add a data set"),
            html.P(
                "CSV or Parquet, up to 50 MB. Sample models (logistic, MLP) are trained on it. "
                "Models are never uploaded: register a model file on the server below.",
                className="wb-muted",
            ),
            html.Div(
                [
                    html.Div(
                        [html.Label("Name"), dcc.Input(id=UPLOAD_NAME, type="text")],
                        className="wb-field",
                    ),
                    html.Div(
                        [html.Label("Target column"), dcc.Input(id=UPLOAD_TARGET, type="text")],
                        className="wb-field",
                    ),
                ],
                className="wb-form",
            ),
            dcc.Upload(
                html.Div("Drop a CSV/Parquet file here, or click to choose one"),
                id=UPLOAD,
                className="wb-upload",
                max_size=MAX_UPLOAD_BYTES,
                multiple=False,
            ),
            html.Div(id=UPLOAD_STATUS),
        ],
        className="wb-card",
    )


def add_uploaded_data(workspace, contents: str, filename: str | None, name, target):
    """Validate an uploaded CSV/Parquet file and add it, with sample models, to the workspace."""
    from workbench.errors import DataError, ParameterError
    from workbench.workspace import DataEntry, ModelEntry

    filename = filename or ""
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise DataError(
            f"upload: {filename!r} is not a CSV or Parquet file (only .csv and .parquet are read)"
        )
    if not target or not str(target).strip():
        raise ParameterError("target column: enter the target column before uploading")
    name = (name or Path(filename).stem).strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name):
        raise ParameterError(f"name: use letters, digits, '.', '_' or '-' (got {name!r})")
    _, _, encoded = contents.partition(",")
    raw = base64.b64decode(encoded, validate=False)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise DataError(f"upload: {filename!r} is larger than {MAX_UPLOAD_BYTES // 2**20} MB")
    folder = workspace.root / "data"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}-{uuid.uuid4().hex[:8]}{suffix}"
    path.write_bytes(raw)
    models = [
        ModelEntry(name=f"{name}-{sample}", data=name, kind="sample", sample=sample)
        for sample in SAMPLE_MODELS_FOR_UPLOADS
    ]
    try:
        # The manifest is written only once the data set reads and both sample models train.
        return workspace.add_data_with_models(
            DataEntry(name=name, path=str(path), target=str(target).strip()), models
        )
    except Exception:
        path.unlink(missing_ok=True)
        raise
