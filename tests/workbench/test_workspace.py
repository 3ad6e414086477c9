"""Workspaces: manifest, loading models once, and cached analyses."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from app.analyses import analysis, compute_result, result_key, stored_result
from workbench.errors import DataError, ParameterError
from workbench.workspace import DataEntry, ModelEntry, Workspace


@pytest.fixture
def interaction_csv(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.integers(0, 2, size=(400, 3)), columns=["a", "b", "c"])
    frame["y"] = (frame["a"] ^ frame["b"]).astype(int)
    path = tmp_path / "xor.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def workspace(tmp_path, interaction_csv):
    space = Workspace.create(tmp_path / "ws")
    space.add_data(DataEntry("xor", str(interaction_csv), "y"))
    space.add_model(ModelEntry("xor-logistic", "xor", "sample", sample="logistic"))
    return space


def test_manifest_round_trip(workspace):
    reopened = Workspace.open(workspace.root)
    assert reopened.data_names == ["xor"]
    assert reopened.model_names("xor") == ["xor-logistic"]
    content = json.loads((workspace.root / "workspace.json").read_text())
    assert content["models"][0]["sample"] == "logistic"


def test_model_is_loaded_once_with_metrics(workspace):
    first = workspace.model("xor-logistic")
    assert workspace.model("xor-logistic") is first
    assert first.rows.n_rows == 80  # the 20% test split
    assert 0 < first.metrics["loss"] < 1 and 0 <= first.metrics["accuracy"] <= 1


def test_analysis_is_computed_once_then_served_from_the_store(workspace, monkeypatch):
    parameters = {"epsilon_rate": 0.1, "approximator": "exact"}
    assert stored_result(workspace, "rashomon", "xor-logistic", parameters) is None
    result = compute_result(workspace, "rashomon", "xor-logistic", parameters)
    key = result_key(workspace, "rashomon", "xor-logistic", parameters)
    assert key in workspace.store
    assert result.model_names == ("xor-logistic",)

    import analyzers.rashomon

    def must_not_run(*args, **kwargs):
        raise AssertionError("a cached result was recomputed")

    monkeypatch.setattr(analyzers.rashomon, "explore_rashomon", must_not_run)
    again = Workspace.open(workspace.root)  # a second process would read the same files
    cached = stored_result(again, "rashomon", "xor-logistic", parameters)
    pd.testing.assert_frame_equal(cached.fis_cloud, result.fis_cloud, check_dtype=False)
    assert compute_result(again, "rashomon", "xor-logistic", parameters).epsilon == result.epsilon


def test_rashomon_defaults_are_the_analyzers():
    import inspect

    from analyzers.rashomon import explore_rashomon

    signature = inspect.signature(explore_rashomon).parameters
    defaults = analysis("rashomon").defaults
    assert "epsilon_rate" in defaults
    for name, value in defaults.items():
        assert value == signature[name].default, name


def test_defaults_fill_the_key_so_equal_settings_share_a_result(workspace):
    implicit = result_key(workspace, "rashomon", "xor-logistic", {})
    explicit = result_key(workspace, "rashomon", "xor-logistic", {"epsilon_rate": "0.1"})
    assert implicit.digest == explicit.digest


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"epsilon": 0.1}, "unknown parameter 'epsilon'"),
        ({"epsilon_rate": "lots"}, "epsilon_rate: expected a float"),
        ({"approximator": "magic"}, "approximator: expected one of"),
        ({"estimator": "exact"}, "unknown parameter 'estimator'"),
    ],
)
def test_bad_parameters_are_one_line_errors(workspace, parameters, message):
    with pytest.raises(ParameterError, match=message):
        result_key(workspace, "rashomon", "xor-logistic", parameters)


def test_registration_errors(workspace, tmp_path):
    with pytest.raises(ParameterError, match="already in the workspace"):
        workspace.add_model(ModelEntry("xor-logistic", "xor", "sample", sample="mlp"))
    with pytest.raises(ParameterError, match="unknown data set 'nope'"):
        workspace.add_model(ModelEntry("m", "nope", "sample", sample="mlp"))
    with pytest.raises(ParameterError, match="unknown sample model 'forest'"):
        workspace.add_model(ModelEntry("m", "xor", "sample", sample="forest"))
    with pytest.raises(DataError, match="not found"):
        workspace.add_data(DataEntry("ghost", str(tmp_path / "ghost.csv"), "y"))
    with pytest.raises(ParameterError, match="unknown name 'nope'"):
        workspace.model("nope")
    with pytest.raises(ParameterError, match="has no workspace"):
        Workspace.open(tmp_path / "empty")


def test_in_memory_models_are_not_written_to_the_manifest(workspace):
    from sklearn.linear_model import LogisticRegression

    dataset = workspace.dataset("xor")
    model = LogisticRegression().fit(dataset.X.numpy(), dataset.y.numpy().astype(int))
    workspace.add_model_object("mine", model, "xor", task="classification")
    assert "mine" in workspace.model_names()
    assert "mine" not in Workspace.open(workspace.root).model_names()


def test_fisc_refuses_coded_fields_in_one_line(tmp_path):
    """Scaling a category code gives another category: FISC's model class does not apply."""
    from workbench.workspace import demo_workspace

    demo = demo_workspace(tmp_path)
    assert demo.model_names("adult", kind="zoo") == [
        "adult-finalmlp",
        "adult-gdcn",
        "adult-autoint",
        "adult-fcn",
    ]
    assert demo.model_names("compas", kind="zoo") == []
    assert not demo.dataset("compas").code_levels
    with pytest.raises(ParameterError, match="meaningless for coded fields"):
        compute_result(demo, "rashomon", "adult-finalmlp", {})
    assert demo.store.entries() == []


def test_a_data_set_and_models_are_registered_only_if_all_load(workspace, tmp_path):
    from workbench.errors import DataError

    frame = pd.read_csv(workspace.data_entry("xor").path)
    frame.assign(y=1).to_csv(tmp_path / "one.csv", index=False)
    manifest = (workspace.root / "workspace.json").read_text()
    models = [ModelEntry(f"one-{s}", "one", "sample", sample=s) for s in ("logistic", "mlp")]
    with pytest.raises(DataError, match="target 'y' has one class"):
        workspace.add_data_with_models(DataEntry("one", str(tmp_path / "one.csv"), "y"), models)
    assert (workspace.root / "workspace.json").read_text() == manifest
    assert "one" not in workspace.data_names and "one-mlp" not in workspace.model_names()
    # A name already taken is refused, and the data set holding it stays as it was.
    with pytest.raises(ParameterError, match="'xor' is already in the workspace"):
        workspace.add_data_with_models(DataEntry("xor", str(tmp_path / "one.csv"), "y"), [])
    assert workspace.dataset("xor").n_rows == len(frame)
