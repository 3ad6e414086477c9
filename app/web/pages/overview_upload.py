"""The Overview's "Add a data set": a fast upload check, then sample models trained in a job.

Training used to run inside the upload request (5 min 50 s on 3000×5, past 15 min on a 49 MB
CSV, with no message). Now the request only reads and checks the file (one-line errors as
before) and hands a pending entry to a background job of the app's job pool, which trains the
sample models with progress per model ("training mlp (2/2)") and registers the data set and
its models at the end (``Workspace.add_data_with_models``: nothing is written unless all load).
Warnings raised while training (scikit-learn's ConvergenceWarning) are listed under the status.
"""

from __future__ import annotations

import base64
import re
import uuid
import warnings
from pathlib import Path

from dash import Dash, Input, Output, State, dcc, html, no_update

from app.web.components import one_line
from app.web.context import WORKSPACE_KEY, workspace_for
from app.web.guard import MAX_UPLOAD_BYTES
from app.web.jobs import POLL_INTERVAL_MS

UPLOAD = "overview-upload"
UPLOAD_NAME = "overview-upload-name"
UPLOAD_TARGET = "overview-upload-target"
UPLOAD_STATUS = "overview-upload-status"
UPLOAD_PROGRESS = "overview-upload-progress"
#: the checked upload the training job works on (name, path, target)
PENDING = "overview-upload-pending"
UPLOAD_SUFFIXES = (".csv", ".parquet")
SAMPLE_MODELS_FOR_UPLOADS = ("logistic", "mlp")
_HIDDEN, _SHOWN = {"display": "none"}, {"display": "block"}


def register_upload(app: Dash, tables_id: str, render_tables) -> None:
    """The upload check (a request) and the training job; ``render_tables(workspace)`` is the
    Overview's tables, sent to ``tables_id`` once the new entries are registered."""

    @app.callback(
        Output(UPLOAD_STATUS, "children"),
        Output(UPLOAD_STATUS, "className"),
        Output(PENDING, "data"),
        Input(UPLOAD, "contents"),
        State(UPLOAD, "filename"),
        State(UPLOAD_NAME, "value"),
        State(UPLOAD_TARGET, "value"),
        State(WORKSPACE_KEY, "data"),
        prevent_initial_call=True,
    )
    def upload_data(contents, filename, name, target, workspace_key):
        if contents is None:
            return no_update, no_update, no_update
        try:
            workspace = workspace_for(workspace_key)
            pending = check_upload(workspace, contents, filename, name, target)
        except Exception as error:  # one line on the page, never an HTTP 500
            return one_line(error), "wb-error", no_update
        message = f"Checked {pending['name']!r} ({pending['summary']}); training its sample models…"
        return message, "wb-muted", pending

    @app.callback(
        Output(tables_id, "children"),
        Output(UPLOAD_STATUS, "children", allow_duplicate=True),
        Output(UPLOAD_STATUS, "className", allow_duplicate=True),
        Input(PENDING, "data"),
        State(WORKSPACE_KEY, "data"),
        background=True,
        interval=POLL_INTERVAL_MS,
        prevent_initial_call=True,
        running=[(Output(UPLOAD_PROGRESS, "style"), _SHOWN, _HIDDEN)],
        progress=[Output(UPLOAD_PROGRESS, "children")],
    )
    def train_upload(set_progress, pending, workspace_key):
        if not pending:
            return no_update, no_update, no_update
        try:
            workspace = workspace_for(workspace_key)
            status = register_pending(workspace, pending, set_progress)
        except Exception as error:  # as a failed job of the other pages: one line, in red
            return no_update, f"Failed: {one_line(error)}", "wb-error"
        return render_tables(workspace), status, "wb-ok"


def upload_card() -> html.Div:
    return html.Div(
        [
            html.H3("Add a data set"),
            html.P(
                "CSV or Parquet, up to 50 MB. Sample models (logistic, MLP) are trained on it in "
                "the background. Models themselves are registered from Python or the command "
                "line, never uploaded.",
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
            html.Div(id=UPLOAD_PROGRESS, className="wb-muted", style=_HIDDEN),
            dcc.Store(id=PENDING),
        ],
        className="wb-card",
    )


def check_upload(workspace, contents: str, filename: str | None, name, target) -> dict:
    """Read and check an uploaded CSV/Parquet file, without training anything: the file is kept
    in the workspace's ``data`` folder and the pending entry returned (name, path, target,
    summary); on any error the file is removed and a one-line error raised."""
    from workbench.errors import DataError, ParameterError
    from workbench.samples import check_class_codes, infer_task
    from workbench.workspace import DataEntry

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
    models = [f"{name}-{sample}" for sample in SAMPLE_MODELS_FOR_UPLOADS]
    entry = DataEntry(name=name, path="", target=str(target).strip())
    workspace.check_new_names(name, models)
    folder = workspace.root / "data"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}-{uuid.uuid4().hex[:8]}{suffix}"
    path.write_bytes(raw)
    try:
        dataset = workspace.read_data(DataEntry(name=name, path=str(path), target=entry.target))
        if infer_task(dataset) == "classification":
            check_class_codes(dataset)  # the errors that used to come after training
    except Exception as error:
        path.unlink(missing_ok=True)
        if isinstance(error, DataError | ParameterError):
            raise
        raise DataError(f"data set {name!r}: cannot be read ({one_line(error)})") from None
    summary = f"{dataset.n_rows} rows, {dataset.n_features} features"
    return {"name": name, "path": str(path), "target": entry.target, "summary": summary}


def register_pending(workspace, pending: dict, set_progress=None) -> list:
    """Train the sample models of a checked upload and register the data set with them (all
    or nothing; the file is removed when training fails). ``set_progress((text,))`` is told
    "training mlp (2/2)" before each model. Returns the status: a line and the warnings
    raised while training."""
    from workbench.workspace import DataEntry, ModelEntry

    name = pending["name"]
    models = [
        ModelEntry(name=f"{name}-{sample}", data=name, kind="sample", sample=sample)
        for sample in SAMPLE_MODELS_FOR_UPLOADS
    ]

    def report(stage: str, done: int, total: int) -> None:
        if set_progress is not None:
            set_progress((f"{stage} ({done + 1}/{total})",))

    entry = DataEntry(name=name, path=pending["path"], target=pending["target"])
    # Recorded, not only logged: the server log is not where a user looks.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            workspace.add_data_with_models(entry, models, progress=report)
        except Exception:
            Path(pending["path"]).unlink(missing_ok=True)
            raise
    message = f"Added data set {name!r} with sample models {', '.join(m.name for m in models)}."
    return [html.Span(message), *warnings_list(caught)]


def warnings_list(caught) -> list:
    """Warnings raised during a job, once each, as a list for the page (none: nothing)."""
    lines = list(dict.fromkeys(one_line(w.message) for w in caught))  # "ConvergenceWarning: …"
    if not lines:
        return []
    items = [html.Li(line) for line in lines]
    return [html.Ul(items, className="wb-warnings", title="Warnings raised while training")]
