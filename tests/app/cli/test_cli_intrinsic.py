"""``workbench intrinsic`` end to end on a small CSV."""

import json

import numpy as np
import pandas as pd
import pytest

from analyzers.intrinsic_interactions import IntrinsicInteractionResult
from app.cli import command as cli
from tests.app.cli.clicks import write_clicks_csv
from tests.deepctr_planted import (
    PLANTED_PAIR,
    TARGET,
    factory_kwargs,
    planted_clicks,
    planted_model,
    saved_planted,
)


@pytest.fixture
def csv_path(tmp_path):
    return write_clicks_csv(tmp_path / "clicks.csv", 600)


def test_intrinsic_prints_the_agreement_and_writes_the_tables(csv_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(
        [str(a) for a in (
            "intrinsic", "--model", "dcnv2", "--data", csv_path, "--target", "clicked",
            "--config", "embedding_dim=2", "--config", "n_cross=1", "--config", "cross_type=full",
            "--max-epochs", "2", "--cache-dir", tmp_path / "cache", "--rows", "20",
            "--background", "10", "--out", out,
        )]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "cross0" in printed and "spearman" in printed
    result = IntrinsicInteractionResult.from_json((out / "result.json").read_text())
    assert result.field_names == ("colour", "size", "shape")
    pairs = pd.read_csv(out / "pairs.csv")
    assert set(pairs["pair"]) == {"colour × size", "colour × shape", "size × shape"}
    assert json.loads((out / "result.json").read_text())["kind"] == "intrinsic_interactions"


def test_intrinsic_refuses_a_model_without_intrinsic_weights(csv_path, tmp_path, capsys):
    code = cli.main(
        [str(a) for a in (
            "intrinsic", "--model", "gdcn", "--data", csv_path, "--target", "clicked",
            "--cache-dir", tmp_path / "cache",
        )]
    )  # fmt: skip
    assert code != 0
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "--model: 'gdcn' has no intrinsic interaction weights" in line
    assert not (tmp_path / "cache").exists()  # refused before training


def test_intrinsic_reads_the_attention_sites_of_a_factory_model(tmp_path, capsys):
    """A DeepCTR AFM that learned the planted f0 × f1 pair, from its saved weights."""
    from analyzers.intrinsic_interactions import intrinsic_interactions
    from workbench.deepctr import wrap_deepctr

    csv, weights = saved_planted("AFM", tmp_path)
    out = tmp_path / "out"
    code = cli.main(
        [str(a) for a in (
            "intrinsic", "--model", "workbench.deepctr:build", "--factory-kwargs",
            json.dumps(factory_kwargs("AFM")), "--weights", weights, "--output-kind",
            "probability", "--data", csv, "--target", TARGET, "--attention-site", "fm@softmax",
            "--rows", "20", "--background", "10", "--out", out,
        )]
    )  # fmt: skip
    assert code == 0
    assert "fm@softmax" in capsys.readouterr().out
    written = pd.read_csv(out / "pairs.csv")
    # the saved weights, read as a probability model: the numbers of the Python call
    expected = intrinsic_interactions(
        wrap_deepctr(planted_model("AFM")), planted_clicks()[1], rows=20, background=10,
        attention_sites=["fm@softmax"],
    ).pairs  # fmt: skip
    np.testing.assert_allclose(written["intrinsic"], expected["intrinsic"], rtol=1e-6)
    np.testing.assert_allclose(written["measured"], expected["measured"], rtol=1e-6)
    # both columns found the planted pair: equal numbers that mean something
    by_pair = written.set_index("pair")
    assert by_pair["measured"].idxmax() == PLANTED_PAIR
    assert by_pair["intrinsic"].idxmax() == PLANTED_PAIR


def test_a_factory_model_needs_its_attention_sites_named(csv_path, capsys):
    code = cli.main(
        ["intrinsic", "--model", "workbench.deepctr:build", "--data", str(csv_path),
         "--target", "clicked"]
    )  # fmt: skip
    assert code != 0
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "--attention-site: name the attention sites" in line
