"""The coalition-sampling estimator: unbiased within its reported error, reproducible."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from analyzers.interactions import score_interactions


@pytest.fixture
def mlp_and_data():
    from workbench import Dataset, wrap_model

    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(7, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    X = np.random.default_rng(0).normal(size=(80, 7)).astype(np.float32)
    return wrap_model(module, task="regression", device="cpu"), Dataset.from_arrays(X, X[:, 0])


@pytest.mark.parametrize("index", ["sii", "stii", "ksii"])
def test_sampling_agrees_with_exact_within_its_error(mlp_and_data, index):
    adapter, data = mlp_and_data
    options = dict(rows=20, background=16, random_state=3)
    exact = score_interactions(adapter, data, index, approximator="exact", **options)
    sampled = score_interactions(
        adapter, data, index, approximator="sampling", n_samples=400, **options
    )
    assert sampled.settings["estimator"] == "sampling"
    truth = exact.global_scores("mean").set_index("pair")["value"]
    estimate = sampled.global_scores("mean").set_index("pair")["value"]
    errors = sampled.standard_errors.set_index("pair")["standard_error"]
    z = ((estimate - truth) / errors).abs()
    assert z.max() < 4.5  # 21 pairs: a 4.5-sigma miss would be a bias, not chance
    assert (errors > 0).all()


def test_auto_switches_to_sampling_and_seed_reproduces(mlp_and_data):
    adapter, data = mlp_and_data
    first = score_interactions(adapter, data, "sii", rows=5, max_exact_groups=5, n_samples=8)
    again = score_interactions(adapter, data, "sii", rows=5, max_exact_groups=5, n_samples=8)
    assert first.settings["estimator"] == "sampling"
    np.testing.assert_array_equal(first.scores["value"], again.scores["value"])


def test_a_sampled_result_says_so_and_an_exact_one_does_not(mlp_and_data):
    adapter, data = mlp_and_data
    sampled = score_interactions(adapter, data, "sii", rows=5, max_exact_groups=5, n_samples=8)
    (notice,) = [d for d in sampled.diagnostics if d.code == "sampling_approximation"]
    assert notice.severity == "info" and "8 sampled coalitions" in notice.message
    assert sampled.standard_errors is not None
    exact = score_interactions(adapter, data, "sii", rows=5, background=8)
    assert exact.diagnostics == ()
