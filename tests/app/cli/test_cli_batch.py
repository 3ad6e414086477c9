"""``--workers``, ``--scheduler``, ``--checkpoint``: the one-process result, and chunk files."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingRegressor

from analyzers.interaction_result import InteractionResult
from app.cli import command as cli
from workbench.chunk_runs import DASK_HTTP_ADDRESS

distributed = pytest.importorskip("distributed")


@pytest.fixture
def tree_case(tmp_path):
    """Continuous features with a planted a×b product, and a boosted-tree model file."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(200, 4)), columns=["a", "b", "c", "d"])
    frame["y"] = frame["a"] * frame["b"] + 0.1 * rng.normal(size=200)
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    model = GradientBoostingRegressor(n_estimators=10, random_state=0)
    model.fit(frame[["a", "b", "c", "d"]].to_numpy(), frame["y"])
    path = tmp_path / "gbt.joblib"
    joblib.dump(model, path)
    return data, path


def run_sii(data, model, out, *options) -> InteractionResult:
    argv = ["interactions", "--data", data, "--target", "y", "--model", model, "--out", out]
    game = ["--index", "sii", "--approximator", "exact", "--rows", "30", "--background", "10"]
    flags = ["--formats", "", "--trust-pickle", "--no-cache", *game, *options]
    assert cli.main([str(a) for a in [*argv, *flags]]) == 0
    return InteractionResult.from_json((out / "result.json").read_text())


def values(result: InteractionResult) -> dict:
    payload = result.to_dict()
    payload.pop("seconds")
    payload["settings"].pop("model_rows_evaluated")  # work done, not the values
    return payload


@pytest.mark.slow  # two worker processes each import torch: seconds on a quiet machine
def test_workers_and_a_checkpoint_give_the_one_process_result(tree_case, tmp_path, capsys):
    data, model = tree_case
    alone = run_sii(data, model, tmp_path / "alone")
    checkpoint = tmp_path / "chunks"
    options = ["--workers", "2", "--chunk-size", "7", "--checkpoint", checkpoint]
    on_cluster = run_sii(data, model, tmp_path / "cluster", *options)
    assert "local Dask cluster of 2 workers" in capsys.readouterr().err
    assert values(on_cluster) == values(alone)
    assert len(list(checkpoint.glob("interactions_chunks/*.json"))) == 5  # 30 rows in 7s


def test_a_scheduler_address_runs_on_that_cluster(tree_case, tmp_path, capsys):
    data, model = tree_case
    alone = run_sii(data, model, tmp_path / "alone")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=DASK_HTTP_ADDRESS
    )
    try:
        remote = run_sii(data, model, tmp_path / "remote", "--scheduler", cluster.scheduler_address)
    finally:
        cluster.close()
    assert "(2 workers)" in capsys.readouterr().err
    assert values(remote) == values(alone)


def test_workers_and_scheduler_together_is_one_line(tree_case, tmp_path, capsys):
    data, model = tree_case
    argv = ["interactions", "--data", data, "--target", "y", "--model", model, "--trust-pickle"]
    options = ["--out", tmp_path / "out", "--workers", "2", "--scheduler", "tcp://x:1"]
    assert cli.main([str(a) for a in [*argv, *options]]) == 2
    assert "--workers and --scheduler: give one" in capsys.readouterr().err
