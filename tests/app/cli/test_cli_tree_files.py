"""xgboost/lightgbm native files on the command line: ``workbench interactions --model
model.json`` end to end (no --trust-pickle: the file runs no code), ``add-model`` of such a file,
and a file trained on other columns refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analyzers.interaction_result import InteractionResult
from app.applicability import tree_index_reason
from app.cli.command import main
from workbench.workspace import MANIFEST_NAME, Workspace

lightgbm = pytest.importorskip("lightgbm")
xgboost = pytest.importorskip("xgboost")

FEATURES = ["a", "b", "c", "d"]


@pytest.fixture
def planted(tmp_path):
    """A CSV whose label's log-odds is 3·a·b, and an xgboost and a lightgbm model of it."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 4)), columns=FEATURES)
    logit = 3.0 * frame["a"] * frame["b"]
    frame["y"] = (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)
    frame.to_csv(tmp_path / "data.csv", index=False)
    small = {"n_estimators": 20, "max_depth": 3}
    xgb_model = xgboost.XGBClassifier(**small).fit(frame[FEATURES], frame["y"])
    xgb_model.save_model(str(tmp_path / "model.json"))
    lgb_model = lightgbm.LGBMClassifier(**small, verbose=-1).fit(frame[FEATURES], frame["y"])
    lgb_model.booster_.save_model(str(tmp_path / "model.txt"))
    return tmp_path


def _interactions(folder, model, *options):
    argv = ["interactions", "--data", folder / "data.csv", "--target", "y", "--model", model]
    argv += ["--out", folder / "out", "--formats", "", "--rows", "30", *options]
    return main([str(a) for a in argv])


@pytest.mark.parametrize(
    ("model", "index"), [("model.json", "sii"), ("model.json", "tree"), ("model.txt", "tree")]
)
def test_interactions_reads_a_native_file_without_trust(planted, capsys, model, index):
    code = _interactions(planted, planted / model, "--index", index, "--background", "20")
    assert code == 0, capsys.readouterr().err
    result = InteractionResult.from_json((planted / "out" / "result.json").read_text())
    assert result.model_name == "model" and result.settings["output"] == "logit"
    assert pd.read_csv(planted / "out" / "pairs.csv")["pair"].iloc[0] == "a × b"


def test_a_file_trained_on_other_columns_is_one_line(planted, capsys):
    frame = pd.read_csv(planted / "data.csv").rename(columns={"d": "e"})
    frame.to_csv(planted / "data.csv", index=False)
    for index in ("sii", "tree"):
        code = _interactions(planted, planted / "model.json", "--index", index)
        err = capsys.readouterr().err.strip()
        assert code == 2 and len(err.splitlines()) == 1
        assert "missing from the data: d; not used by the model: e" in err


def test_add_model_registers_a_native_file_for_every_index(planted, capsys):
    folder = planted / "ws"
    base = ["--workspace", str(folder), "--data"]
    assert (
        main(["add-data", *base, str(planted / "data.csv"), "--name", "toy", "--target", "y"]) == 0
    )
    code = main(["add-model", *base, "toy", "--name", "xgb", "--file", str(planted / "model.json")])
    assert code == 0, capsys.readouterr().err
    (entry,) = json.loads((folder / MANIFEST_NAME).read_text())["models"]
    assert entry["trusted"] is False
    workspace = Workspace.open(folder)
    loaded = workspace.model("xgb")
    assert loaded.adapter.task == "classification" and loaded.metrics["rows"] == 300
    assert type(loaded.estimator).__name__ == "Booster"  # index "tree" reads its trees
    assert tree_index_reason(workspace, "xgb") is None
    from app.analyses import compute_result  # what the Interactions page runs

    for index in ("tree", "h2"):
        result = compute_result(workspace, "interactions", "xgb", {"index": index, "rows": 30})
        assert result.global_scores().sort_values("value")["pair"].iloc[-1] == "a × b"
