"""Readers: turn a DataFrame, a CSV or Parquet file, or arrays into the parts of a Dataset.

Non-numeric features become one-hot blocks (``field=level`` 0/1 columns) or integer codes of
the sorted levels; a non-numeric target becomes class codes. Nothing here builds the Dataset
itself: :class:`workbench.data.Dataset`'s constructors call these and check the result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from workbench.data.validation import bad_rows, first_line
from workbench.errors import DataError
from workbench.grouping import FeatureGroup, quote_names

CATEGORICAL_MODES = ("onehot", "codes")

_NUMERIC_OBJECT_KINDS = {"integer", "floating", "mixed-integer-float", "boolean", "decimal"}


@dataclass
class EncodedTable:
    """Numeric parts of a table: features (rows, features), target, names and encodings."""

    X: np.ndarray
    y: np.ndarray | None
    feature_names: tuple[str, ...]
    target_classes: tuple[str, ...] | None = None
    onehot_fields: tuple[FeatureGroup, ...] = ()
    code_levels: dict[str, tuple[str, ...]] = field(default_factory=dict)


def encode_frame(
    df: pd.DataFrame,
    target: str | None,
    features: Sequence[str] | None,
    categorical: str | None,
) -> EncodedTable:
    """The numeric parts of ``df`` (see ``Dataset.from_frame`` for the arguments)."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    feature_columns = _feature_columns(df, target, features)
    if categorical is not None and categorical not in CATEGORICAL_MODES:
        raise DataError(f"categorical={categorical!r}: expected None, 'onehot' or 'codes'")
    if len(df) == 0:
        raise DataError("df is empty: 0 rows")
    names: list[str] = []
    blocks: list[np.ndarray] = []
    onehot_fields: list[FeatureGroup] = []
    code_levels: dict[str, tuple[str, ...]] = {}
    for column in feature_columns:
        name, series = str(column), df[column]
        if _is_numeric(series):
            names.append(name)
            blocks.append(series.to_numpy(dtype=np.float64, na_value=np.nan)[:, None])
            continue
        levels, codes = _categorical_levels(series, name, categorical)
        if categorical == "codes":
            names.append(name)
            blocks.append(codes[:, None])
            code_levels[name] = levels
        else:
            start = len(names)
            names.extend(f"{name}={level}" for level in levels)
            blocks.append(np.eye(len(levels), dtype=np.float32)[codes])  # (rows, levels)
            onehot_fields.append(FeatureGroup(name, tuple(range(start, len(names))), "onehot"))
    y, classes = (None, None) if target is None else encode_target(df[target], str(target))
    return EncodedTable(
        X=np.concatenate(blocks, axis=1),  # (rows, features)
        y=y,
        feature_names=tuple(names),
        target_classes=classes,
        onehot_fields=tuple(onehot_fields),
        code_levels=code_levels,
    )


def encode_arrays(
    X: Any, y: Any, feature_names: Sequence[str] | None, target_name: str | None
) -> EncodedTable:
    """The numeric parts of arrays (see ``Dataset.from_arrays`` for the arguments)."""
    X_np = _as_numpy(X, "X")
    if X_np.ndim != 2:
        raise DataError(f"X must be 2-D (rows, features), got shape {X_np.shape}")
    if X_np.dtype.kind not in "biuf":
        raise DataError(
            f"X must be numeric, got dtype {X_np.dtype}; "
            "use Dataset.from_frame(..., categorical='onehot') for text columns"
        )
    if feature_names is None:
        names = tuple(f"x{i}" for i in range(X_np.shape[1]))
    else:
        names = tuple(str(name) for name in feature_names)
    if y is None:
        return EncodedTable(X=X_np, y=None, feature_names=names)
    y_np = _as_numpy(y, "y")
    if y_np.ndim == 2 and y_np.shape[1] == 1:
        y_np = y_np[:, 0]
    if y_np.ndim != 1:
        raise DataError(f"y must be 1-D (rows,), got shape {y_np.shape}")
    y_codes, classes = encode_target(pd.Series(y_np), target_name or "y")
    return EncodedTable(X=X_np, y=y_codes, feature_names=names, target_classes=classes)


def read_table(path: str | Path, reader: Callable[[Path], pd.DataFrame]) -> pd.DataFrame:
    """``reader(path)`` with a one-line DataError when the file is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"path={str(path)!r} is not a file")
    try:
        return reader(path)
    except (ValueError, OSError, ImportError) as error:
        raise DataError(f"could not read {str(path)!r}: {first_line(error)}") from None


def _categorical_levels(
    series: pd.Series, name: str, categorical: str | None
) -> tuple[tuple[str, ...], np.ndarray]:
    if categorical is None:
        raise DataError(
            f"feature {name!r} is not numeric (dtype {series.dtype}); "
            "pass categorical='onehot' or categorical='codes'"
        )
    return _encode_levels(series, f"feature {name!r}")


def _feature_columns(df: pd.DataFrame, target: Any, features: Any) -> list[Any]:
    columns = list(df.columns)
    if df.columns.has_duplicates:
        duplicates = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise DataError(f"df has duplicate column names {quote_names(duplicates)}")
    if target is not None and target not in columns:
        raise DataError(
            f"target={target!r} is not a column of df; columns include {quote_names(columns)}"
        )
    if features is None:
        selected = [c for c in columns if c != target]
    else:
        selected = [features] if isinstance(features, str) else list(features)
        for column in selected:
            if column not in columns:
                raise DataError(
                    f"features: unknown column {column!r}; columns include {quote_names(columns)}"
                )
        if target is not None and target in selected:
            raise DataError(f"target={target!r} is also listed in features; it cannot be both")
        twice = [column for column, count in Counter(selected).items() if count > 1]
        if twice:
            raise DataError(f"features lists columns twice: {quote_names(twice)}")
    if not selected:
        raise DataError("the data set has no feature columns (features is empty)")
    return selected


def _is_numeric(series: pd.Series) -> bool:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return True
    if pd.api.types.is_numeric_dtype(dtype):
        return not pd.api.types.is_complex_dtype(dtype)
    return dtype.kind == "O" and pd.api.types.infer_dtype(series) in _NUMERIC_OBJECT_KINDS


def _encode_levels(series: pd.Series, what: str) -> tuple[tuple[str, ...], np.ndarray]:
    """Sorted level labels and each row's code (int64) for a non-numeric column."""
    missing = series.isna().to_numpy()
    if missing.any():
        raise DataError(f"{what} has missing values: {bad_rows(missing)}")
    values = series.to_numpy(dtype=object)
    levels = list(pd.unique(values))
    try:
        levels.sort()
    except TypeError:  # mixed types, e.g. 3 and "a": order by their text
        levels.sort(key=str)
    codes = pd.Categorical(values, categories=levels).codes.astype(np.int64)  # (rows,)
    return tuple(str(level) for level in levels), codes


def encode_target(series: pd.Series, name: str) -> tuple[np.ndarray, tuple[str, ...] | None]:
    if _is_numeric(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan), None
    classes, codes = _encode_levels(series, f"target {name!r}")
    return codes, classes


def _as_numpy(values: Any, argument: str) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        if values.is_complex():
            raise DataError(f"{argument} must be real, got dtype {values.dtype}")
        # float32 covers every dtype torch has (bfloat16 has no numpy equivalent).
        return values.detach().to(device="cpu", dtype=torch.float32).numpy()
    try:
        return np.asarray(values)
    except (ValueError, TypeError) as error:
        raise DataError(f"{argument} is not a rectangular array: {first_line(error)}") from None
