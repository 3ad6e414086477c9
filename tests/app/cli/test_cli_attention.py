"""``workbench attention`` end to end on a small CSV, and models refused before training."""

import json

import numpy as np
import pandas as pd
import pytest

from analyzers.attention_maps import AttentionMapsResult
from app.cli import command as cli
from tests.app.cli.clicks import write_clicks_csv
from tests.deepctr_planted import (
    TARGET,
    factory_kwargs,
    planted_clicks,
    planted_model,
    saved_planted,
)


@pytest.fixture
def csv_path(tmp_path):
    return write_clicks_csv(tmp_path / "clicks.csv", 300)


def _common(csv_path, tmp_path):
    return ["--data", csv_path, "--target", "clicked", "--cache-dir", tmp_path / "cache"]


def test_attention_writes_case_and_global_maps(csv_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(
        [str(a) for a in (
            "attention", "--model", "autoint", *_common(csv_path, tmp_path),
            "--config", "embedding_dim=2", "--config", "n_layers=1", "--config", "head_dim=2",
            "--max-epochs", "1", "--row", "3", "--row", "7", "--sample", "20", "--out", out,
        )]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "global map over 20 test rows, 2 case row(s)" in printed and "attention0" in printed
    assert {p.name for p in out.iterdir()} == {
        "global.html", "row-3.html", "row-7.html", "maps.csv", "cases.csv", "result.json"
    }  # fmt: skip
    result = AttentionMapsResult.from_json((out / "result.json").read_text())
    assert result.rows == (3, 7)
    maps = pd.read_csv(out / "maps.csv")
    per_query = maps[maps["scope"] == "case"].groupby(["row", "head", "query"])["attention"].sum()
    np.testing.assert_allclose(per_query, 1.0, atol=1e-6)  # every query's weights sum to 1
    cases = pd.read_csv(out / "cases.csv")
    assert set(cases.loc[cases["field"] == "colour", "value"]) <= {"red", "green", "blue"}
    assert "size = " in (out / "row-3.html").read_text()


def _no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the model was trained before the refusal")

    monkeypatch.setattr("workbench.zoo.training.sample_ctr_model", refuse)


def test_gates_refuses_autoint_before_training_it(csv_path, tmp_path, capsys, monkeypatch):
    _no_training(monkeypatch)
    code = cli.main(
        [str(a) for a in ("gates", "--model", "autoint", *_common(csv_path, tmp_path),
                          "--out", tmp_path / "out")]
    )  # fmt: skip
    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "AutoInt has only attention sites" in line and "workbench attention" in line


def test_attention_refuses_a_model_without_attention_before_training(
    csv_path, tmp_path, capsys, monkeypatch
):
    _no_training(monkeypatch)
    code = cli.main(
        [str(a) for a in ("attention", "--model", "gdcn", *_common(csv_path, tmp_path),
                          "--out", tmp_path / "out")]
    )  # fmt: skip
    assert code == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "GDCN names no attention sites" in line


def test_attention_reads_a_factory_models_softmax_site(tmp_path, capsys):
    """A DeepCTR AFM (not our zoo) that learned the planted f0 × f1 pair, from its saved
    weights: the maps the command writes are those of the Python call on the same model read
    as probabilities, and the global map gives that pair the most attention."""
    from analyzers.attention_maps import attention_maps
    from workbench.deepctr import wrap_deepctr

    csv, weights = saved_planted("AFM", tmp_path)
    out = tmp_path / "out"
    code = cli.main(
        [str(a) for a in (
            "attention", "--model", "workbench.deepctr:build", "--factory-kwargs",
            json.dumps(factory_kwargs("AFM")), "--weights", weights, "--output-kind",
            "probability", "--data", csv, "--target", TARGET, "--attention-site", "fm@softmax",
            "--row", "5", "--sample", "40", "--out", out,
        )]
    )  # fmt: skip
    assert code == 0
    assert "global map over 40 rows, 1 case row(s)" in capsys.readouterr().out
    written = pd.read_csv(out / "maps.csv")
    expected = attention_maps(
        wrap_deepctr(planted_model("AFM")), planted_clicks()[1], rows=[5], sites=["fm@softmax"],
        sample=40,
    ).maps  # fmt: skip
    np.testing.assert_allclose(written["attention"], expected["attention"], rtol=1e-6)
    overall = written[written["scope"] == "global"].dropna(subset=["attention"])
    top = overall.loc[overall["attention"].idxmax()]
    assert {top["query"], top["key"]} == {"f0", "f1"}  # the learnt pair, not a uniform map


def test_attention_sites_are_for_factory_models_only(csv_path, tmp_path, capsys, monkeypatch):
    _no_training(monkeypatch)
    code = cli.main(
        [str(a) for a in (
            "attention", "--model", "autoint", *_common(csv_path, tmp_path),
            "--attention-site", "layers.0@softmax", "--out", tmp_path / "out",
        )]
    )  # fmt: skip
    assert code != 0
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "--attention-site/--weights: only with --model package.module:callable" in line
