"""``workbench optfs`` and ``workbench optinter-switches`` end to end on a small CSV."""

import json

import numpy as np
import pandas as pd
import pytest

from analyzers.operation_switches import OperationSwitchResult
from app.cli import command as cli
from tests.app.cli.clicks import write_clicks_csv


@pytest.fixture
def csv_path(tmp_path):
    return write_clicks_csv(tmp_path / "clicks.csv", 500)


def test_optfs_writes_the_kept_values_per_field(csv_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(
        [str(a) for a in (
            "optfs", "--data", csv_path, "--target", "clicked", "--config", "embedding_dim=2",
            "--config", "hidden=[8]", "--max-epochs", "2", "--search-epochs", "2",
            "--no-backbone", "--out", out,
        )]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "the ticket keeps" in printed and "of the searched gates ended within 0.05" in printed
    values = pd.read_csv(out / "values.csv")
    assert len(values) == 3 + 4 + 2 and set(values["field"]) == {"colour", "size", "shape"}
    assert {"red", "green", "blue"} <= set(values["level"])  # levels by their labels
    fields = pd.read_csv(out / "fields.csv").set_index("field")
    kept = values.groupby("field")["kept"].mean()
    np.testing.assert_allclose(fields.loc[kept.index, "kept_share"], kept)
    summary = json.loads((out / "result.json").read_text())
    assert [m["stage"] for m in summary["metrics"]] == [
        "search", "ticket before retraining", "ticket retrained"
    ]  # fmt: skip
    assert summary["settings"]["search_epochs"] == 2 and 0 <= summary["gate_hardness"] <= 1


def test_optinter_switches_writes_the_switch_table(csv_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(
        [str(a) for a in (
            "optinter-switches", "--data", csv_path, "--target", "clicked",
            "--config", "embedding_dim=2", "--max-epochs", "2", "--cache-dir", tmp_path / "cache",
            "--rows", "20", "--background", "10", "--n-bootstrap", "20",
            "--pairs", "colour,size;shape,colour", "--out", out,
        )]
    )  # fmt: skip
    assert code == 0
    assert "spearman" in capsys.readouterr().out
    result = OperationSwitchResult.from_json((out / "result.json").read_text())
    assert set(result.switches["pair"]) == {"colour × size", "colour × shape"}
    switches = pd.read_csv(out / "switches.csv")
    # the sample is a search model: every pair has every operation to switch to
    assert len(switches) == 2 * 3 and switches["available"].all()
    assert switches["loss_increase"].notna().all()


def test_optinter_switches_refuses_a_malformed_pair_before_training(csv_path, tmp_path, capsys):
    code = cli.main(
        [str(a) for a in (
            "optinter-switches", "--data", csv_path, "--target", "clicked",
            "--cache-dir", tmp_path / "cache", "--pairs", "colour",
        )]
    )  # fmt: skip
    assert code != 0
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "--pairs: expected 'a,b;c,d'" in line
    assert not (tmp_path / "cache").exists()
