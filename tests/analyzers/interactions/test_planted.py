"""Every index finds a planted interaction and scores an additive model's pairs at zero."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import GradientBoostingRegressor

from analyzers.interactions import score_interactions
from tests.conftest import factorial_dataset, oracle


def planted(x):
    return x[:, 0] + 0.5 * x[:, 1] - x[:, 2] + 0.8 * x[:, 3] + 1.5 * x[:, 1] * x[:, 3]


def additive(x):
    return x[:, 0] + 0.5 * x[:, 1] - x[:, 2] + 0.8 * x[:, 3] + 0.3 * x[:, 4]


MODEL_INDICES = ["sii", "stii", "ksii", "h2", "fis"]


def additive3(x):
    return x[:, 0] - x[:, 2]


def codes(result):
    return [d.code for d in result.diagnostics]


def ranked(result):
    return result.global_scores().sort_values("value", ascending=False)


@pytest.mark.parametrize("index", MODEL_INDICES)
def test_planted_interaction_ranks_first(index):
    data = factorial_dataset(5, formula=planted)
    result = score_interactions(
        oracle(planted), data, index, rows=None, background=32, random_state=1
    )
    table = ranked(result)
    assert table["pair"].iloc[0] == "x2 × x4"
    assert table["value"].iloc[0] > 0.1
    assert table["value"].iloc[1:].max() < 1e-6
    assert "no_interaction_above_tolerance" not in codes(result)


@pytest.mark.parametrize("index", MODEL_INDICES)
def test_additive_model_scores_every_pair_zero(index):
    data = factorial_dataset(5, formula=additive)
    result = score_interactions(oracle(additive), data, index, background=32)
    assert len(result.pairs) == 10
    assert result.global_scores()["value"].max() < 1e-6
    assert "no_interaction_above_tolerance" in codes(result)


def test_tree_index_finds_the_planted_pair_and_stumps_score_zero():
    data = factorial_dataset(5, formula=planted)
    X, y = data.X.numpy(), data.y.numpy()
    boosted = GradientBoostingRegressor(n_estimators=50, max_depth=2, random_state=0).fit(X, y)
    table = ranked(score_interactions(boosted, data, "tree", rows=None))
    assert table["pair"].iloc[0] == "x2 × x4"
    assert table["value"].iloc[0] > 10 * table["value"].iloc[1]
    stumps = GradientBoostingRegressor(n_estimators=50, max_depth=1, random_state=0).fit(X, y)
    result = score_interactions(stumps, data, "tree", rows=None)
    np.testing.assert_allclose(result.global_scores()["value"], 0.0, atol=1e-9)
    assert codes(result) == ["no_interaction_above_tolerance"]


def test_a_constant_model_has_no_interaction_either():
    data = factorial_dataset(3, formula=additive3)
    result = score_interactions(oracle(lambda x: 0.0 * x[:, 0] + 1.0), data, "sii", background=8)
    assert codes(result) == ["no_interaction_above_tolerance"]
