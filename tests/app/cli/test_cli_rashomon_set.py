"""``workbench rashomon-set`` end to end on tiny data: the report folder and one-line errors."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from analyzers.model_sets import ModelSetResult
from app.cli import command as cli


@pytest.fixture
def csv_path(tmp_path):
    """Binary features, the label planted on a·b; d is noise."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.integers(0, 2, size=(300, 4)), columns=["a", "b", "c", "d"])
    logit = 3.0 * (frame["a"] * frame["b"]) - 1.5 + 0.5 * frame["c"]
    frame["y"] = (rng.random(300) < 1 / (1 + np.exp(-logit))).astype(int)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return path


def run_set(data, out, *options):
    argv = ["rashomon-set", "--data", data, "--target", "y", "--out", out, "--no-progress"]
    return cli.main([str(a) for a in [*argv, *options]])


def test_retrain_writes_the_range_table_and_consensus(csv_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = run_set(
        csv_path, out, "--learner", "gbt", "--param-grid", "n_estimators=20;max_depth=2",
        "--seeds", "0,1", "--n-bootstrap", "2", "--index", "h2", "--rows", "30",
        "--epsilon-rate", "0.5",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    names = {p.name for p in out.iterdir()}
    assert {"result.json", "ranges.csv", "members.csv", "order_shares.csv", "hasse.csv"} <= names
    # The page's figures, as HTML by default: the cloud, the consensus graph, the order shares.
    assert {"cloud.html", "consensus_graph.html", "order_shares.html"} <= names
    result = ModelSetResult.from_json((out / "result.json").read_text())
    assert result.builder == "retrained" and len(result.model_names) == 4
    graph = (out / "consensus_graph.html").read_text()
    assert "How to read this" in graph
    ranges = pd.read_csv(out / "ranges.csv")
    assert ranges["pair"].iloc[0] == "a × b" and len(ranges) == 6
    assert "robust top-3: a × b" in capsys.readouterr().out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")]


def test_fitted_models_from_files(csv_path, tmp_path, capsys):
    frame = pd.read_csv(csv_path)
    X, y = frame[["a", "b", "c", "d"]].to_numpy(), frame["y"]
    paths = []
    for name, model in [
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("logistic", LogisticRegression()),
    ]:
        paths.append(tmp_path / f"{name}.joblib")
        joblib.dump(model.fit(X, y), paths[-1])
    out = tmp_path / "out"
    models = ",".join(str(p) for p in paths)
    options = ["--builder", "fitted", "--models", models, "--index", "fis", "--epsilon-rate", "1"]
    # joblib runs code when it loads: refused, before any work, until the user says it trusts them
    assert run_set(csv_path, out, *options) == 2
    assert "--trust-pickle" in capsys.readouterr().err
    assert not out.exists()
    assert run_set(csv_path, out, *options, "--trust-pickle") == 0, capsys.readouterr().err
    members = pd.read_csv(out / "members.csv")
    assert members["member"].tolist() == ["tree", "logistic"] and members["in_set"].all()
    assert set(pd.read_csv(out / "clouds.csv")["member"]) == {"tree", "logistic"}
    diagnostics = pd.read_csv(out / "diagnostics.csv")
    assert diagnostics["code"].tolist() == ["few_models_in_set"]


def test_bad_options_fail_in_one_line(csv_path, tmp_path, capsys):
    assert run_set(csv_path, tmp_path / "o", "--builder", "fitted") == 2
    assert capsys.readouterr().err.strip() == (
        "workbench: error: --models: --builder fitted needs comma-separated model files"
    )
    assert run_set(csv_path, tmp_path / "o", "--param-grid", "max_depth") == 2
    assert "--param-grid: expected 'name=v1,v2;...'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.fixture
def exported_net(tmp_path):
    """A 4-8-8-1 ReLU network saved with torch.export (a model file with a dynamic batch)."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(4, 8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 1),
    )
    batch = {0: torch.export.Dim("rows")}
    path = tmp_path / "net.pt2"
    torch.export.save(torch.export.export(net, (torch.zeros(2, 4),), dynamic_shapes=(batch,)), path)
    return path


def test_dropout_set_of_an_exported_torch_model(csv_path, exported_net, tmp_path, capsys):
    out = tmp_path / "out"
    code = run_set(
        csv_path, out, "--builder", "dropout", "--model", exported_net, "--members", "6",
        "--dropout-mode", "weights", "--index", "h2", "--rows", "20", "--epsilon-rate", "0.05",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    result = ModelSetResult.from_json((out / "result.json").read_text())
    settings = result.settings["builder_settings"]
    # The exported model keeps its Linear layers as plain modules with a 2-D weight.
    assert result.builder == "dropout" and settings["layers"] == ["0", "2"]
    members = pd.read_csv(out / "members.csv")
    rate = settings["rate"]
    assert members["member"].tolist() == [f"dropout p={rate:.3g} #{k}" for k in range(6)]
    search = pd.read_csv(out / "rate_search.csv")
    assert search["rate"].iloc[0] == settings["max_rate"]
    assert search.loc[search["rate"] == rate, "meets_share"].all()


def test_dropout_refuses_trees_and_unknown_layers_in_one_line(
    csv_path, exported_net, tmp_path, capsys
):
    options = ["--builder", "dropout", "--rate", "0.1", "--members", "2"]
    assert run_set(csv_path, tmp_path / "o", *options, "--model", "gbt") == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "workbench: error: --model: gbt (boosted trees) has no torch module to drop units "
        "from; use --builder retrain for trees"
    )
    model = ["--model", str(exported_net), "--dropout-mode", "weights"]
    assert run_set(csv_path, tmp_path / "o", *options, *model, "--layers", "nope") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("workbench: error: layers: 'nope' is not a module of the model")
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_mask_set_of_a_sample_model_writes_the_same_report(csv_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = run_set(
        csv_path, out, "--builder", "masks", "--model", "logistic", "--members", "5",
        "--index", "h2", "--rows", "20", "--epsilon-rate", "0.1",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    names = {p.name for p in out.iterdir()}
    assert {"result.json", "ranges.csv", "members.csv", "order_shares.csv", "hasse.csv"} <= names
    result = ModelSetResult.from_json((out / "result.json").read_text())
    assert result.builder == "masks" and len(result.model_names) == 5
    members = pd.read_csv(out / "members.csv")
    # The reference model (every mask 1) is L*; the others are FISC's masks around it.
    assert members["member"].iloc[0] == "reference" and members["loss_increase"].iloc[0] == 0
    assert members["description"].str.contains("kind=boundary|kind=joint").iloc[1:].all()
    assert "search_stops" in result.settings["builder_settings"]


def test_retrain_rerun_reads_its_members_from_the_cache(csv_path, tmp_path, capsys):
    options = ["--learner", "logistic", "--seeds", "0,1", "--index", "h2", "--rows", "20"]
    cache = tmp_path / "store"
    assert run_set(csv_path, tmp_path / "first", *options, "--cache", cache) == 0
    assert "members: 0 cached, 2 trained" in capsys.readouterr().out
    assert len(list((cache / "members").glob("*.joblib"))) == 2
    assert (
        run_set(csv_path, tmp_path / "second", *options, "--cache", cache, "--seeds", "0,1,2") == 0
    )
    assert "members: 2 cached, 1 trained" in capsys.readouterr().out
    first = pd.read_csv(tmp_path / "first" / "members.csv")
    second = pd.read_csv(tmp_path / "second" / "members.csv")
    assert second["loss"].head(2).tolist() == first["loss"].tolist()
    assert run_set(csv_path, tmp_path / "third", *options, "--no-cache") == 0
    assert "members:" not in capsys.readouterr().out


def test_fitted_native_tree_files_are_checked_against_the_data(csv_path, tmp_path, capsys):
    xgboost = pytest.importorskip("xgboost")
    frame = pd.read_csv(csv_path)
    features = ["a", "b", "c", "d"]
    model = xgboost.XGBClassifier(n_estimators=5, max_depth=2)
    model.fit(frame[features].rename(columns={"d": "e"}), frame["y"])  # trained on a, b, c, e
    model.save_model(tmp_path / "other.json")
    code = run_set(
        csv_path, tmp_path / "o", "--builder", "fitted", "--models", tmp_path / "other.json"
    )
    assert code == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "missing from the data: e" in error[0], error


def test_the_shapley_cost_is_printed_before_the_members_are_scored(csv_path, tmp_path, capsys):
    # 4 groups: exact SII is 2**4 = 16 coalitions × 10 rows × 5 background rows × 2 members
    code = run_set(
        csv_path, tmp_path / "out", "--learner", "logistic", "--seeds", "0,1",
        "--n-bootstrap", "1", "--index", "sii", "--rows", "10", "--background", "5",
        "--epsilon-rate", "1.0", "--formats", "",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "cost: SII on 4 groups: exact, 16 coalitions × 10 rows × 5 background rows × 2 members "
        "(at most 1,600 model rows; groups a row shares with a background row are skipped)"
    )
