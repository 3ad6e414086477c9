"""Checks of a Dataset's parts, with one-line messages that name the culprit.

Kept apart from the readers so every way of building a data set (frame, file, arrays, subset)
passes the same checks in :meth:`Dataset.__post_init__`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import torch

from workbench.errors import DataError
from workbench.grouping import quote_names

_SHOWN_ROWS = 5  # row positions quoted in one error message
_LONGEST_QUOTE = 200  # characters of a library's message quoted in ours


def check_tensors(X: object, y: object, names: tuple[str, ...], target_name: str | None) -> None:
    """DataError unless X (rows, features) and y (rows,) are finite float32 CPU tensors that
    fit ``names`` (unique, one per column) and the target is not also a feature."""
    if not (isinstance(X, torch.Tensor) and X.dtype == torch.float32 and X.ndim == 2):
        raise DataError("X must be a (rows, features) float32 tensor; use Dataset.from_arrays")
    if X.device.type != "cpu" or not X.is_contiguous():
        raise DataError(f"X must be a contiguous CPU tensor, got device {X.device}")
    _check_shape(X.shape, y)
    _check_names(names, X.shape[1], target_name)
    check_finite(X, names)
    if y is not None:
        bad = ~torch.isfinite(y)
        if bad.any():
            target = target_name or "y"
            raise DataError(f"target {target!r} has NaN/inf values: {bad_rows(bad.numpy())}")


def _check_shape(shape: torch.Size, y: object) -> None:
    rows, columns = shape
    if rows == 0:
        raise DataError("the data set is empty: 0 rows")
    if columns == 0:
        raise DataError("the data set has no feature columns")
    if rows == 1:
        raise DataError("the data set has 1 row; it needs at least 2 rows")
    if y is None:
        return
    if not (isinstance(y, torch.Tensor) and y.dtype == torch.float32 and y.ndim == 1):
        raise DataError("y must be a (rows,) float32 tensor; use Dataset.from_arrays")
    if y.shape[0] != rows:
        raise DataError(f"y has {y.shape[0]} rows but X has {rows}")


def _check_names(names: tuple[str, ...], columns: int, target_name: str | None) -> None:
    if len(names) != columns:
        raise DataError(f"feature_names has {len(names)} names but X has {columns} columns")
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise DataError(f"feature_names: duplicate names {quote_names(duplicates)}")
    if target_name is not None and target_name in names:
        raise DataError(f"target {target_name!r} is also a feature; it cannot be both")


def row_index(rows: Any, n_rows: int) -> torch.Tensor:
    array = rows.detach().cpu().numpy() if isinstance(rows, torch.Tensor) else np.asarray(rows)
    if array.dtype == bool:
        if array.shape != (n_rows,):
            raise DataError(f"rows: a boolean mask needs shape ({n_rows},), got {array.shape}")
        array = np.flatnonzero(array)
    elif array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise DataError(
            f"rows must be row indices or a boolean mask, got dtype {array.dtype} "
            f"shape {array.shape}"
        )
    if array.size < 2:
        raise DataError(f"rows selects {array.size} rows; a data set needs at least 2 rows")
    outside = array[(array < -n_rows) | (array >= n_rows)]
    if outside.size:
        raise DataError(f"rows: index {int(outside[0])} is out of range for {n_rows} rows")
    return torch.from_numpy(np.where(array < 0, array + n_rows, array).astype(np.int64))


def check_finite(X: torch.Tensor, names: tuple[str, ...]) -> None:
    bad = ~torch.isfinite(X)  # (rows, features)
    if not bad.any():
        return
    bad_columns = torch.nonzero(bad.any(dim=0)).flatten().tolist()
    first = bad_columns[0]
    more = f" (and {len(bad_columns) - 1} more columns)" if len(bad_columns) > 1 else ""
    raise DataError(
        f"feature {names[first]!r} has NaN/inf values (or values beyond float32): "
        f"{bad_rows(bad[:, first].numpy())}{more}"
    )


def bad_rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(row) for row in rows[:_SHOWN_ROWS]) + (
        ", ..." if rows.size > _SHOWN_ROWS else ""
    )
    return f"{rows.size} at row positions {shown}"


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line if len(line) <= _LONGEST_QUOTE else line[: _LONGEST_QUOTE - 3] + "..."
