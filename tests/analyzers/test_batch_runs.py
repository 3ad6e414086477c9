"""Batch runs on a Dask cluster, and resume after a kill (issue 16).

Ground truth: on a local cluster of 2 workers the results equal the single-process results
exactly, for every chunking; a run killed after k chunks (an exception in the driver, or a
SIGKILL of the driver process) and started again stores only the missing chunks (the first k
files are untouched) and ends with the identical result.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

from analyzers.interactions import score_interactions
from analyzers.model_sets import RetrainedSetBuilder, explore_model_set
from analyzers.rashomon import explore_rashomon
from workbench import Dataset, wrap_model
from workbench.chunk_runs import CHUNK_STAGE, DASK_HTTP_ADDRESS, REUSED_STAGE
from workbench.errors import ParameterError

distributed = pytest.importorskip("distributed")


class Killed(Exception):
    """Stands for the driver dying once k chunks are stored."""


@pytest.fixture(scope="module")
def client():
    # Threads, not processes, keep start-up under a second; every unit is still pickled.
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=DASK_HTTP_ADDRESS
    )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


@pytest.fixture(scope="module")
def discrete():
    """A small MLP trained on 4 discrete features with two planted products."""
    rng = np.random.default_rng(0)
    n = 200
    X = np.column_stack(
        [rng.integers(0, 2, n), rng.integers(0, 3, n), rng.integers(0, 2, n), rng.integers(0, 3, n)]
    ).astype(float)
    y = X[:, 0] * X[:, 1] - 0.5 * X[:, 2] * X[:, 3] + 0.3 * rng.normal(size=n)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 12), torch.nn.Tanh(), torch.nn.Linear(12, 1))
    optimiser = torch.optim.Adam(net.parameters(), lr=0.05)
    inputs, target = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    for _ in range(150):
        optimiser.zero_grad()
        ((net(inputs).squeeze(1) - target) ** 2).mean().backward()
        optimiser.step()
    return wrap_model(net.eval(), task="regression", device="cpu"), Dataset.from_arrays(X, y)


def same_result(a, b) -> bool:
    """Equal in every field but the wall time."""
    first, second = a.to_dict(), b.to_dict()
    first.pop("seconds")
    second.pop("seconds")
    return first == second


def fisc(model, dataset, **chunks):
    return explore_rashomon(model, dataset, approximator="exact", delta=0.25, **chunks)


@pytest.mark.parametrize("chunk_size", [1, 4])
def test_fisc_on_the_cluster_equals_one_process(client, discrete, chunk_size):
    model, dataset = discrete
    here = fisc(model, dataset)
    there = fisc(model, dataset, executor=client, chunk_size=chunk_size)
    assert len(there.fis_cloud) == 6 * 3 * 4  # 6 pairs × 3 budget splits × 4 quadrants
    assert same_result(here, there)


@pytest.mark.parametrize("chunk_size", [7, 25])
def test_exact_sii_on_the_cluster_equals_one_process(client, chunk_size):
    # Tree outputs do not depend on which rows share a batch, so the values are bit-equal; a
    # float32 torch model agrees to its rounding (its matmul depends on the batch's row count).
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 5))
    y = X[:, 0] * X[:, 1] + X[:, 2]
    model = wrap_model(
        GradientBoostingRegressor(n_estimators=20, random_state=0).fit(X, y), task="regression"
    )
    dataset = Dataset.from_arrays(X, y)
    game = {"index": "sii", "rows": 60, "background": 15, "approximator": "exact"}
    here = score_interactions(model, dataset, **game)
    there = score_interactions(model, dataset, executor=client, chunk_size=chunk_size, **game)
    assert there.settings["estimator"] == "exact"
    here_scores, there_scores = here.to_dict(), there.to_dict()
    for scores in (here_scores, there_scores):  # the work done differs, not the values
        scores.pop("seconds")
        scores["settings"].pop("model_rows_evaluated")
    assert here_scores == there_scores
    assert here.scores["value"].abs().max() > 0.1  # a planted product, not all zeros


def test_a_retrained_set_scored_on_the_cluster_equals_one_process(client):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(240, 4))
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["y"] = (X[:, 0] * X[:, 1] + 0.3 * rng.normal(size=240) > 0).astype(int)
    train, explained = Dataset.from_frame(frame, target="y").train_test_split(0.25, seed=0)
    builder = RetrainedSetBuilder(
        GradientBoostingClassifier(n_estimators=15, max_depth=2), train, seeds=(0, 1, 2)
    )
    game = {"epsilon_rate": 0.5, "rows": 20, "background": 10}
    here = explore_model_set(builder, explained, "sii", **game)
    there = explore_model_set(builder, explained, "sii", executor=client, **game)
    assert len(here.clouds["member"].unique()) >= 2
    assert same_result(here, there)


def stored_chunks(folder) -> dict[str, int]:
    """Chunk file name -> modification time (ns): what a resumed run must leave alone."""
    return {path.name: path.stat().st_mtime_ns for path in folder.glob("*_chunks/*.json")}


def test_a_killed_fisc_run_resumes_without_recomputing_finished_chunks(client, discrete, tmp_path):
    model, dataset = discrete
    whole = fisc(model, dataset)
    killed_after = 2

    def die(stage, done, total):
        if stage == CHUNK_STAGE and done == killed_after:
            raise Killed

    with pytest.raises(Killed):
        fisc(model, dataset, executor=client, chunk_size=1, checkpoint=tmp_path, progress=die)
    first = stored_chunks(tmp_path)
    assert len(first) == killed_after

    reports = []
    resumed = fisc(
        model,
        dataset,
        executor=client,
        chunk_size=1,
        checkpoint=tmp_path,
        progress=lambda stage, done, total: reports.append((stage, done, total)),
    )
    assert (REUSED_STAGE, killed_after, 6) in reports
    after = stored_chunks(tmp_path)
    assert len(after) == 6  # 4 computed now, 2 read back
    assert {name: after[name] for name in first} == first  # the finished ones were not redone
    assert same_result(whole, resumed)


def test_a_killed_sii_run_resumes_in_process(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.integers(0, 3, size=(120, 4)).astype(float)
    y = X[:, 0] * X[:, 1]
    model = wrap_model(
        GradientBoostingRegressor(n_estimators=10, random_state=0).fit(X, y), task="regression"
    )
    dataset = Dataset.from_arrays(X, y)
    game = {"index": "sii", "rows": 40, "background": 10, "approximator": "exact"}
    calls = []

    def die(stage, done, total):
        calls.append((stage, done, total))
        if stage == CHUNK_STAGE and done == 3:
            raise Killed

    with pytest.raises(Killed):
        score_interactions(model, dataset, chunk_size=10, checkpoint=tmp_path, progress=die, **game)
    assert len(stored_chunks(tmp_path)) == 3
    reports = []
    resumed = score_interactions(
        model,
        dataset,
        chunk_size=10,
        checkpoint=tmp_path,
        progress=lambda *report: reports.append(report),
        **game,
    )
    assert (REUSED_STAGE, 3, 4) in reports
    assert len(stored_chunks(tmp_path)) == 4
    whole = score_interactions(model, dataset, **game)
    pd.testing.assert_frame_equal(resumed.scores, whole.scores, check_exact=True)


def test_a_bad_chunk_size_or_executor_is_one_line(discrete):
    model, dataset = discrete
    with pytest.raises(ParameterError, match="chunk_size"):
        fisc(model, dataset, chunk_size=0)
    with pytest.raises(ParameterError, match="executor"):
        fisc(model, dataset, executor=object())


KILLED_RUN = """
import os, signal, sys
import numpy as np, torch
from analyzers.rashomon import explore_rashomon
from tests.analyzers.test_batch_runs import seeded_case

def die(stage, done, total):
    if stage == "chunks" and done == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # no handler, no finally: a hard crash

model, dataset = seeded_case()
explore_rashomon(model, dataset, approximator="exact", delta=0.25, chunk_size=1,
                 checkpoint=sys.argv[1], progress=die)
"""


def seeded_case():
    """An untrained seeded MLP (the same parameters in every process) on discrete rows."""
    rng = np.random.default_rng(4)
    X = rng.integers(0, 3, size=(150, 4)).astype(float)
    y = X[:, 0] * X[:, 1] + rng.normal(size=150)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    return wrap_model(net.eval(), task="regression", device="cpu"), Dataset.from_arrays(X, y)


@pytest.mark.slow  # a second Python process imports torch
def test_a_driver_killed_by_sigkill_resumes_from_its_chunks(tmp_path):
    root = Path(__file__).resolve().parents[2]
    environment = {**os.environ, "PYTHONPATH": str(root)}
    crashed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(tmp_path)], env=environment, cwd=root
    )
    assert crashed.returncode == -signal.SIGKILL
    first = stored_chunks(tmp_path)
    assert len(first) == 2
    model, dataset = seeded_case()
    reports = []
    resumed = fisc(
        model,
        dataset,
        chunk_size=1,
        checkpoint=tmp_path,
        progress=lambda *report: reports.append(report),
    )
    assert (REUSED_STAGE, 2, 6) in reports
    after = stored_chunks(tmp_path)
    assert len(after) == 6 and {name: after[name] for name in first} == first
    assert same_result(fisc(model, dataset), resumed)
