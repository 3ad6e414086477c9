"""The kernel against brute force: every expectation written out row by row."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from analyzers.rashomon import explore_rashomon
from tests.conftest import oracle
from workbench import Dataset, wrap_model
from workbench.errors import DataError, ParameterError
from workbench.kernels import SubsetLossKernel


class SmallNet(torch.nn.Module):
    def __init__(self, n_features: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_features, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)
        )

    def forward(self, x):
        return self.net(x).squeeze(-1)


@pytest.fixture
def binary_data(rng) -> Dataset:
    """30 rows: two binary columns and a 3-level one-hot block (one group), random labels."""
    n = 30
    a = rng.integers(0, 2, n)
    b = rng.integers(0, 2, n)
    level = rng.integers(0, 3, n)
    onehot = np.eye(3)[level]
    X = np.column_stack([a, b, onehot]).astype(float)
    y = rng.integers(0, 2, n).astype(float)
    return Dataset.from_arrays(
        X, y, feature_names=["a", "b", "c=0", "c=1", "c=2"], groups={"c": ["c=0", "c=1", "c=2"]}
    )


@pytest.fixture
def net_adapter():
    return wrap_model(SmallNet(5), task="classification", output="logit", device="cpu")


def brute_force_loss(adapter, X, y, mask_columns, replaced_sources):
    """Mean loss over every combination of source rows for the replaced column blocks.

    ``replaced_sources`` lists column blocks that take their values from one source row each,
    independently (one entry per independent permutation).
    """
    n = X.shape[0]
    total, count = 0.0, 0
    for r in range(n):
        for sources in itertools.product(range(n), repeat=len(replaced_sources)):
            x = X[r].copy()
            for columns, s in zip(replaced_sources, sources, strict=True):
                x[columns] = X[s, columns]
            x = x * mask_columns
            out = adapter.forward(torch.tensor(x[None, :], dtype=torch.float32))
            total += float(adapter.loss.per_row(out, torch.tensor([y[r]])).sum())
            count += 1
    return total / count


def test_exact_estimator_equals_the_expectation_over_permutations(binary_data, net_adapter):
    X, y = binary_data.X.numpy(), binary_data.y.numpy()
    mask = np.array([1.3, 0.7, 1.1])  # groups a, b, c
    mask_columns = np.array([1.3, 0.7, 1.1, 1.1, 1.1])
    kernel = SubsetLossKernel(net_adapter, binary_data, estimator="exact")
    got = kernel.subset_losses(torch.tensor(mask[None, :]), torch.tensor([[0, 2]]))[0].numpy()
    a, c = [0], [2, 3, 4]
    expected = [
        brute_force_loss(net_adapter, X, y, mask_columns, []),
        brute_force_loss(net_adapter, X, y, mask_columns, [a]),
        brute_force_loss(net_adapter, X, y, mask_columns, [c]),
        brute_force_loss(net_adapter, X, y, mask_columns, [a, c]),
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_joint_permutation_draws_the_groups_from_one_row(binary_data, net_adapter):
    X, y = binary_data.X.numpy(), binary_data.y.numpy()
    kernel = SubsetLossKernel(net_adapter, binary_data, estimator="exact", permutation="joint")
    got = kernel.subset_losses(torch.ones(1, 3), torch.tensor([[0, 1]]))[0, 3].item()
    expected = brute_force_loss(net_adapter, X, y, np.ones(5), [[0, 1]])
    assert got == pytest.approx(expected, rel=1e-6)


def test_permutation_estimator_converges_to_exact_and_is_seeded(binary_data, net_adapter):
    masks = torch.tensor([[1.0, 1.0, 1.0], [1.2, 0.9, 1.0]])
    focus = torch.tensor([[0, 1], [1, 2]])
    exact = SubsetLossKernel(net_adapter, binary_data, estimator="exact").subset_losses(
        masks, focus
    )
    sampled = SubsetLossKernel(
        net_adapter, binary_data, estimator="permutation", n_permutations=3000, seed=1
    ).subset_losses(masks, focus)
    np.testing.assert_allclose(sampled.numpy(), exact.numpy(), rtol=1e-2)
    again = SubsetLossKernel(
        net_adapter, binary_data, estimator="permutation", n_permutations=3000, seed=1
    ).subset_losses(masks, focus)
    assert torch.equal(sampled, again)
    other_seed = SubsetLossKernel(
        net_adapter, binary_data, estimator="permutation", n_permutations=3000, seed=2
    ).subset_losses(masks, focus)
    assert not torch.equal(sampled, other_seed)


def test_exact_estimator_is_deterministic(binary_data, net_adapter):
    masks = torch.rand(20, 3, generator=torch.Generator().manual_seed(0)) + 0.5
    focus = torch.tensor([[0, 1]] * 10 + [[1, 2]] * 10)
    first = SubsetLossKernel(net_adapter, binary_data).subset_losses(masks, focus)
    second = SubsetLossKernel(net_adapter, binary_data).subset_losses(masks, focus)
    assert torch.equal(first, second)


@pytest.mark.parametrize("estimator", ["exact", "permutation"])
def test_batch_budget_does_not_change_results(binary_data, net_adapter, estimator):
    masks = torch.rand(12, 3, generator=torch.Generator().manual_seed(0)) + 0.5
    focus = torch.tensor([[0, 2]] * 6 + [[1, 2]] * 6)
    one_row = SubsetLossKernel(net_adapter, binary_data, estimator=estimator, max_batch_rows=1)
    large = SubsetLossKernel(net_adapter, binary_data, estimator=estimator, max_batch_rows=10**5)
    np.testing.assert_allclose(
        one_row.subset_losses(masks, focus), large.subset_losses(masks, focus), rtol=1e-6
    )


def test_merging_duplicate_rows_keeps_the_plain_mean_loss(rng):
    X = rng.integers(0, 2, size=(500, 4)).astype(float)  # 16 patterns, many duplicates
    y = rng.normal(size=500)
    dataset = Dataset.from_arrays(X, y)
    adapter = oracle(lambda x: x[:, 0] * 2.0 - x[:, 1] * x[:, 2] + 0.5 * x[:, 3])
    kernel = SubsetLossKernel(adapter, dataset)
    assert kernel.n_patterns == 16
    mask = torch.tensor([[1.5, 0.5, 2.0, 1.0]])
    plain = (
        (
            adapter.forward(torch.tensor(X * mask.numpy(), dtype=torch.float32)).double()
            - torch.tensor(y)
        )
        ** 2
    ).mean()
    assert kernel.losses(mask).item() == pytest.approx(plain.item(), rel=1e-6)


def test_callable_loss_matches_the_builtin_one(binary_data):
    def squared_error(y_true, y_pred):
        return (y_pred - y_true) ** 2

    formula = lambda x: x[:, 0] - 0.5 * x[:, 1] + x[:, 3]  # noqa: E731
    builtin = SubsetLossKernel(oracle(formula), binary_data)
    custom = SubsetLossKernel(oracle(formula, loss=squared_error), binary_data)
    masks = torch.tensor([[1.0, 1.0, 1.0], [0.5, 1.5, 2.0]])
    focus = torch.tensor([[0, 2], [0, 1]])
    np.testing.assert_allclose(
        custom.subset_losses(masks, focus), builtin.subset_losses(masks, focus), rtol=1e-9
    )


def test_continuous_groups_fall_back_to_permutations_under_auto(rng):
    X = rng.normal(size=(200, 2))
    dataset = Dataset.from_arrays(X, X[:, 0])
    kernel = SubsetLossKernel(oracle(lambda x: x[:, 0]), dataset, estimator="auto")
    assert kernel.estimator_for((0,)) == "permutation"
    many = rng.normal(size=(8000, 2))  # 8000 distinct values: 8000**2 evaluations if exact
    exact = SubsetLossKernel(
        oracle(lambda x: x[:, 0]), Dataset.from_arrays(many, many[:, 0]), estimator="exact"
    )
    with pytest.raises(ParameterError, match="estimator='exact'"):
        exact.subset_losses(torch.ones(1, 2), torch.tensor([[0]]))


def test_bad_variants_and_data_get_one_line_errors(binary_data, net_adapter):
    kernel = SubsetLossKernel(net_adapter, binary_data)
    with pytest.raises(ParameterError, match=r"masks must have shape \(variants, 3\)"):
        kernel.losses(torch.ones(2, 5))
    with pytest.raises(ParameterError, match="NaN"):
        kernel.losses(torch.tensor([[1.0, float("nan"), 1.0]]))
    with pytest.raises(ParameterError, match="outside"):
        kernel.subset_losses(torch.ones(1, 3), torch.tensor([[0, 7]]))
    with pytest.raises(ParameterError, match="estimator"):
        SubsetLossKernel(net_adapter, binary_data, estimator="fast")
    unlabeled = Dataset.from_arrays(binary_data.X.numpy())
    with pytest.raises(DataError, match="target"):
        SubsetLossKernel(net_adapter, unlabeled)


@pytest.mark.parametrize("estimator", ["exact", "permutation"])
def test_row_merging_without_integer_keys_gives_the_same_losses(
    binary_data, net_adapter, estimator, monkeypatch
):
    # Data whose code space passes 62 bits cannot use integer row keys; the row-wise path
    # must give the same answer.
    masks = torch.rand(6, 3, generator=torch.Generator().manual_seed(1)) + 0.5
    focus = torch.tensor([[0, 2]] * 3 + [[1, 0]] * 3)
    keyed = SubsetLossKernel(net_adapter, binary_data, estimator=estimator)
    monkeypatch.setattr("workbench.kernels.coding.MixedRadix.fits", staticmethod(lambda r: False))
    rowwise = SubsetLossKernel(net_adapter, binary_data, estimator=estimator)
    assert rowwise._radix is None and keyed._radix is not None
    np.testing.assert_allclose(
        rowwise.subset_losses(masks, focus), keyed.subset_losses(masks, focus), rtol=1e-9
    )


def test_column_masks_scale_each_group_columns_by_its_mask(binary_data, net_adapter):
    kernel = SubsetLossKernel(net_adapter, binary_data, estimator="exact")
    masks = torch.tensor([[1.3, 0.7, 1.1], [0.0, 2.0, -0.5]], dtype=torch.float64)
    expected = torch.tensor([[1.3, 0.7, 1.1, 1.1, 1.1], [0.0, 2.0, -0.5, -0.5, -0.5]])
    torch.testing.assert_close(kernel._column_masks(masks), expected.to(torch.float32))


@pytest.mark.parametrize("estimator", ["exact", "permutation"])
def test_a_call_with_interleaved_focuses_equals_one_call_per_variant(
    binary_data, net_adapter, estimator
):
    # The kernel sorts variants by focus and scatters the losses back: the order of the
    # variants in a call, and which other variants share it, must not change any loss.
    masks = torch.tensor(
        [[1.2, 1.0, 0.9], [1.0, 0.8, 1.0], [0.7, 1.1, 1.0], [1.0, 1.0, 1.4], [1.1, 0.9, 1.2]],
        dtype=torch.float64,
    )
    focus = torch.tensor([[1, 2], [0, 1], [1, 2], [0, 2], [0, 1]])
    together = SubsetLossKernel(net_adapter, binary_data, estimator=estimator, n_permutations=3)
    got = together.subset_losses(masks, focus)
    for v in range(masks.shape[0]):
        alone = SubsetLossKernel(net_adapter, binary_data, estimator=estimator, n_permutations=3)
        expected = alone.subset_losses(masks[v : v + 1], focus[v : v + 1])
        torch.testing.assert_close(got[v : v + 1], expected, rtol=0, atol=1e-12)


# FISC on the binary fixture as computed before the kernel kept its rows on the device (one
# gather per decode, variants sorted by focus): the same run must give the same numbers.
PINNED_FISC = {
    "exact": (
        [0.000255237991, 6.3816385e-05, 0.00031341552],
        [
            -0.015230639708,
            -0.016489536409,
            -0.017230286337,
            0.00297403053,
            0.005275686568,
            -0.001441159981,
            0.005098282506,
            -0.000665742593,
            -3.652e-09,
            -0.002411885506,
            -0.013388701042,
            0.002564974351,
        ],
    ),
    "permutation": (
        [0.000413884264, -6.652871e-05, 0.000549377644],
        [
            -0.030339462863,
            -0.032516816869,
            -0.032921118475,
            0.005439881936,
            -0.006902380589,
            -0.003233512784,
            0.000170479961,
            -0.001188120679,
            -3.44e-09,
            -0.003515037423,
            -0.009254794927,
            0.003234963588,
        ],
    ),
}


@pytest.mark.parametrize("estimator", ["exact", "permutation"])
def test_fisc_on_the_kernel_gives_the_pinned_result(binary_data, net_adapter, estimator):

    result = explore_rashomon(
        net_adapter, binary_data, epsilon_rate=0.1, approximator=estimator, n_permutations=4
    )
    reference, cloud = PINNED_FISC[estimator]
    np.testing.assert_allclose(result.reference_fis["fis"], reference, rtol=0, atol=2e-12)
    np.testing.assert_allclose(result.fis_cloud["fis"].to_numpy()[::9], cloud, rtol=0, atol=2e-12)
    assert result.extra["search_steps"] == 173


@pytest.mark.parametrize("permutation", ["independent", "joint"])
def test_foci_built_together_equal_foci_built_one_by_one(rng, net_adapter, permutation):
    """The batched exact build (one sort and one decode for many foci) gives each focus the
    same rows, inputs and weights as the per-focus build, whatever the level counts."""
    n = 40
    X = np.column_stack(
        [rng.integers(0, 2, n), rng.integers(0, 3, n), rng.integers(0, 2, n)]
        + [np.eye(3)[rng.integers(0, 3, n)].T[c] for c in range(2)]
    ).astype(float)
    data = Dataset.from_arrays(
        X,
        rng.integers(0, 2, n).astype(float),
        feature_names=list("abcde"),
        groups={"d": ["d", "e"]},
    )
    foci = [(0, 1), (1, 0), (0, 2), (2, 3), (1, 3), (3,), (0,), (0, 1, 2)]
    together = SubsetLossKernel(net_adapter, data, estimator="exact", permutation=permutation)
    alone = SubsetLossKernel(net_adapter, data, estimator="exact", permutation=permutation)
    for focus, rows in zip(foci, together._rows_for_foci(foci), strict=True):
        expected = alone._rows_for_focus(focus)
        assert torch.equal(rows.codes, expected.codes), focus
        assert torch.equal(rows.inputs, expected.inputs), focus
        assert torch.equal(rows.weights, expected.weights), focus
