"""JSON round-trip of the result frames: records plus the column kinds JSON loses."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def frame_to_dict(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame as plain JSON data: columns, which of them are float or bool, rows (NaN → None)."""
    return {
        "columns": list(frame.columns),
        "float_columns": [c for c in frame.columns if frame[c].dtype.kind == "f"],
        "bool_columns": [c for c in frame.columns if frame[c].dtype.kind == "b"],
        "rows": [[json_value(v) for v in row] for row in frame.itertuples(index=False)],
    }


def frame_from_dict(data: dict[str, Any]) -> pd.DataFrame:
    """The frame written by ``frame_to_dict``, with float and bool columns restored."""
    frame = pd.DataFrame(data["rows"], columns=data["columns"])
    # JSON writes NaN as null and an empty frame has no values to infer a dtype from.
    for column in data.get("float_columns", []):
        frame[column] = frame[column].astype(float)
    for column in data.get("bool_columns", []):
        frame[column] = frame[column].astype(bool)
    return frame


def json_value(value: Any) -> Any:
    """A numpy scalar as a Python one; NaN and inf as None (JSON has neither)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
