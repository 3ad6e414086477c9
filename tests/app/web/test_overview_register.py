"""The Overview's "Register a model file on the server": a TorchScript file on disk is checked
and listed; a pickle the manifest does not trust, and a model of another width, are refused in
one line with the manifest untouched."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from app.web.pages import overview, overview_register
from workbench.workspace import MANIFEST_NAME, DataEntry, ModelEntry


@pytest.fixture
def served(tmp_path):
    from app.web import create_app
    from workbench.workspace import Workspace

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(40, 3)), columns=["a", "b", "c"])
    frame["y"] = (frame["a"] > 0).astype(int)
    frame.to_csv(tmp_path / "toy.csv", index=False)
    workspace = Workspace.create(tmp_path / "ws")
    workspace.add_data(DataEntry("toy", str(tmp_path / "toy.csv"), "y"))
    app = create_app(workspace, jobs_dir=tmp_path / "jobs")
    return workspace, app, frame


def _register(app, path, name, data="toy", task="auto") -> dict:
    """The Register click as the browser sends it: one callback request."""
    (output,) = [key for key in app.callback_map if overview_register.STATUS in key]
    states = {
        overview_register.PATH_FIELD: path,
        overview_register.NAME_FIELD: name,
        overview_register.DATA_FIELD: data,
        overview_register.TASK_FIELD: task,
    }
    payload = {
        "output": output,
        "outputs": [
            {"id": overview_register.STATUS, "property": "children"},
            {"id": overview_register.STATUS, "property": "className"},
            {"id": overview.TABLES, "property": output.split(f"{overview.TABLES}.")[1][:-2]},
        ],
        "inputs": [{"id": overview_register.REGISTER, "property": "n_clicks", "value": 1}],
        "state": [{"id": i, "property": "value", "value": v} for i, v in states.items()],
        "changedPropIds": [f"{overview_register.REGISTER}.n_clicks"],
    }
    answer = app.server.test_client().post("/_dash-update-component", json=payload)
    assert answer.status_code == 200
    return answer.get_json()["response"]


def _torchscript(path, width: int):
    torch.jit.script(torch.nn.Sequential(torch.nn.Linear(width, 1))).save(str(path))
    return str(path)


def test_the_page_offers_a_server_path_never_a_model_upload(served):
    workspace, _, _ = served
    section = overview_register.register_section(workspace)
    text = str(section)
    assert "Register a model file on the server" in text and "Path on the server" in text
    assert "Upload" not in text


def test_a_torchscript_file_is_registered_and_listed(served, tmp_path):
    workspace, app, _ = served
    response = _register(app, _torchscript(tmp_path / "net.pt", 3), "net")
    status = response[overview_register.STATUS]
    assert status["className"] == "wb-ok", status["children"]
    assert "'net'" in status["children"]
    assert "net" in str(response[overview.TABLES]["children"])  # the models grid lists it
    assert '"name": "net"' in (workspace.root / MANIFEST_NAME).read_text()


@pytest.mark.parametrize("case", ["pickle", "width", "empty-path"])
def test_a_file_that_cannot_be_used_is_refused_in_one_line(served, tmp_path, case):
    workspace, app, frame = served
    if case == "pickle":
        path = tmp_path / "model.joblib"
        joblib.dump(LogisticRegression().fit(frame[["a", "b", "c"]], frame["y"]), path)
        expected = "cannot grant that trust"
    elif case == "width":
        path, expected = _torchscript(tmp_path / "wide.pt", 5), "3 features"
    else:
        path, expected = "", "path: enter"
    before = (workspace.root / MANIFEST_NAME).read_text()
    status = _register(app, str(path), "net")[overview_register.STATUS]
    assert status["className"] == "wb-error"
    assert expected in status["children"] and "\n" not in status["children"]
    assert (workspace.root / MANIFEST_NAME).read_text() == before
    assert workspace.model_names() == []


def test_a_pickle_the_manifest_already_trusts_can_be_registered_again(served, tmp_path):
    workspace, app, frame = served
    path = tmp_path / "model.joblib"
    joblib.dump(LogisticRegression().fit(frame[["a", "b", "c"]].values, frame["y"]), path)
    # as `workbench add-model --trust-pickle` leaves it
    workspace.add_model(ModelEntry("first", "toy", "file", path=str(path), trusted=True))
    status = _register(app, str(path), "second")[overview_register.STATUS]
    assert status["className"] == "wb-ok", status["children"]
    assert workspace.model_entry("second").trusted is True


def test_an_xgboost_file_needs_no_trust_and_its_features_are_checked(served, tmp_path):
    xgboost = pytest.importorskip("xgboost")
    workspace, app, frame = served
    model = xgboost.XGBClassifier(n_estimators=3).fit(frame[["a", "b", "c"]], frame["y"])
    model.save_model(str(tmp_path / "xgb.json"))
    status = _register(app, str(tmp_path / "xgb.json"), "xgb")[overview_register.STATUS]
    assert status["className"] == "wb-ok", status["children"]
    assert workspace.model_entry("xgb").trusted is False  # read as is: it runs no code
    other = xgboost.XGBClassifier(n_estimators=3).fit(
        frame[["a", "b", "c"]].rename(columns={"c": "z"}), frame["y"]
    )
    other.save_model(str(tmp_path / "other.json"))
    status = _register(app, str(tmp_path / "other.json"), "other")[overview_register.STATUS]
    assert status["className"] == "wb-error" and "\n" not in status["children"]
    assert "missing from the data: z; not used by the model: c" in status["children"]
    assert workspace.model_names() == ["xgb"]
