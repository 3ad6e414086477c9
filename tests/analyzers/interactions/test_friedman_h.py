"""Friedman's H²: zero for additive functions, the closed form for a product."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from analyzers.interactions import score_interactions
from tests.conftest import oracle
from workbench import Dataset


def grid_dataset(levels_1, levels_2, levels_3=(0.0, 1.0)) -> Dataset:
    """Every combination of the levels: the sample's empirical distribution is independent."""
    X = np.array(list(itertools.product(levels_1, levels_2, levels_3)), dtype=np.float32)
    return Dataset.from_arrays(X, np.zeros(len(X)))


def test_additive_function_has_zero_h2_everywhere():
    data = grid_dataset([-1.0, 0.5, 2.0], [0.0, 1.0, 3.0])
    model = oracle(lambda x: x[:, 0] ** 2 + 3 * x[:, 1] - x[:, 2])
    result = score_interactions(model, data, "h2", rows=None)
    np.testing.assert_allclose(result.scores["value"], 0.0, atol=1e-10)
    np.testing.assert_allclose(list(result.settings["one_vs_all"].values()), 0.0, atol=1e-10)


def test_product_matches_the_closed_form():
    levels_1, levels_2 = [1.0, 2.0, 4.0], [0.0, 1.0, 1.0, 5.0]
    data = grid_dataset(levels_1, levels_2)
    result = score_interactions(oracle(lambda x: x[:, 0] * x[:, 1]), data, "h2", rows=None)
    # Centred PD: x1x2 - μ1μ2, μ2(x1 - μ1), μ1(x2 - μ2); the residual is (x1-μ1)(x2-μ2), so
    # H² = σ1²σ2² / ((σ1² + μ1²)(σ2² + μ2²) - μ1²μ2²).
    m1, m2, v1, v2 = np.mean(levels_1), np.mean(levels_2), np.var(levels_1), np.var(levels_2)
    expected = v1 * v2 / ((v1 + m1**2) * (v2 + m2**2) - m1**2 * m2**2)
    h2 = result.global_scores("mean").set_index("pair")["value"]
    assert h2["x0 × x1"] == pytest.approx(expected, rel=1e-6)
    assert h2["x0 × x2"] == pytest.approx(0.0, abs=1e-10)
    # One-vs-all: f - PD_1 - PD_-1 leaves the same residual over Var(f).
    one_vs_all = result.settings["one_vs_all"]["x0"]
    assert one_vs_all == pytest.approx(expected, rel=1e-6)


def test_output_scale_divides_by_the_output_variance():
    levels_1, levels_2 = [1.0, 2.0, 4.0], [0.0, 1.0, 1.0, 5.0]
    data = grid_dataset(levels_1, levels_2, levels_3=(-1.0, 1.0))
    model = oracle(lambda x: x[:, 0] * x[:, 1] + 2 * x[:, 2])
    pair_scaled = score_interactions(model, data, "h2", rows=None)
    output_scaled = score_interactions(model, data, "h2", rows=None, h2_scale="output")
    m1, m2, v1, v2 = np.mean(levels_1), np.mean(levels_2), np.var(levels_1), np.var(levels_2)
    product_variance = (v1 + m1**2) * (v2 + m2**2) - m1**2 * m2**2
    # The residual of the pair is (x1-μ1)(x2-μ2) either way; Var(f) adds 4·Var(x3) = 4.
    expected_pair = v1 * v2 / product_variance
    expected_output = v1 * v2 / (product_variance + 4.0)
    assert pair_scaled.global_scores().set_index("pair")["value"]["x0 × x1"] == pytest.approx(
        expected_pair, rel=1e-6
    )
    assert output_scaled.global_scores().set_index("pair")["value"]["x0 × x1"] == pytest.approx(
        expected_output, rel=1e-6
    )
    assert output_scaled.settings["h2_scale"] == "output"


@pytest.mark.parametrize("scale", ["pair", "output"])
def test_every_statistic_of_a_planted_pair_matches_the_hand_derivation(scale):
    """f = x1 + 2·x2 + 3·x3 + x1·x2 on the ±1 grid (8 rows, independent, mean 0, x² = 1).

    Partial dependences over the sample, already centred (every cross term averages to 0):
    PD_1 = x1, PD_2 = 2·x2, PD_3 = 3·x3, PD_12 = x1 + 2·x2 + x1·x2, PD_13 = x1 + 3·x3,
    PD_23 = 2·x2 + 3·x3, PD_-1 = 2·x2 + 3·x3, PD_-2 = x1 + 3·x3, PD_-3 = x1 + 2·x2 + x1·x2.
    Sums over the 8 rows: Σf² = 8·(1 + 4 + 9 + 1) = 120, Σ(x1·x2)² = 8, ΣPD_12² = 48.

    - main effects (PD variance shares) ΣPD_j²/Σf²: 8/120, 32/120, 72/120;
    - H²_12 = Σ(x1·x2)² / ΣPD_12² = 8/48 (pair) or 8/120 (output); H²_13 = H²_23 = 0;
    - one-vs-all Σ(f - PD_j - PD_-j)²/Σf²: 8/120, 8/120, 0.

    The coefficients differ, so a main effect (or a pair residual) taken on the wrong group's
    partial dependence, or on PD_-j instead of PD_j, changes these numbers.
    """
    X = np.array(list(itertools.product([-1.0, 1.0], repeat=3)), dtype=np.float32)
    data = Dataset.from_arrays(X, np.zeros(len(X)))
    model = oracle(lambda x: x[:, 0] + 2 * x[:, 1] + 3 * x[:, 2] + x[:, 0] * x[:, 1])
    result = score_interactions(model, data, "h2", rows=None, h2_scale=scale)
    pairs = result.global_scores().set_index("pair")["value"]
    expected_pair = 8 / 48 if scale == "pair" else 8 / 120
    np.testing.assert_allclose(
        pairs[["x0 × x1", "x0 × x2", "x1 × x2"]], [expected_pair, 0.0, 0.0], atol=1e-6
    )
    mains = result.main_effects.set_index("group")["value"]
    np.testing.assert_allclose(mains[["x0", "x1", "x2"]], [8 / 120, 32 / 120, 72 / 120], atol=1e-6)
    one_vs_all = result.settings["one_vs_all"]
    np.testing.assert_allclose(
        [one_vs_all[g] for g in ("x0", "x1", "x2")], [8 / 120, 8 / 120, 0.0], atol=1e-6
    )
