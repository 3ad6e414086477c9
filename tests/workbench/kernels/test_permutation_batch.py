"""The batched permutation path against the per-focus one it replaces for the unit mask."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from workbench import Dataset, wrap_model
from workbench.data.planted import planted_interactions
from workbench.errors import ParameterError
from workbench.kernels import SubsetLossKernel


class SmallNet(torch.nn.Module):
    def __init__(self, n_features: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_features, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1)
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


def _mixed_classification(rng) -> Dataset:
    """24 rows: two continuous columns, a binary one and a 3-level one-hot block (one group)."""
    n = 24
    level = rng.integers(0, 3, n)
    X = np.column_stack(
        [rng.normal(size=n), rng.normal(size=n), rng.integers(0, 2, n), np.eye(3)[level]]
    )
    y = rng.integers(0, 2, n).astype(float)
    names = ["u", "v", "b", "c=0", "c=1", "c=2"]
    return Dataset.from_arrays(X, y, feature_names=names, groups={"c": ["c=0", "c=1", "c=2"]})


def _cases(rng):
    planted = planted_interactions(n_rows=20, n_features=5, n_pairs=2, seed=2)
    regression = wrap_model(planted.model, task="regression", device="cpu")
    data = _mixed_classification(rng)
    net = wrap_model(SmallNet(6), task="classification", output="logit", device="cpu")

    def absolute_error(y_true, y_pred):  # a callable loss: one label per evaluated row
        return (y_true - y_pred).abs()

    callable_loss = wrap_model(planted.model, task="regression", loss=absolute_error, device="cpu")
    return {
        "mse": (regression, planted.dataset),
        "log_loss_one_hot": (net, data),
        "callable_loss": (callable_loss, planted.dataset),
    }


@pytest.mark.parametrize("case", ["mse", "log_loss_one_hot", "callable_loss"])
@pytest.mark.parametrize("permutation", ["independent", "joint"])
@pytest.mark.parametrize("max_batch_rows", [None, 25])
def test_batched_losses_equal_the_per_focus_estimator(rng, case, permutation, max_batch_rows):
    # 25 rows per forward pass split every focus's 3 · rows over several passes.
    adapter, data = _cases(rng)[case]
    kernel = SubsetLossKernel(
        adapter,
        data,
        estimator="permutation",
        n_permutations=3,
        permutation=permutation,
        max_batch_rows=max_batch_rows,
        seed=4,
    )
    p = data.n_groups
    for k in (1, 2, 3):
        focus = torch.tensor(list(itertools.combinations(range(p), k)))
        per_focus = kernel.subset_losses(torch.ones((len(focus), p)), focus)
        # A float32 network's output for a row can differ in its last bits with the shape of the
        # batch it runs in (matrix-product blocking), hence a relative tolerance, not equality.
        np.testing.assert_allclose(kernel.replaced_losses(focus), per_focus[:, -1], rtol=1e-6)
        np.testing.assert_allclose(kernel.reference_loss(), per_focus[:, 0], rtol=1e-6)


def test_a_focus_alone_is_the_same_number_as_among_all_pairs():
    # The refine evaluates a few pairs, the full computation all of them: bit-equal by design
    # for a model whose output for a row ignores the rest of the batch.
    planted = planted_interactions(n_rows=30, n_features=9, n_pairs=2, seed=5)
    adapter = wrap_model(planted.model, task="regression", device="cpu")
    pairs = torch.tensor(list(itertools.combinations(range(9), 2)))
    for max_batch_rows in (None, 50):
        kernel = SubsetLossKernel(
            adapter, planted.dataset, estimator="permutation", max_batch_rows=max_batch_rows
        )
        together = kernel.replaced_losses(pairs)
        alone = torch.cat([kernel.replaced_losses(pairs[i : i + 1]) for i in (0, 17, 35)])
        assert torch.equal(alone, together[[0, 17, 35]])
        reversed_order = kernel.replaced_losses(pairs.flip(0)).flip(0)
        assert torch.equal(reversed_order, together)


def test_bad_foci_name_the_problem():
    planted = planted_interactions(n_rows=10, n_features=4, n_pairs=1)
    adapter = wrap_model(planted.model, task="regression", device="cpu")
    kernel = SubsetLossKernel(adapter, planted.dataset, estimator="permutation")
    for focus, message in [
        ([[1, 1]], "distinct"),
        (torch.zeros((2, 0), dtype=torch.int64), "at least one group"),
        ([[0, 4]], "outside 0..3"),
    ]:
        with pytest.raises(ParameterError, match=message):
            kernel.replaced_losses(torch.as_tensor(focus))
