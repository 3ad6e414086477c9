"""InteractionResult: aggregation over rows and an exact JSON round trip."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analyzers.interaction_result import InteractionResult
from analyzers.result import Diagnostic
from workbench.errors import ParameterError


def local_result() -> InteractionResult:
    scores = pd.DataFrame(
        {
            "model": "m",
            "index": "sii",
            "pair": ["a × b", "a × c", "b × c"] * 2,
            "value": [1.0, -2.0, 0.5, -3.0, 2.0, 0.25],
            "row": pd.array([0, 0, 0, 1, 1, 1], dtype="Int64"),
        }
    )
    mains = pd.DataFrame(
        {"model": "m", "index": "sii", "group": ["a", "b", "c"], "value": [1.0, 2.0, np.nan]}
    )
    errors = pd.DataFrame({"pair": ["a × b", "a × c", "b × c"], "standard_error": [0.1, 0.2, 0.3]})
    return InteractionResult(
        "m", "sii", ("a", "b", "c"), scores, mains, {"n_rows": 2, "seed": 0}, 1.5, errors
    )


def test_global_scores_aggregate_local_values():
    result = local_result()
    mean_abs = result.global_scores()
    assert list(mean_abs["pair"]) == ["a × b", "a × c", "b × c"]
    np.testing.assert_allclose(mean_abs["value"], [2.0, 2.0, 0.375])
    np.testing.assert_allclose(result.global_scores("mean")["value"], [-1.0, 0.0, 0.375])


def test_global_values_are_kept_or_made_absolute():
    scores = pd.DataFrame(
        {"model": "m", "index": "fis", "pair": ["a × b", "a × c"], "value": [-2.0, 1.0]}
    )
    result = InteractionResult(("m",), "fis", ("a", "b", "c"), scores, pd.DataFrame(), {}, 0.1)
    assert not result.is_local
    np.testing.assert_allclose(result.global_scores()["value"], [2.0, 1.0])
    np.testing.assert_allclose(result.global_scores("mean")["value"], [-2.0, 1.0])


def test_json_round_trip_is_exact():
    result = local_result()
    back = InteractionResult.from_json(json.dumps(result.to_dict()))
    assert (back.model_names, back.index, back.group_names) == (("m",), "sii", ("a", "b", "c"))
    assert back.settings == result.settings and back.seconds == result.seconds
    assert_frame_equal(back.scores, result.scores)
    assert_frame_equal(back.main_effects, result.main_effects)
    assert_frame_equal(back.standard_errors, result.standard_errors)


def test_round_trip_without_standard_errors_or_rows():
    scores = pd.DataFrame({"model": "m", "index": "h2", "pair": ["a × b"], "value": [0.5]})
    result = InteractionResult(("m",), "h2", ("a", "b"), scores, pd.DataFrame(), {}, 0.0)
    back = InteractionResult.from_dict(json.loads(result.to_json()))
    assert back.standard_errors is None
    assert_frame_equal(back.scores, result.scores)


def test_result_protocol_fields_and_the_renamed_model_attribute():
    result = local_result()
    assert result.kind == "interactions" and result.model_names == ("m",)
    assert result.to_frame() is result.scores
    with pytest.warns(FutureWarning, match="renamed model_names"):
        assert result.model == "m"


def test_diagnostics_round_trip_and_old_payloads_still_read():
    notice = Diagnostic("sampling_approximation", "estimated", severity="info")
    result = replace(local_result(), diagnostics=(notice,))
    assert InteractionResult.from_json(result.to_json()).diagnostics == (notice,)
    old = result.to_dict()
    old["model"] = old.pop("model_names")[0]
    del old["diagnostics"]
    back = InteractionResult.from_dict(old)
    assert back.model_names == ("m",) and back.diagnostics == ()


def test_bad_index_and_aggregate_are_one_line_errors():
    with pytest.raises(ParameterError, match="index must be one of"):
        InteractionResult(("m",), "shap", (), local_result().scores, pd.DataFrame(), {}, 0.0)
    with pytest.raises(ParameterError, match="aggregate"):
        local_result().global_scores("max")
