"""Feedback while waiting: an upload is checked in its request and trained in a job with
progress and warnings; the Overview lists untrained models as "training…"; a finished job never
leaves "No stored result" in the results area."""

from __future__ import annotations

import base64
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from dash import dcc, html
from sklearn.exceptions import ConvergenceWarning

import workbench.samples
from app.web.jobs import LOADING_RESULT, NO_RESULT, job_outputs
from app.web.pages import overview
from app.web.pages import overview_upload as upload
from tests.app.web.layout_tree import texts
from tests.app.web.test_bad_entries import _upload


def _csv(rows: int = 60) -> str:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(rows, 3)), columns=["a", "b", "c"])
    frame["y"] = (frame["a"] * frame["b"] > 0).astype(int)
    return "data:text/csv;base64," + base64.b64encode(frame.to_csv(index=False).encode()).decode()


@pytest.fixture
def served(tmp_path):
    from app.web import create_app
    from workbench.workspace import Workspace

    workspace = Workspace.create(tmp_path / "ws")
    app = create_app(workspace, jobs_dir=tmp_path / "jobs")
    return workspace, app.server.test_client()


@pytest.fixture
def trainer_calls(monkeypatch):
    """Every sample model trained, with whether the manifest named the data set at the time."""
    real = workbench.samples.train_sample_model
    calls = []

    def recording(name, dataset, **kwargs):
        manifest = (kwargs["cache_dir"].parent / "workspace.json").read_text()
        calls.append((name, '"tiny"' in manifest))
        return real(name, dataset, **kwargs)

    monkeypatch.setattr(workbench.samples, "train_sample_model", recording)
    return calls


def test_an_upload_is_checked_without_training_and_the_job_registers_at_the_end(
    served, trainer_calls
):
    from workbench.workspace import Workspace

    workspace, client = served
    manifest = workspace.root / "workspace.json"
    before = manifest.read_text()
    started = time.monotonic()
    answer = _upload(client, _csv(), "tiny", workspace.root).get_json()["response"]
    print(f"upload request: {time.monotonic() - started:.2f} s")
    assert trainer_calls == []  # the request trained nothing
    assert manifest.read_text() == before and workspace.data_names == []
    assert "training its sample models" in answer[upload.UPLOAD_STATUS]["children"]
    pending = answer[upload.PENDING]["data"]
    assert pending["name"] == "tiny" and "60 rows, 3 features" in pending["summary"]

    progress = []
    status = upload.register_pending(workspace, pending, progress.append)
    assert progress == [("training logistic (1/2)",), ("training mlp (2/2)",)]
    # each model trained while the manifest did not name the data set: written once, at the end
    assert trainer_calls == [("logistic", False), ("mlp", False)]
    assert "Added data set 'tiny'" in texts(status)
    reopened = Workspace.open(workspace.root)
    assert reopened.data_names == ["tiny"]
    assert reopened.model_names() == ["tiny-logistic", "tiny-mlp"]


def test_a_failed_training_job_writes_nothing_and_removes_the_file(served, monkeypatch):
    workspace, client = served
    answer = _upload(client, _csv(), "tiny", workspace.root).get_json()["response"]
    pending = answer[upload.PENDING]["data"]
    manifest = (workspace.root / "workspace.json").read_text()

    def failing(name, dataset, **kwargs):
        raise MemoryError("no room for the MLP")

    monkeypatch.setattr(workbench.samples, "train_sample_model", failing)
    with pytest.raises(Exception, match="no room for the MLP"):
        upload.register_pending(workspace, pending)
    assert (workspace.root / "workspace.json").read_text() == manifest
    assert workspace.data_names == [] and not list((workspace.root / "data").iterdir())


def test_a_convergence_warning_while_training_reaches_the_status(served, monkeypatch):
    workspace, client = served
    real = workbench.samples.train_sample_model

    def warning(name, dataset, **kwargs):
        if name == "mlp":  # as scikit-learn's MLP says when max_iter is reached
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (300) reached",
                ConvergenceWarning,
                stacklevel=2,
            )
        return real(name, dataset, **kwargs)

    monkeypatch.setattr(workbench.samples, "train_sample_model", warning)
    answer = _upload(client, _csv(), "tiny", workspace.root).get_json()["response"]
    status = upload.register_pending(workspace, answer[upload.PENDING]["data"])
    [listed] = [part for part in status if isinstance(part, html.Ul)]
    assert listed.className == "wb-warnings"
    items = [texts(item) for item in listed.children]
    planted = "ConvergenceWarning: Stochastic Optimizer: Maximum iterations (300) reached"
    assert planted in items and len(items) == len(set(items))  # each warning listed once


def test_models_still_training_are_listed_as_training_and_the_table_polls(tmp_path, monkeypatch):
    from workbench.workspace import DataEntry, ModelEntry, Workspace

    data = tmp_path / "d.csv"
    frame = pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60.0) % 7})
    frame.assign(y=np.arange(60) % 2).to_csv(data, index=False)
    workspace = Workspace.create(tmp_path / "ws")
    workspace.add_data(DataEntry(name="d", path=str(data), target="y"))
    workspace.add_model(ModelEntry(name="d-logistic", data="d", kind="sample", sample="logistic"))
    release = threading.Event()
    real = workbench.samples.train_sample_model

    def slow(name, dataset, **kwargs):
        release.wait(30)
        return real(name, dataset, **kwargs)

    monkeypatch.setattr(workbench.samples, "train_sample_model", slow)
    _, models = overview.workspace_tables(workspace, wait_seconds=0.1)
    [poll] = [c for c in models.children if isinstance(c, dcc.Interval)]
    assert overview.TRAINING in texts(models) and poll.disabled is False
    release.set()
    _, models = overview.workspace_tables(workspace, wait_seconds=30)
    [poll] = [c for c in models.children if isinstance(c, dcc.Interval)]
    assert overview.TRAINING not in texts(models) and poll.disabled is True
    assert "d-logistic" in texts(models)


def test_after_done_with_a_new_url_the_results_area_says_loading_not_no_result(tmp_path):
    from app.web.context import attach_workspace
    from workbench.workspace import Workspace

    workspace = Workspace.create(tmp_path / "ws")
    key = attach_workspace(type("Server", (), {"config": {}})(), workspace)

    def work(progress, workspace, value):
        return "?a=2", [html.P("the view")], "Done in 1.0 s; stored."

    search, view, status = job_outputs(work, lambda update: None, 7, "?a=1", key)
    assert search == "?a=2"
    assert LOADING_RESULT in texts(view) and NO_RESULT not in texts(view)
    assert "Done" in texts(status)
