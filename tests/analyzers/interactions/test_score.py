"""score_interactions: row and background choice, triples, round trip, one-line errors."""

from __future__ import annotations

import numpy as np
import pytest
from pandas.testing import assert_frame_equal

from analyzers.interaction_result import InteractionResult
from analyzers.interactions import score_interactions
from tests.conftest import factorial_dataset, oracle
from workbench.errors import DataError, ParameterError


def three_way(x):
    return x[:, 0] * x[:, 1] * x[:, 2] + x[:, 3]


@pytest.fixture
def data():
    return factorial_dataset(4, formula=three_way)


def test_order_three_scores_triples_and_finds_the_planted_one(data):
    result = score_interactions(oracle(three_way), data, "sii", order=3, rows=8, background=16)
    assert len(result.pairs) == 6 + 4
    triples = result.global_scores().query("pair.str.count(' × ') == 2")
    assert triples.sort_values("value")["pair"].iloc[-1] == "x1 × x2 × x3"
    assert sorted(result.scores["row"].unique()) == sorted(result.settings["rows"])


def test_result_round_trips_through_json(data):
    result = score_interactions(oracle(three_way), data, "ksii", rows=5, model_name="oracle")
    back = InteractionResult.from_json(result.to_json())
    assert back.model == "oracle" and back.settings == result.settings
    assert_frame_equal(back.scores, result.scores)
    assert_frame_equal(back.main_effects, result.main_effects)


def test_fis_uses_every_row_by_default_and_matches_the_closed_form(data):
    # fisc.md §1: φ_S = 2·Σ_{U∩S≠∅} σ²_U, and x1·x2·x3 on ±1 data has σ²_123 = 1, so
    # FIS_12 = 2 - 2 - 2 = -2 and FIS_123 = 2 - 3·2 = -4.
    result = score_interactions(oracle(three_way), data, "fis", order=3)
    assert result.settings["n_rows"] == data.n_rows
    fis = result.global_scores("mean").set_index("pair")["value"]
    assert fis["x1 × x2"] == pytest.approx(-2.0, abs=1e-6)
    assert fis["x1 × x4"] == pytest.approx(0.0, abs=1e-6)
    assert fis["x1 × x2 × x3"] == pytest.approx(-4.0, abs=1e-6)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"index": "shap"}, ParameterError, "index must be one of"),
        ({"order": 4}, ParameterError, "order must be 2 or 3"),
        ({"index": "h2", "order": 3}, ParameterError, "scores pairs only"),
        ({"rows": [0, 99]}, ParameterError, "rows: positions must be in 0..31"),
        ({"rows": 0}, ParameterError, "rows must be >= 1"),
        ({"background": np.zeros((3, 2))}, ParameterError, "background must be a count"),
        ({"estimator": "fast"}, ParameterError, "estimator must be one of"),
        ({"output": "probability"}, ParameterError, "does not fit a regression model"),
    ],
)
def test_bad_arguments_are_one_line_errors(data, options, error, message):
    with pytest.raises(error, match=message):
        score_interactions(oracle(three_way), data, **options)


def test_fis_without_a_target_says_so(data):
    no_target = type(data)(data.X, None, data.feature_names, data.groups)
    with pytest.raises(DataError, match="no target"):
        score_interactions(oracle(three_way), no_target, "fis")
