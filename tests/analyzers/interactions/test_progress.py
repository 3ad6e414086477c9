"""SII reports its progress per batch of coalitions, so a job of minutes shows movement."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import workbench.kernels.batching
from analyzers.interactions import score_interactions
from app.analyses import compute_result
from workbench import Dataset, wrap_model
from workbench.kernels.coalition_values import COALITION_STAGE
from workbench.workspace import Workspace


def tiny_mlp_and_data():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    X = np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32)
    return module, Dataset.from_arrays(X, X[:, 0])


def kernel_calls(reports: list[tuple]) -> list[list[tuple[int, int]]]:
    """The (done, total) batch reports, split into kernel calls (each starts at 0)."""
    calls: list[list[tuple[int, int]]] = []
    for stage, done, total in reports:
        if stage == COALITION_STAGE:
            if done == 0:
                calls.append([])
            calls[-1].append((done, total))
    return calls


def assert_counts_one_by_one(calls: list[list[tuple[int, int]]]) -> None:
    assert calls
    for call in calls:
        total = call[0][1]
        assert total > 1 and call == [(done, total) for done in range(total + 1)]


@pytest.mark.parametrize("approximator", ["exact", "sampling"])
def test_sii_counts_coalition_batches_up_to_their_total(approximator):
    module, data = tiny_mlp_and_data()
    adapter = wrap_model(module, task="regression", device="cpu")
    options = {"rows": 6, "background": 8, "max_batch_rows": 64, "approximator": approximator}
    reports: list[tuple] = []
    reported = score_interactions(
        adapter, data, "sii", progress=lambda *r: reports.append(r), **options
    )

    assert_counts_one_by_one(kernel_calls(reports))
    # Reporting changes no number.
    silent = score_interactions(adapter, data, "sii", **options)
    np.testing.assert_array_equal(reported.scores["value"], silent.scores["value"])


def test_the_apps_sii_job_shows_more_than_0_of_1(tmp_path, monkeypatch):
    # A small memory budget stands in for a large job: the job's batches are counted.
    monkeypatch.setattr(workbench.kernels.batching, "_CPU_DEFAULT_ROWS", 256)
    module, data = tiny_mlp_and_data()
    workspace = Workspace.create(tmp_path)
    workspace.add_dataset("tiny", data)
    workspace.add_model_object("tiny-mlp", module, "tiny", task="regression")
    reports: list[tuple] = []
    parameters = {"index": "sii", "rows": 10, "background": 10}
    compute_result(
        workspace, "interactions", "tiny-mlp", parameters, progress=lambda *r: reports.append(r)
    )

    calls = kernel_calls(reports)
    assert_counts_one_by_one(calls)
    assert max(total for call in calls for _, total in call) >= 10
