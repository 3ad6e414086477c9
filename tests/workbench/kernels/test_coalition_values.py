"""Coalition values: the interventional game of each row, against a plain loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from workbench import wrap_model
from workbench.errors import DataError, ParameterError
from workbench.kernels.coalition_values import CoalitionValueKernel, all_coalitions


def small_mlp(n_features: int) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(n_features, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)
    )


def loop_values(module, explained, background, groups, coalitions):
    """v_x(S) by hand: one forward per (row, coalition) over the background.

    Returns the values and the number of distinct model inputs among all those batches.
    """
    out = np.zeros((len(explained), len(coalitions)))
    distinct = set()
    for r, x in enumerate(explained):
        for c, mask in enumerate(coalitions):
            batch = background.clone()
            for g, cols in enumerate(groups):
                if mask >> g & 1:
                    batch[:, list(cols)] = x[list(cols)]
            distinct.update(tuple(row) for row in batch.tolist())
            with torch.no_grad():
                out[r, c] = module(batch).double().mean().item()
    return out, len(distinct)


@pytest.mark.parametrize("max_batch_rows", [None, 7])
def test_values_match_a_plain_loop_for_grouped_columns(max_batch_rows):
    module = small_mlp(5)
    adapter = wrap_model(module, task="regression", device="cpu")
    groups = [(0,), (1, 2), (3,), (4,)]
    generator = torch.Generator().manual_seed(1)
    explained = torch.randn(3, 5, generator=generator)
    background = torch.randn(6, 5, generator=generator)
    kernel = CoalitionValueKernel(adapter, groups, background, max_batch_rows=max_batch_rows)
    coalitions = all_coalitions(4)
    got = kernel.values(explained, coalitions).numpy()
    expected, n_distinct = loop_values(module, explained, background, groups, coalitions.tolist())
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    # Each distinct input runs once: the empty coalition is the same background for every row.
    assert kernel.rows_evaluated == n_distinct < 3 * 16 * 6


def test_classifier_scales_logit_and_probability():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    adapter = wrap_model(LogisticRegression().fit(X, y), device="cpu")
    background = torch.tensor(X[:20])
    groups = [(0,), (1,), (2,)]
    explained = torch.tensor(X[:4])
    full = torch.tensor([7])
    logit = CoalitionValueKernel(adapter, groups, background).values(explained, full)
    probability = CoalitionValueKernel(adapter, groups, background, output="probability")
    assert torch.allclose(torch.sigmoid(logit), probability.values(explained, full), atol=1e-6)
    # The empty coalition averages over the background on the chosen scale.
    empty = CoalitionValueKernel(adapter, groups, background).values(explained, torch.tensor([0]))
    expected = adapter.forward(background).double().mean()
    assert torch.allclose(empty[:, 0], expected.expand(4), atol=1e-6)


def test_bad_arguments_are_one_line_errors():
    adapter = wrap_model(small_mlp(3), task="regression", device="cpu")
    with pytest.raises(ParameterError, match="output='logit' does not fit a regression"):
        CoalitionValueKernel(adapter, [(0,), (1,), (2,)], torch.zeros(2, 3), output="logit")
    with pytest.raises(DataError, match="background has 4 feature columns"):
        CoalitionValueKernel(adapter, [(0,), (1,), (2,)], torch.zeros(2, 4))
    kernel = CoalitionValueKernel(adapter, [(0,), (1,), (2,)], torch.zeros(2, 3))
    with pytest.raises(ParameterError, match="bitmasks over 3 groups"):
        kernel.values(torch.zeros(1, 3), torch.tensor([8]))


def test_values_without_keys_match_the_loop():
    # 12 continuous columns of 44 distinct values: the code space exceeds a 62-bit key, so
    # inputs are built from the float rows instead of codes.
    module = small_mlp(12)
    adapter = wrap_model(module, task="regression", device="cpu")
    groups = [(g,) for g in range(12)]
    generator = torch.Generator().manual_seed(2)
    explained, background = torch.randn(4, 12, generator=generator), torch.randn(40, 12)
    kernel = CoalitionValueKernel(adapter, groups, background, max_batch_rows=100)
    coalitions = [0, 5, 4095, 1234]
    got = kernel.values(explained, torch.tensor(coalitions)).numpy()
    expected, _ = loop_values(module, explained, background, groups, coalitions)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert kernel.rows_evaluated == 4 * 4 * 40
