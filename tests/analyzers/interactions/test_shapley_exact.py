"""Exact SII / STII / k-SII against shapiq's ExactComputer on the same games."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from shapiq import ExactComputer

from analyzers.interactions import score_interactions
from analyzers.interactions.shapley_exact import (
    exact_indices,
    exact_indices_from_pair_games,
    interactions_of_order,
)
from tests.conftest import oracle
from workbench import Dataset, wrap_model
from workbench.kernels.coalition_values import CoalitionValueKernel, all_coalitions

SHAPIQ_NAMES = {"sii": "SII", "stii": "STII", "ksii": "k-SII"}


def shapiq_values(game_values: np.ndarray, n_players: int, index: str, order: int):
    """shapiq's values of a game given as values per bitmask (bit g: player g present)."""

    def game(coalitions: np.ndarray) -> np.ndarray:
        masks = (coalitions.astype(np.int64) << np.arange(n_players)).sum(axis=1)
        return game_values[masks]

    return ExactComputer(game, n_players)(SHAPIQ_NAMES[index], order)


@pytest.mark.parametrize("index", ["sii", "stii", "ksii"])
@pytest.mark.parametrize("order", [2, 3])
def test_random_games_match_shapiq(index, order):
    n_players = 7
    games = np.random.default_rng(order).normal(size=(2, 1 << n_players))
    ours = exact_indices(torch.tensor(games), n_players, index, order)
    for row, game in enumerate(games):
        expected = shapiq_values(game, n_players, index, order)
        for size in range(1, order + 1):
            for j, combo in enumerate(interactions_of_order(n_players, size)):
                assert ours[size][row, j].item() == pytest.approx(expected[combo], abs=1e-8)


def integer_polynomial(x: torch.Tensor) -> torch.Tensor:
    # Integer inputs and coefficients: float32 outputs are exact, so both sides see one game.
    return x[:, 0] * x[:, 1] + 2 * x[:, 2] * x[:, 3] * x[:, 4] - x[:, 5] + x[:, 1] * x[:, 5]


@pytest.mark.parametrize("index", ["sii", "stii", "ksii"])
def test_model_game_matches_shapiq_on_the_same_background(index):
    rng = np.random.default_rng(0)
    X = rng.integers(-2, 3, size=(40, 6)).astype(np.float32)
    data = Dataset.from_arrays(X, np.zeros(40))
    background = X[:12]
    result = score_interactions(
        oracle(integer_polynomial), data, index, max_order=3, rows=[3, 17], background=background
    )
    for row in (3, 17):

        def game(coalitions: np.ndarray, x=X[row]) -> np.ndarray:
            columns = coalitions[:, None, :]  # (coalitions, 1, players)
            inputs = np.where(columns, x[None, None, :], background[None, :, :])
            flat = torch.tensor(inputs.reshape(-1, 6), dtype=torch.float32)
            outputs = integer_polynomial(flat).double().numpy()
            return outputs.reshape(len(coalitions), -1).mean(axis=1)

        expected = ExactComputer(game, 6)(SHAPIQ_NAMES[index], 3)
        local = result.scores[result.scores["row"] == row].set_index("pair")["value"]
        for size in (2, 3):
            for combo in interactions_of_order(6, size):
                label = " × ".join(f"x{g}" for g in combo)
                assert local[label] == pytest.approx(expected[combo], abs=1e-8)
    assert result.settings["estimator"] == "exact"


@pytest.mark.parametrize("index", ["sii", "stii", "ksii"])
def test_pair_games_give_the_indices_of_the_full_game(index):
    # Mixed data: discrete groups (rows often agree with background rows) and a continuous one,
    # a two-column group, and an MLP; the per-pair games must add up to the full 2**p game.
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(6, 12), torch.nn.Tanh(), torch.nn.Linear(12, 1))
    rng = np.random.default_rng(1)
    X = rng.integers(0, 2, size=(30, 6)).astype(np.float32)
    X[:, 5] = rng.normal(size=30)
    groups = [(0,), (1, 2), (3,), (4,), (5,)]

    adapter = wrap_model(module, task="regression", device="cpu")
    kernel = CoalitionValueKernel(adapter, groups, torch.tensor(X[:10]), max_batch_rows=64)
    explained = torch.tensor(X[10:16])
    full = exact_indices(kernel.values(explained, all_coalitions(5)), 5, index, 3)
    pairs = exact_indices_from_pair_games(kernel, explained, 5, index, 3)
    for size in (1, 2, 3):
        torch.testing.assert_close(pairs[size], full[size], rtol=0, atol=1e-6)
