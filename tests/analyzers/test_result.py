"""The Result protocol: every field type survives to_dict → JSON → from_dict."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from analyzers.result import Diagnostic, Result, frame_from_dict, frame_to_dict
from workbench.errors import ParameterError


@dataclass(frozen=True, eq=False)
class _Inner(Result):
    kind = "inner"
    model_names: tuple[str, ...]
    settings: dict
    seconds: float
    table: pd.DataFrame
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table


@dataclass(frozen=True, eq=False)
class _Outer(Result):
    kind = "outer"
    model_names: tuple[str, ...]
    settings: dict
    seconds: float
    inner: _Inner
    optional: _Inner | None
    pairs: tuple[tuple[str, str], ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    extra: dict = field(default_factory=dict)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["a", "b", None],
            "value": [1.5, np.nan, -np.inf],
            "count": np.array([1, 2, 3], dtype=np.int64),
            "maybe": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
            "label": pd.array(["x", None, "z"], dtype="string"),
            "text": pd.Series(["x", None, "z"], dtype=object),
        }
    )


def test_frames_keep_their_dtypes_and_write_nan_as_null():
    data = frame_to_dict(_frame())
    text = json.dumps(data, allow_nan=False)  # NaN/inf would make invalid JSON
    back = frame_from_dict(json.loads(text))
    assert dict(back.dtypes.astype(str)) == dict(_frame().dtypes.astype(str))
    assert back["value"].isna().tolist() == [False, True, True]
    assert back["maybe"].isna().tolist() == [False, True, False]


def test_an_empty_frame_keeps_its_float_and_bool_columns():
    empty = _frame().iloc[:0]
    back = frame_from_dict(frame_to_dict(empty))
    assert back["value"].dtype == float and back["flag"].dtype == bool


def test_nested_results_diagnostics_and_tuples_round_trip():
    inner = _Inner(("m",), {"k": 1}, 0.5, _frame(), (Diagnostic("flat", "all zero"),))
    outer = _Outer(
        model_names=("a", "b"),
        settings={"random_state": 0},
        seconds=np.float64(1.25),
        inner=inner,
        optional=None,
        pairs=(("a", "b"), ("b", "c")),
        extra={"n": np.int64(3)},
    )
    back = _Outer.from_json(outer.to_json())
    assert back.model_names == ("a", "b") and back.seconds == 1.25
    assert back.pairs == (("a", "b"), ("b", "c")) and back.optional is None
    assert back.inner.diagnostics == (Diagnostic("flat", "all zero"),)
    assert back.inner.model_name == "m"
    # JSON has no inf: it comes back as a missing value, like NaN.
    pd.testing.assert_frame_equal(back.inner.to_frame(), inner.table.replace(-np.inf, np.nan))
    assert back.extra == {"n": 3}


def test_one_model_name_is_asked_for_by_name():
    outer = _Outer(("a", "b"), {}, 0.0, _Inner(("m",), {}, 0.0, _frame()), None, ())
    with pytest.raises(ParameterError, match=r"model_name: .* about 2 models"):
        _ = outer.model_name


def test_a_payload_of_another_kind_is_refused():
    inner = _Inner(("m",), {}, 0.0, _frame())
    with pytest.raises(ParameterError, match="expected kind 'outer', got 'inner'"):
        _Outer.from_dict(inner.to_dict())


def test_a_diagnostic_has_a_known_severity():
    with pytest.raises(ParameterError, match="severity"):
        Diagnostic("x", "y", severity="fatal")
