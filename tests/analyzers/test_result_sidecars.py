"""Every Result type with frames loads from Parquet sidecars as the frame it saved, bit for bit.

The store hands ``from_dict`` the sidecars' DataFrames (``get(..., frames=True)``) instead of
row lists; the frame must come out as the JSON round trip gives it: values (NaN, -0.0,
subnormals), dtypes, column order and index.
"""

from __future__ import annotations

import dataclasses
import types
import typing

import numpy as np
import pandas as pd
import pytest

import workbench.parquet_sidecar as sidecar_module
from analyzers.result import Result
from analyzers.screen_refine_result import PAIR_COLUMNS
from tests.app.test_analyses_store import _result_classes
from workbench.store import ResultKey, ResultStore

N_ROWS = 6


def mixed_frame() -> pd.DataFrame:
    """One column per dtype a Result frame holds, each with the values JSON makes hard."""
    frame = pd.DataFrame(
        {
            "model": ["m", "m", None, "m", "m", "m"],  # str with a missing value
            "index": "sii",
            "pair": ["a × b", "a × c", "b × c", "a × b", "a × c", "b × c"],
            "value": [np.nan, -0.0, 1e-310, -np.pi, 1 / 3, 2.0**60],
            "float32": np.array([0.1, np.nan, 3, 4, 5, 6], dtype="float32"),
            "row": np.arange(N_ROWS),
            "int32": np.arange(N_ROWS, dtype="int32") - 3,
            "uint8": np.arange(N_ROWS, dtype="uint8"),
            "Int64": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
            "bool": [True, False] * 3,
            "boolean": pd.array([True, None, False] * 2, dtype="boolean"),
            "string": pd.array(["x", None, "y"] * 2, dtype="string"),
            "object": pd.Series(["u", None, "v"] * 2, dtype=object),
            "empty": pd.Series([None] * N_ROWS, dtype=object),
        }
    )
    for column in PAIR_COLUMNS:  # what ScreenRefineResult requires
        if column not in frame:
            frame[column] = np.linspace(0, 1, N_ROWS)
    return frame


def synthetic(cls: type[Result]) -> Result:
    """An instance of ``cls`` with every frame (of nested results too) a ``mixed_frame``."""
    hints = typing.get_type_hints(cls)
    values = {}
    for item in dataclasses.fields(cls):
        values[item.name] = _value(item.name, hints[item.name])
    return cls(**values)


def _value(name: str, hint):
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if hint is pd.DataFrame:
        return mixed_frame()
    if isinstance(hint, type) and issubclass(hint, Result):
        return synthetic(hint)
    if name == "model_names":
        return ("m",)
    if name == "diagnostics":
        return ()
    if name == "index":
        return "sii"
    plain = {str: "a", float: 0.5, int: 3}
    origin = typing.get_origin(hint) or hint
    return plain[hint] if hint in plain else {tuple: ("a", "b"), dict: {}}[origin]


def frames_of(result: Result, prefix: str = "") -> dict[str, pd.DataFrame]:
    found = {}
    for item in dataclasses.fields(result):
        value = getattr(result, item.name)
        if isinstance(value, pd.DataFrame):
            found[prefix + item.name] = value
        elif isinstance(value, Result):
            found.update(frames_of(value, f"{prefix}{item.name}."))
    return found


def assert_identical(back: pd.DataFrame, expected: pd.DataFrame, where: str) -> None:
    pd.testing.assert_frame_equal(back, expected, check_exact=True, obj=where)
    assert back.dtypes.to_dict() == expected.dtypes.to_dict(), where
    for column in back.columns:  # NaN payloads and signed zeros, which == does not see
        if back[column].dtype.kind == "f":
            assert back[column].to_numpy().tobytes() == expected[column].to_numpy().tobytes()
        if back[column].dtype == object:
            assert [type(v) for v in back[column]] == [type(v) for v in expected[column]]


CLASSES = [cls for cls in _result_classes() if frames_of(synthetic(cls))]


def test_every_result_type_with_frames_is_covered():
    names = {cls.__name__ for cls in CLASSES}
    assert {"InteractionResult", "RashomonResult", "ModelSetResult", "GateReport"} <= names
    assert len(CLASSES) >= 15


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_a_result_loads_from_sidecars_as_its_json_round_trip(tmp_path, monkeypatch, cls):
    result = synthetic(cls)
    key = ResultKey("any", "model-fp", "data-fp")
    json_only = ResultStore(tmp_path / "json", sidecar_min_cells=10**12)
    store = ResultStore(tmp_path / "sidecars", sidecar_min_cells=1)  # every frame to Parquet
    json_only.put(key, result.to_dict())
    store.put(key, result.to_dict())
    frames = frames_of(result)
    assert len(list((store.root / "any").glob("*.parquet"))) == len(frames)

    def no_rows(table):
        raise AssertionError("row lists built on the frame path")

    monkeypatch.setattr(sidecar_module, "_rows", no_rows)
    back = cls.from_dict(store.get(key, frames=True))
    monkeypatch.undo()
    through_json = cls.from_dict(json_only.get(key))
    for where, frame in frames_of(back).items():
        assert_identical(frame, frames_of(through_json)[where], where)
        # the values saved, float32 read back as float64 (as the JSON round trip always did)
        assert_identical(frame, frames[where].astype({"float32": "float64"}), where)
    assert back.to_dict() == through_json.to_dict()
