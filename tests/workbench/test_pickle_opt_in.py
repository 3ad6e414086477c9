"""Pickle files load only on an explicit opt-in, and are refused before they are opened."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from workbench.errors import ModelError
from workbench.models import load_model_file
from workbench.workspace import DataEntry, ModelEntry, Workspace


class Evil:
    """Pickles to a call of ``Path.touch``: unpickling it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def evil(tmp_path):
    marker = tmp_path / "pickle-ran"
    path = tmp_path / "evil.joblib"
    path.write_bytes(pickle.dumps(Evil(marker)))
    return path, marker


def test_an_untrusted_pickle_is_refused_unopened(evil):
    path, marker = evil
    with pytest.raises(ModelError, match=r"evil\.joblib.*trust_pickle=True"):
        load_model_file(path)
    assert not marker.exists()
    with pytest.raises(ModelError):  # opened only when trusted: the code runs, gives no model
        load_model_file(path, trust_pickle=True)
    assert marker.exists()


@pytest.fixture
def workspace(tmp_path, rng):
    frame = pd.DataFrame(rng.integers(0, 2, size=(40, 2)), columns=["a", "b"])
    frame["y"] = frame["a"] ^ frame["b"]
    frame.to_csv(tmp_path / "data.csv", index=False)
    joblib.dump(LogisticRegression().fit(frame[["a", "b"]], frame["y"]), tmp_path / "ok.joblib")
    workspace = Workspace.create(tmp_path / "ws")
    workspace.add_data(DataEntry(name="d", path=str(tmp_path / "data.csv"), target="y"))
    return workspace


def test_a_workspace_loads_only_the_pickles_marked_trusted(workspace, evil, tmp_path):
    path, marker = evil
    workspace.add_model(ModelEntry(name="evil", data="d", kind="file", path=str(path)))
    trusted = ModelEntry(name="ok", data="d", kind="file", path=str(tmp_path / "ok.joblib"))
    workspace.add_model(ModelEntry(**{**trusted.__dict__, "trusted": True}))
    manifest = json.loads((workspace.root / "workspace.json").read_text())
    assert {m["name"]: m["trusted"] for m in manifest["models"]} == {"evil": False, "ok": True}
    reopened = Workspace.open(workspace.root)  # as `workbench serve --workspace` warms up
    with pytest.raises(ModelError, match='"trusted": true'):
        reopened.model("evil")
    assert not marker.exists()
    assert np.isfinite(reopened.model("ok").metrics["loss"])
