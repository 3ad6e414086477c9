"""``workbench intrinsic`` end to end on a small CSV."""

import json

import numpy as np
import pandas as pd
import pytest

from analyzers.intrinsic_interactions import IntrinsicInteractionResult
from app.cli import command as cli


@pytest.fixture
def csv_path(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "size": rng.choice(["S", "M", "L", "XL"], n),
            "shape": rng.choice(["round", "square"], n),
        }
    )
    logit = 2.0 * (frame["colour"] == "red") * (frame["size"] == "L") - 1
    frame["clicked"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    path = tmp_path / "clicks.csv"
    frame.to_csv(path, index=False)
    return path


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
