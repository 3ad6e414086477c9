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
    result = score_interactions(oracle(three_way), data, "sii", max_order=3, rows=8, background=16)
    assert len(result.pairs) == 6 + 4
    triples = result.global_scores().query("pair.str.count(' × ') == 2")
    assert triples.sort_values("value")["pair"].iloc[-1] == "x1 × x2 × x3"
    assert sorted(result.scores["row"].unique()) == sorted(result.settings["rows"])


def test_result_round_trips_through_json(data):
    result = score_interactions(oracle(three_way), data, "ksii", rows=5, model_name="oracle")
    back = InteractionResult.from_json(result.to_json())
    assert back.model_names == ("oracle",) and back.settings == result.settings
    assert_frame_equal(back.scores, result.scores)
    assert_frame_equal(back.main_effects, result.main_effects)


def test_fis_uses_every_row_by_default_and_matches_the_closed_form(data):
    # fisc.md §1: φ_S = 2·Σ_{U∩S≠∅} σ²_U, and x1·x2·x3 on ±1 data has σ²_123 = 1, so
    # FIS_12 = 2 - 2 - 2 = -2 and FIS_123 = 2 - 3·2 = -4.
    result = score_interactions(oracle(three_way), data, "fis", max_order=3)
    assert result.settings["n_rows"] == data.n_rows
    fis = result.global_scores("mean").set_index("pair")["value"]
    assert fis["x1 × x2"] == pytest.approx(-2.0, abs=1e-6)
    assert fis["x1 × x4"] == pytest.approx(0.0, abs=1e-6)
    assert fis["x1 × x2 × x3"] == pytest.approx(-4.0, abs=1e-6)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"index": "shap"}, ParameterError, "index must be one of"),
        ({"max_order": 4}, ParameterError, "max_order must be 2 or 3"),
        ({"index": "h2", "max_order": 3}, ParameterError, "scores pairs only"),
        ({"rows": [0, 99]}, ParameterError, "rows: positions must be in 0..31"),
        ({"rows": 0}, ParameterError, "rows must be >= 1"),
        ({"background": np.zeros((3, 2))}, ParameterError, "background must be a count"),
        ({"approximator": "fast"}, ParameterError, "approximator must be one of"),
        ({"output": "probability"}, ParameterError, "does not fit a regression model"),
    ],
)
def test_bad_arguments_are_one_line_errors(data, options, error, message):
    with pytest.raises(error, match=message):
        score_interactions(oracle(three_way), data, **options)


def test_old_parameter_names_warn_and_give_the_same_scores(data):
    new = score_interactions(oracle(three_way), data, "sii", max_order=3, rows=6, random_state=2)
    with pytest.warns(FutureWarning) as caught:
        old = score_interactions(
            oracle(three_way), data, "sii", order=3, rows=6, seed=2, estimator="auto"
        )
    renames = {"seed= is renamed random_state=", "order= is renamed max_order="}
    renames.add("estimator= is renamed approximator=")
    assert all(any(r in str(w.message) for w in caught) for r in renames)
    assert_frame_equal(old.scores, new.scores)
    with pytest.raises(ParameterError, match="give only random_state"):
        score_interactions(oracle(three_way), data, seed=1, random_state=1)


@pytest.mark.parametrize(
    ("spelling", "index"), [("SII", "sii"), ("STII", "stii"), ("k-SII", "ksii")]
)
def test_shapiq_index_spellings_are_accepted(data, spelling, index):
    result = score_interactions(oracle(three_way), data, spelling, rows=4, background=8)
    assert result.index == index and set(result.scores["index"]) == {index}


def test_model_name_defaults_to_model_and_is_stored(data):
    result = score_interactions(oracle(three_way), data, "h2", rows=8)
    assert result.model_names == ("model",) and result.model_name == "model"
    named = score_interactions(oracle(three_way), data, "h2", rows=8, model_name="oracle")
    assert set(named.to_frame()["model"]) == {"oracle"}


def test_permutation_fis_says_it_is_an_estimate(data):
    result = score_interactions(
        oracle(three_way), data, "fis", approximator="permutation", n_permutations=3
    )
    assert [d.code for d in result.diagnostics] == ["permutation_approximation"]


def test_fis_without_a_target_says_so(data):
    no_target = type(data)(data.X, None, data.feature_names, data.groups)
    with pytest.raises(DataError, match="no target"):
        score_interactions(oracle(three_way), no_target, "fis")
