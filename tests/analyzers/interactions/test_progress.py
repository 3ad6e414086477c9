"""SII reports its progress per batch of coalitions, so a job of minutes shows movement."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from analyzers.interactions import score_interactions
from workbench import Dataset, wrap_model
from workbench.kernels.coalition_values import COALITION_STAGE


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
