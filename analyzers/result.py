"""One Result protocol for every analyzer, and the one JSON form of its frames.

Every analyzer returns a frozen dataclass that subclasses :class:`Result` (as shapiq's
``InteractionValues`` is one type for every index). Each declares, besides its own data:

- ``model_names``: the model(s) the result is about (one name for single-model results);
- ``settings``: the JSON-safe parameters that produced it;
- ``seconds``: wall time of the analysis;
- ``diagnostics``: what makes the result degenerate or to be read with care (an empty set, no
  interaction above tolerance...), shown by every view.

and gets ``to_dict()`` / ``from_dict()`` / ``to_json()`` / ``from_json()`` from here, driven by
its field types: frames, nested results, diagnostics, tuples and plain values. ``to_frame()`` is
the result's main table, tidy, one row per scored thing.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from workbench.errors import ParameterError
from workbench.parquet_sidecar import FRAME_KEY

SEVERITIES = ("info", "warning")


@dataclass(frozen=True)
class Diagnostic:
    """Something a reader of the result must know before drawing a conclusion.

    Attributes
    ----------
    code : str
        Stable machine name, e.g. ``"empty_rashomon_set"``; tests and views match on it.
    message : str
        One sentence for the user, with the numbers that make it so.
    severity : {"info", "warning"}
        ``warning`` when the result is degenerate (a conclusion drawn from it would be wrong).
    """

    code: str
    message: str
    severity: str = "warning"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ParameterError(f"severity: expected one of {SEVERITIES}, got {self.severity!r}")


class Result:
    """Base of every analyzer result (a frozen dataclass declaring the protocol's fields)."""

    kind: ClassVar[str]
    model_names: tuple[str, ...]
    settings: dict[str, Any]
    seconds: float
    diagnostics: tuple[Diagnostic, ...]

    @property
    def model_name(self) -> str:
        """The one model a single-model result is about."""
        if len(self.model_names) != 1:
            raise ParameterError(
                f"model_name: this {type(self).__name__} is about {len(self.model_names)} "
                f"models ({', '.join(self.model_names)}); read model_names"
            )
        return self.model_names[0]

    def to_frame(self) -> pd.DataFrame:
        """The result's main table (tidy: one row per scored thing)."""
        raise NotImplementedError(f"{type(self).__name__}.to_frame")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN and NA written as None); ``from_dict`` reads it back."""
        data: dict[str, Any] = {"kind": self.kind}
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            data[item.name] = encode_value(getattr(self, item.name))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """Rebuild a result written by ``to_dict`` (or read back from its JSON)."""
        kind = data.get("kind")
        if kind != cls.kind:
            raise ParameterError(f"result: expected kind {cls.kind!r}, got {kind!r}")
        hints = typing.get_type_hints(cls)
        values = {}
        for item in dataclasses.fields(cls):  # type: ignore[arg-type]
            if item.name in data:
                values[item.name] = decode_value(data[item.name], hints[item.name])
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str):
        return cls.from_dict(json.loads(text))


def encode_value(value: Any) -> Any:
    """A field value as plain JSON data."""
    if isinstance(value, pd.DataFrame):
        return frame_to_dict(value)
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, Diagnostic):
        return dataclasses.asdict(value)
    if isinstance(value, np.ndarray):
        return [encode_value(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    return json_value(value)


def decode_value(value: Any, hint: Any) -> Any:
    """``value`` written by ``encode_value``, rebuilt as the field type ``hint`` says."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return decode_value(value, options[0]) if len(options) == 1 else value
    if hint is pd.DataFrame:
        return frame_from_dict(value)
    if isinstance(hint, type) and issubclass(hint, Result):
        return hint.from_dict(value)
    if hint is Diagnostic:
        return Diagnostic(**value)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode_value(v, args[0]) for v in value)
        if args:
            return tuple(decode_value(v, a) for v, a in zip(value, args, strict=True))
        return tuple(value)
    if hint is float:
        return float(value)
    return value


def frame_to_dict(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame as plain JSON data: columns, their dtypes (JSON loses them), rows (NaN → None)."""
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": {str(c): str(frame[c].dtype) for c in frame.columns},
        "rows": [[encode_value(v) for v in row] for row in frame.itertuples(index=False)],
    }


def frame_from_dict(data: dict[str, Any]) -> pd.DataFrame:
    """The frame written by ``frame_to_dict``, its column dtypes restored.

    A frame the store read from a Parquet sidecar comes as a DataFrame under ``FRAME_KEY``
    instead of rows (``ResultStore.get(..., frames=True)``): it is taken as it is, with no row
    lists built, and its dtypes restored by the same rules.
    """
    if FRAME_KEY in data:
        frame = data[FRAME_KEY]
    else:
        frame = pd.DataFrame(data["rows"], columns=data["columns"])
    for column, dtype in data.get("dtypes", {}).items():
        values = frame[column]
        # JSON writes NaN/NA as null, and an empty frame has no values to infer a dtype from.
        if dtype.startswith("float"):
            frame[column] = values.astype(float)
        elif dtype == "bool":
            frame[column] = values.astype(bool if values.notna().all() else "boolean")
        elif dtype in ("boolean", "Int64", "string", "str"):
            frame[column] = values.astype(dtype)
        elif dtype.startswith(("int", "uint")):
            frame[column] = values.astype(dtype if values.notna().all() else "Int64")
        elif dtype == "object":
            # pandas 3 reads text as its "str" dtype; a column written as object stays one.
            frame[column] = values.astype(object).where(values.notna(), None)
    return frame


def json_value(value: Any) -> Any:
    """A numpy or pandas scalar as a Python one; NaN, inf and NA as None (JSON has none)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
