"""Shared fixtures: small synthetic models with known interactions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from workbench import Dataset, wrap_model


class FormulaModel(torch.nn.Module):
    """A regression 'model' that is an exact formula of its inputs (an oracle)."""

    def __init__(self, formula):
        super().__init__()
        self.formula = formula

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.formula(x)


def oracle(formula, task: str = "regression", **kwargs):
    return wrap_model(FormulaModel(formula), task=task, device="cpu", **kwargs)


def factorial_dataset(n_features: int, noise: float = 0.5, formula=None, names=None) -> Dataset:
    """Every ±1 combination of the features, twice: once with +noise, once with -noise.

    The empirical distribution is then exactly independent with mean 0 and variance 1, and the
    noise is orthogonal to every feature function, so the closed forms of fisc.md section 1 hold
    exactly rather than up to sampling error.
    """
    grid = np.array(list(itertools.product([-1.0, 1.0], repeat=n_features)))
    X = np.concatenate([grid, grid])
    clean = formula(torch.tensor(X, dtype=torch.float32)).numpy()
    y = clean + np.concatenate([np.full(len(grid), noise), np.full(len(grid), -noise)])
    names = names or [f"x{i + 1}" for i in range(n_features)]
    return Dataset.from_arrays(X, y, feature_names=names)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)
