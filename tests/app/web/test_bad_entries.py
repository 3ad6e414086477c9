"""Nothing lost: a bad upload leaves the workspace as it was, and a manifest entry that no
longer loads is listed with its error while the rest of the Overview still shows."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest

from app.web.context import WORKSPACE_KEY
from app.web.pages import overview
from app.web.pages import overview_upload as upload
from tests.app.web.layout_tree import texts


def _csv_contents(target) -> str:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(len(target), 3)), columns=["a", "b", "c"])
    frame["y"] = target
    encoded = base64.b64encode(frame.to_csv(index=False).encode()).decode()
    return "data:text/csv;base64," + encoded


def _upload(client, contents, name, workspace_root):
    """The upload as the browser sends it: one callback request (it checks, never trains)."""
    ids = [upload.UPLOAD, upload.UPLOAD_NAME, upload.UPLOAD_TARGET]
    status, pending = upload.UPLOAD_STATUS, upload.PENDING
    payload = {
        "output": f"..{status}.children...{status}.className...{pending}.data..",
        "outputs": [
            {"id": status, "property": "children"},
            {"id": status, "property": "className"},
            {"id": pending, "property": "data"},
        ],
        "inputs": [{"id": ids[0], "property": "contents", "value": contents}],
        "state": [
            {"id": ids[0], "property": "filename", "value": f"{name}.csv"},
            {"id": ids[1], "property": "value", "value": name},
            {"id": ids[2], "property": "value", "value": "y"},
            {"id": WORKSPACE_KEY, "property": "data", "value": str(workspace_root)},
        ],
        "changedPropIds": [f"{ids[0]}.contents"],
    }
    return client.post("/_dash-update-component", json=payload)


@pytest.fixture
def served(tmp_path):
    from app.web import create_app
    from workbench.workspace import Workspace

    workspace = Workspace.create(tmp_path / "ws")
    app = create_app(workspace, jobs_dir=tmp_path / "jobs")
    return workspace, app.server.test_client()


@pytest.mark.parametrize(
    ("target", "reason"),
    [(np.ones(60, dtype=int), "has one class"), (np.arange(60) % 3 + 1, "class codes 0..2")],
    ids=["one-class", "coded-1-to-3"],
)
def test_a_poisoned_upload_writes_nothing_and_later_uploads_work(served, target, reason):
    from workbench.workspace import Workspace

    workspace, client = served
    manifest = workspace.root / "workspace.json"
    before = manifest.read_text()
    answer = _upload(client, _csv_contents(target), "bad", workspace.root)
    assert answer.status_code == 200
    status = answer.get_json()["response"][upload.UPLOAD_STATUS]
    assert status["className"] == "wb-error"
    assert reason in status["children"] and "\n" not in status["children"]
    assert manifest.read_text() == before
    assert not list((workspace.root / "data").iterdir())
    assert workspace.data_names == [] and workspace.model_names() == []

    good = _upload(client, _csv_contents(np.arange(60) % 2), "good", workspace.root)
    answer = good.get_json()["response"]
    assert answer[upload.UPLOAD_STATUS]["className"] == "wb-muted"  # checked; training next
    upload.register_pending(workspace, answer[upload.PENDING]["data"])  # the job's work
    reopened = Workspace.open(workspace.root)
    assert reopened.data_names == ["good"]
    assert reopened.model_names() == ["good-logistic", "good-mlp"]


def test_a_manifest_entry_that_fails_to_load_is_listed_with_its_error(tmp_path):
    from workbench.workspace import Workspace

    good = tmp_path / "good.csv"
    frame = pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60.0) % 7})
    frame.assign(y=np.arange(60) % 2).to_csv(good, index=False)
    frame.assign(y=1).to_csv(tmp_path / "one.csv", index=False)
    # As a hand edit (or an old bug) leaves it: a missing file, a model that cannot train.
    manifest = {
        "version": 1,
        "data": [
            {"name": "good", "path": str(good), "target": "y"},
            {"name": "gone", "path": str(tmp_path / "gone.csv"), "target": "y"},
            {"name": "one", "path": str(tmp_path / "one.csv"), "target": "y"},
        ],
        "models": [
            {"name": "good-logistic", "data": "good", "kind": "sample", "sample": "logistic"},
            {"name": "one-logistic", "data": "one", "kind": "sample", "sample": "logistic"},
            {"name": "gone-mlp", "data": "gone", "kind": "sample", "sample": "mlp"},
        ],
    }
    (tmp_path / "workspace.json").write_text(json.dumps(manifest))
    workspace = Workspace.open(tmp_path)

    data_table, model_table = overview.workspace_tables(workspace)
    data_text, model_text = texts(data_table), texts(model_table)
    assert "good" in data_text and "60" in data_text
    assert "gone.csv not found" in data_text
    assert "good-logistic" in model_text and "one-logistic" in model_text
    assert "has one class" in model_text
    assert "gone.csv not found" in model_text
