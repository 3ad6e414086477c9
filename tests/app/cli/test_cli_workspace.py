"""`workbench add-data` / `add-model`: a workspace grows from the command line, and a file that
cannot be used is refused in one line with the manifest untouched."""

from __future__ import annotations

import json

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from app.cli.command import main
from workbench.workspace import MANIFEST_NAME, Workspace

N_FEATURES = 3


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, N_FEATURES))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame["y"] = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    path = tmp_path / "table.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def workspace(tmp_path, table):
    folder = tmp_path / "ws"
    assert main(["add-data", "--workspace", str(folder), "--name", "toy", "--data", str(table),
                 "--target", "y"]) == 0  # fmt: skip
    return folder


def torchscript(path, n_inputs: int):
    module = torch.nn.Sequential(torch.nn.Linear(n_inputs, 1))
    torch.jit.script(module).save(str(path))
    return path


def manifest(folder) -> dict:
    return json.loads((folder / MANIFEST_NAME).read_text())


def test_add_data_with_sample_models(tmp_path, table, capsys):
    folder = tmp_path / "new"
    code = main(
        ["add-data", "--workspace", str(folder), "--name", "toy", "--data", str(table),
         "--target", "y", "--sample-models", "logistic"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    content = manifest(folder)
    assert [d["name"] for d in content["data"]] == ["toy"]
    assert [(m["name"], m["sample"]) for m in content["models"]] == [("toy-logistic", "logistic")]
    assert "toy-logistic" in capsys.readouterr().out
    assert Workspace.open(folder).model("toy-logistic").metrics["rows"] == 12  # the 20% split


def test_add_data_refuses_a_missing_target_writing_nothing(tmp_path, table, capsys):
    folder = tmp_path / "new"
    code = main(
        ["add-data", "--workspace", str(folder), "--name", "toy", "--data", str(table),
         "--target", "nope", "--sample-models", "logistic"]
    )  # fmt: skip
    error = capsys.readouterr().err.strip()
    assert code == 2 and len(error.splitlines()) == 1 and "nope" in error
    assert manifest(folder)["data"] == []


def test_add_model_registers_a_torchscript_file(workspace, tmp_path, capsys):
    path = torchscript(tmp_path / "net.pt", N_FEATURES)
    code = main(
        ["add-model", "--workspace", str(workspace), "--name", "net", "--data", "toy",
         "--file", str(path)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    (entry,) = manifest(workspace)["models"]
    assert entry["kind"] == "file" and entry["path"] == str(path) and entry["trusted"] is False
    loaded = Workspace.open(workspace).model("net")
    assert loaded.metrics["rows"] == 60  # a model file is explained on every row


def _refusal(workspace, argv, capsys) -> str:
    before = (workspace / MANIFEST_NAME).read_text()
    code = main(["add-model", "--workspace", str(workspace), "--name", "net", *argv])
    error = capsys.readouterr().err.strip()
    assert code == 2, error
    assert len(error.splitlines()) == 1
    assert (workspace / MANIFEST_NAME).read_text() == before  # nothing written
    return error


def test_add_model_refuses_a_file_that_is_not_a_model(workspace, tmp_path, capsys):
    path = tmp_path / "broken.pt"
    path.write_bytes(b"not a torchscript archive")
    error = _refusal(workspace, ["--data", "toy", "--file", str(path)], capsys)
    assert "broken.pt" in error


def test_add_model_refuses_a_missing_file(workspace, tmp_path, capsys):
    error = _refusal(workspace, ["--data", "toy", "--file", str(tmp_path / "none.pt")], capsys)
    assert "none.pt" in error


def test_add_model_refuses_a_pickle_without_trust(workspace, tmp_path, capsys, table):
    frame = pd.read_csv(table)
    path = tmp_path / "logistic.joblib"
    joblib.dump(LogisticRegression().fit(frame[["a", "b", "c"]].values, frame["y"]), path)
    error = _refusal(workspace, ["--data", "toy", "--file", str(path)], capsys)
    assert "pickle" in error and "--trust-pickle" in error
    code = main(
        ["add-model", "--workspace", str(workspace), "--name", "net", "--data", "toy",
         "--file", str(path), "--trust-pickle"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert manifest(workspace)["models"][0]["trusted"] is True


def test_add_model_refuses_an_unknown_data_set(workspace, tmp_path, capsys):
    path = torchscript(tmp_path / "net.pt", N_FEATURES)
    error = _refusal(workspace, ["--data", "nope", "--file", str(path)], capsys)
    assert "'nope'" in error


def test_add_model_refuses_a_model_of_another_input_width(workspace, tmp_path, capsys):
    path = torchscript(tmp_path / "wide.pt", N_FEATURES + 2)
    error = _refusal(workspace, ["--data", "toy", "--file", str(path)], capsys)
    assert "does not predict on data set 'toy'" in error and "3 features" in error
