"""The Overview's "Register a model file on the server" section.

A model is never uploaded from the browser: the form names a file already on the server's disk,
and ``workbench.registration.register_model_file`` (the code behind ``workbench add-model``)
checks that it loads and predicts on the chosen data set before the manifest is written.
TorchScript, torch.export and xgboost/lightgbm native files (.json/.ubj/.txt) run no code when
read, so the server reads them on the form's word. A joblib/pickle file runs code when
loaded, and a browser cannot grant that trust: one is accepted only when the manifest already
trusts that very file (``add-model --trust-pickle``).
"""

from __future__ import annotations

import re
from pathlib import Path

from dash import Dash, Input, Output, State, dcc, html, no_update

from app.web.components import one_line
from app.web.jobs import field
from workbench.errors import ModelError, ParameterError

PATH_FIELD = "overview-model-path"
NAME_FIELD = "overview-model-name"
DATA_FIELD = "overview-model-data"
TASK_FIELD = "overview-model-task"
REGISTER = "overview-model-register"
STATUS = "overview-model-status"
TASKS = ("auto", "classification", "regression")


def register_section(workspace) -> html.Div:
    """The form: a server path, the model's name, its data set and task, and a Register button."""
    data_names = workspace.data_names
    return html.Div(
        [
            html.H3("Register a model file on the server"),
            html.P(
                "A TorchScript (.pt/.pth/.ts), torch.export (.pt2), xgboost (.json/.ubj) or "
                "lightgbm (.txt) file already on the server's disk; it is checked by loading "
                "it and predicting on the data set's rows. Pickle/joblib files only when the "
                "workspace already trusts the file (`workbench add-model --trust-pickle`). "
                "Your own torch model class (a factory and a state_dict, with its sites by "
                "module path) is registered on the command line only, `workbench add-model "
                "--factory package.module:build --weights state.pt --site PATH#CALL`: building "
                "it imports your code, which this page never does for a name typed here; once "
                "registered, it is listed here and analysed on the Gates and Embeddings pages.",
                className="wb-muted",
            ),
            html.Div(
                [
                    field("Path on the server", dcc.Input(id=PATH_FIELD, type="text")),
                    field("Name", dcc.Input(id=NAME_FIELD, type="text")),
                    field(
                        "Data set",
                        dcc.Dropdown(
                            data_names,
                            data_names[0] if data_names else None,
                            id=DATA_FIELD,
                            clearable=False,
                        ),
                    ),
                    field(
                        "Task", dcc.Dropdown(list(TASKS), "auto", id=TASK_FIELD, clearable=False)
                    ),
                ],
                className="wb-form",
            ),
            html.Button("Register", id=REGISTER, className="wb-primary", n_clicks=0),
            html.Div(id=STATUS),
        ],
        className="wb-card",
    )


def register_callbacks(app: Dash, workspace, tables_id: str, tables) -> None:
    """Register clicks: the file is checked, then the Overview's tables (``tables_id``,
    rebuilt by ``tables(workspace)``) list the new model."""

    @app.callback(
        Output(STATUS, "children"),
        Output(STATUS, "className"),
        Output(tables_id, "children", allow_duplicate=True),
        Input(REGISTER, "n_clicks"),
        State(PATH_FIELD, "value"),
        State(NAME_FIELD, "value"),
        State(DATA_FIELD, "value"),
        State(TASK_FIELD, "value"),
        prevent_initial_call=True,
    )
    def register_file(clicks, path, name, data, task):
        if not clicks:
            return no_update, no_update, no_update
        try:
            entry = register_server_file(workspace, path, name, data, task)
        except Exception as error:  # one line on the page, never an HTTP 500
            return one_line(error), "wb-error", no_update
        message = f"Registered model {entry.name!r} on data set {entry.data!r}."
        return message, "wb-ok", tables(workspace)


def register_server_file(workspace, path, name, data, task):
    """Check the form's values, then register the file as ``workbench add-model`` does."""
    from workbench.models.files import is_pickle_file
    from workbench.registration import register_model_file

    if not path or not str(path).strip():
        raise ParameterError("path: enter the model file's path on the server")
    resolved = Path(str(path).strip()).expanduser().resolve()
    name = (name or resolved.stem).strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name):
        raise ParameterError(f"name: use letters, digits, '.', '_' or '-' (got {name!r})")
    if not data:
        raise ParameterError("data set: choose the data set the model is explained on")
    if task not in TASKS:
        raise ParameterError(f"task: expected one of {', '.join(TASKS)}, got {task!r}")
    trusted = is_pickle_file(resolved) and _trusted_in_manifest(workspace, resolved)
    if is_pickle_file(resolved) and not trusted:
        raise ModelError(
            f"path: {resolved.name!r} is a pickle, which runs code when loaded; the web app "
            "cannot grant that trust: register it with `workbench add-model --trust-pickle`"
        )
    return register_model_file(workspace, name, data, resolved, task=task, trusted=trusted)


def _trusted_in_manifest(workspace, path: Path) -> bool:
    """Whether a model of the workspace already loads ``path`` as a trusted pickle."""
    for model in workspace.model_names(kind="file"):
        entry = workspace.model_entry(model)
        if entry.trusted and entry.path and Path(entry.path).resolve() == path:
            return True
    return False
