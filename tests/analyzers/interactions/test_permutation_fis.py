"""Permutation FIS through the batched kernel path equals the per-focus definition it replaced."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from analyzers.fis import subset_effects
from analyzers.interactions import score_interactions
from analyzers.interactions.permutation_fis import permutation_fis
from tests.conftest import factorial_dataset, oracle
from workbench import Dataset, wrap_model
from workbench.data.planted import planted_interactions
from workbench.kernels import SubsetLossKernel


def per_focus_fis(adapter, data, max_order, **kernel_settings):
    """FIS as permutation_fis computed it before the batched path: every interaction one
    ``subset_losses`` focus, its mains from that focus's own rows."""
    kernel = SubsetLossKernel(adapter, data, **kernel_settings)
    p, values = data.n_groups, []
    for size in range(2, max_order + 1):
        combos = torch.tensor(list(itertools.combinations(range(p), size)))
        losses = kernel.subset_losses(torch.ones((len(combos), p)), combos)
        values.append(subset_effects(losses, size).fis)
    return np.concatenate(values), kernel


def _assert_same_fis(result, expected, kernel):
    # FIS is a difference of losses: relative to the loss, not to a value that may be near 0.
    scale = 1e-6 * kernel.reference_loss()
    got = result.scores["value"].to_numpy(dtype=float)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=scale)


def test_permutation_fis_equals_the_per_focus_path_on_binary_data_with_triples():
    # ±1 data: many permuted rows coincide, which the per-focus path merges and sums per
    # distinct row; the batched path sums row by row. Same estimator, same draws.
    data = factorial_dataset(4, formula=lambda x: x[:, 0] * x[:, 1] * x[:, 2] + x[:, 3])
    adapter = oracle(lambda x: x[:, 0] * x[:, 1] * x[:, 2] + x[:, 3])
    settings = {"n_permutations": 4, "random_state": 3}
    result = score_interactions(
        adapter, data, "fis", max_order=3, approximator="permutation", **settings
    )
    expected, kernel = per_focus_fis(
        adapter, data, 3, estimator="permutation", n_permutations=4, seed=3
    )
    _assert_same_fis(result, expected, kernel)
    assert result.scores.set_index("pair")["value"]["x1 × x2 × x3"] < -1.0  # the planted one


@pytest.mark.parametrize("permutation", ["independent", "joint"])
def test_permutation_fis_equals_the_per_focus_path_for_a_network(permutation):
    planted = planted_interactions(n_rows=40, n_features=6, n_pairs=2, seed=4)
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    adapter = wrap_model(net, task="regression", device="cpu")
    result = permutation_fis(
        adapter,
        planted.dataset,
        max_order=2,
        model_name="net",
        approximator="permutation",
        n_permutations=3,
        permutation=permutation,
    )
    expected, kernel = per_focus_fis(
        adapter,
        planted.dataset,
        2,
        estimator="permutation",
        n_permutations=3,
        permutation=permutation,
    )
    _assert_same_fis(result, expected, kernel)


def test_auto_mixes_exact_and_batched_foci_as_before(rng):
    # Two binary columns (their pair is exact) and two continuous ones with more levels than
    # "auto" enumerates (64), so every pair holding one of them is estimated by permutations.
    n = 80
    X = np.column_stack(
        [rng.integers(0, 2, n), rng.integers(0, 2, n), rng.normal(size=n), rng.normal(size=n)]
    ).astype(float)

    def formula(x):
        return x[:, 0] * x[:, 1] + x[:, 2] * x[:, 3] + x[:, 0]

    data = Dataset.from_arrays(X, formula(torch.tensor(X, dtype=torch.float32)).numpy())
    adapter = oracle(formula)
    kernel = SubsetLossKernel(adapter, data)
    assert kernel.estimator_for((0, 1)) == "exact" and kernel.estimator_for((2, 3)) != "exact"
    result = score_interactions(adapter, data, "fis", n_permutations=5)
    expected, kernel = per_focus_fis(adapter, data, 2, n_permutations=5)
    _assert_same_fis(result, expected, kernel)
