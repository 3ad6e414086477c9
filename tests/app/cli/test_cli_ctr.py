"""``workbench train`` and ``workbench gates`` end to end on small data."""

import json

import numpy as np
import pandas as pd
import pytest

from analyzers.gate_results import GateReport
from app.cli import command as cli


@pytest.fixture
def csv_path(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "size": rng.choice(["S", "M", "L", "XL"], n),
            "age": rng.integers(18, 80, n),
        }
    )
    logit = 1.5 * (frame["colour"] == "red") * (frame["size"] == "L") + (frame["age"] > 50) - 1
    frame["clicked"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    path = tmp_path / "clicks.csv"
    frame.to_csv(path, index=False)
    return path


def run(*argv):
    return cli.main([str(a) for a in argv])


def test_train_writes_weights_and_config(csv_path, tmp_path, capsys):
    code = run(
        "train", "--model", "gdcn", "--data", csv_path, "--target", "clicked",
        "--config", "n_cross=1", "--config", "embedding_dim=4", "--max-epochs", "3",
        "--cache-dir", tmp_path / "cache", "--out", tmp_path / "model",
    )  # fmt: skip
    assert code == 0
    assert "test AUC" in capsys.readouterr().out
    document = json.loads((tmp_path / "model" / "gdcn.json").read_text())
    assert document["config"]["n_cross"] == 1 and "test_auc" in document["metrics"]
    assert document["config"]["field_names"] == ["colour", "size", "age"]
    assert (tmp_path / "model" / "gdcn.pt").is_file()


@pytest.mark.slow
def test_gates_writes_report_tables_and_figures(csv_path, tmp_path, capsys):
    out = tmp_path / "gates"
    code = run(
        "gates", "--model", "finalmlp", "--data", csv_path, "--target", "clicked",
        "--config", "embedding_dim=4", "--max-epochs", "2", "--cache-dir", tmp_path / "cache",
        "--out", out, "--n-bootstrap", "20", "--attribution-rows", "30",
        "--n-permutations", "2", "--formats", "html",
    )  # fmt: skip
    assert code == 0
    assert "largest zero-ablation effects" in capsys.readouterr().out
    report = GateReport.from_json((out / "report.json").read_text())
    assert report.ablation.sites == ("stream1_gate", "stream2_gate", "fusion")
    names = {p.name for p in out.iterdir()}
    assert {"gate_statistics.csv", "gate_ablation.csv", "field_interactions.csv"} <= names
    assert "gate_distribution_stream1_gate.html" in names and "ablation_fusion.html" in names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".gates-")]  # no staging left


def test_errors_are_one_line(csv_path, tmp_path, capsys):
    assert run("train", "--model", "deepfm", "--data", csv_path, "--target", "clicked") == 2
    assert "unknown CTR model 'deepfm'" in capsys.readouterr().err
    assert run("train", "--model", "gdcn", "--data", csv_path) == 2
    assert "--target is required" in capsys.readouterr().err
    assert run("train", "--model", "gdcn", "--data", "criteo") == 2
    assert "neither" in capsys.readouterr().err
    assert run("gates", "--model", "gdcn", "--data", csv_path, "--target", "clicked",
               "--config", "oops", "--out", tmp_path / "x") == 2  # fmt: skip
    assert "expected KEY=VALUE" in capsys.readouterr().err


def test_gates_of_an_optfs_whose_gates_stayed_soft_warn_in_the_report_and_on_the_page(
    csv_path, tmp_path
):
    """final_temperature=1 leaves OptFS's gates σ(m) soft after its search: the report
    ``workbench gates`` writes carries soft_gates, and the Gates page's view of it shows it."""
    from app.web.pages.gates_view import result_view
    from tests.app.web.layout_tree import texts

    out = tmp_path / "gates"
    code = run(
        "gates", "--model", "optfs", "--data", csv_path, "--target", "clicked",
        "--config", "embedding_dim=2", "--config", "hidden=[4]",
        "--config", "final_temperature=1", "--max-epochs", "1",
        "--cache-dir", tmp_path / "cache", "--out", out, "--n-bootstrap", "10",
        "--no-attributions", "--no-interactions", "--formats", "html",
    )  # fmt: skip
    assert code == 0
    report = GateReport.from_json((out / "report.json").read_text())
    (soft,) = [d for d in report.diagnostics if d.code == "soft_gates"]
    assert "of this OptFS's value gates" in soft.message and "(τ = 1)" in soft.message
    page = texts(result_view(report, "clicks", "optfs", {}, None, None, None))
    assert soft.message in page
