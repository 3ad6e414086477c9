"""Data sets as the analyses see them: a float32 feature matrix, a target and feature groups.

A *group* is the unit an analysis permutes or masks together: a numeric column, a one-hot block
("Race=..."), or a categorical field kept as integer codes. Interaction scores are between groups
and named by them, so every Dataset carries a partition of its columns into named groups.
Validation happens here, at the boundary, with one-line messages that name the culprit.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split as sklearn_train_test_split

from workbench.errors import DataError, ParameterError
from workbench.grouping import (
    FeatureGroup,
    GroupsSpec,
    check_partition,
    quote_names,
    resolve_groups,
)

__all__ = ["CATEGORICAL_MODES", "Dataset", "FeatureGroup"]

CATEGORICAL_MODES = ("onehot", "codes")

_NUMERIC_OBJECT_KINDS = {"integer", "floating", "mixed-integer-float", "boolean", "decimal"}
_SHOWN_ROWS = 5  # row positions quoted in one error message
_LONGEST_QUOTE = 200  # characters of a library's message quoted in ours
_FINGERPRINT_LAYOUT = 1  # bump when the hashed layout changes, so old cache keys stop matching


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Feature matrix, optional target, feature names and a partition of the columns into groups.

    Build one with ``from_frame``, ``from_csv``, ``from_parquet`` or ``from_arrays``; the tensors
    are shared with derived data sets, so treat them as read-only.

    Attributes
    ----------
    X : Tensor
        (rows, features) float32, CPU, contiguous; finite.
    y : Tensor or None
        (rows,) float32: a numeric target, or class codes 0..C-1 of ``target_classes``.
    feature_names : tuple of str
        One unique name per column of ``X``.
    groups : tuple of FeatureGroup
        A partition of all columns, ordered by each group's first column.
    target_name, target_classes
        Name of the target; sorted class labels when a non-numeric target was encoded.
    onehot_fields : tuple of FeatureGroup
        The blocks made by ``categorical="onehot"``, kept so ``with_groups("columns")`` can
        regroup them after another grouping was chosen.
    code_levels : dict
        For columns made by ``categorical="codes"``, the level each code stands for.

    Example
    -------
    >>> data = Dataset.from_csv("compas.csv", "Recidivate-Within-Two-Years", groups="prefix")
    >>> train, test = data.train_test_split(test_size=0.2, seed=0)
    """

    X: torch.Tensor
    y: torch.Tensor | None
    feature_names: tuple[str, ...]
    groups: tuple[FeatureGroup, ...]
    target_name: str | None = None
    target_classes: tuple[str, ...] | None = None
    onehot_fields: tuple[FeatureGroup, ...] = ()
    code_levels: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        X, y, names = self.X, self.y, self.feature_names
        if not (isinstance(X, torch.Tensor) and X.dtype == torch.float32 and X.ndim == 2):
            raise DataError("X must be a (rows, features) float32 tensor; use Dataset.from_arrays")
        if X.device.type != "cpu" or not X.is_contiguous():
            raise DataError(f"X must be a contiguous CPU tensor, got device {X.device}")
        rows, columns = X.shape
        if rows == 0:
            raise DataError("the data set is empty: 0 rows")
        if columns == 0:
            raise DataError("the data set has no feature columns")
        if rows == 1:
            raise DataError("the data set has 1 row; it needs at least 2 rows")
        if y is not None:
            if not (isinstance(y, torch.Tensor) and y.dtype == torch.float32 and y.ndim == 1):
                raise DataError("y must be a (rows,) float32 tensor; use Dataset.from_arrays")
            if y.shape[0] != rows:
                raise DataError(f"y has {y.shape[0]} rows but X has {rows}")
        if len(names) != columns:
            raise DataError(f"feature_names has {len(names)} names but X has {columns} columns")
        duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
        if duplicates:
            raise DataError(f"feature_names: duplicate names {quote_names(duplicates)}")
        if self.target_name is not None and self.target_name in names:
            raise DataError(f"target {self.target_name!r} is also a feature; it cannot be both")
        _check_finite(X, names)
        if y is not None:
            bad = ~torch.isfinite(y)
            if bad.any():
                target = self.target_name or "y"
                raise DataError(f"target {target!r} has NaN/inf values: {_bad_rows(bad.numpy())}")
        check_partition(self.groups, names)

    # ----------------------------------------------------------------------- constructors

    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        target: str | None = None,
        *,
        features: Sequence[str] | None = None,
        groups: GroupsSpec = None,
        categorical: str | None = None,
    ) -> Dataset:
        """Build a data set from a DataFrame.

        Parameters
        ----------
        df : DataFrame
            One row per example. Booleans count as numeric (0/1).
        target : str, optional
            Target column: numeric becomes float, anything else class codes (sorted labels).
        features : sequence of str, optional
            Feature columns; default every column but the target.
        groups : None, "columns", "prefix" or mapping
            None/"columns": one group per column (a one-hot field forms one group). "prefix":
            columns like ``Race=Asian`` or ``Age>=30`` grouped by the text before the first
            ``=``, ``<`` or ``>``. Mapping ``{group: [columns]}``: listed groups, every other
            column alone (an unlisted one-hot field stays whole); a field name stands for its
            one-hot columns.
        categorical : None, "onehot" or "codes"
            How to encode non-numeric features: ``field=level`` 0/1 columns, or codes 0..L-1
            of the sorted levels in one column. None rejects non-numeric features.

        Returns
        -------
        Dataset

        Example
        -------
        >>> Dataset.from_frame(df, "income", categorical="onehot").group_names[:2]
        ('age', 'workclass')
        """
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
            if categorical is None:
                raise DataError(
                    f"feature {name!r} is not numeric (dtype {series.dtype}); "
                    "pass categorical='onehot' or categorical='codes'"
                )
            levels, codes = _encode_levels(series, f"feature {name!r}")
            if categorical == "codes":
                names.append(name)
                blocks.append(codes[:, None])
                code_levels[name] = levels
            else:
                start = len(names)
                names.extend(f"{name}={level}" for level in levels)
                blocks.append(np.eye(len(levels), dtype=np.float32)[codes])  # (rows, levels)
                columns = tuple(range(start, len(names)))
                onehot_fields.append(FeatureGroup(name, columns, "onehot"))
        y, classes = (None, None) if target is None else _encode_target(df[target], str(target))
        X = np.concatenate(blocks, axis=1)  # (rows, features)
        return cls._build(
            X, y, tuple(names), groups, target, classes, tuple(onehot_fields), code_levels
        )

    @classmethod
    def from_csv(
        cls,
        path: str | Path,
        target: str | None = None,
        *,
        features: Sequence[str] | None = None,
        groups: GroupsSpec = None,
        categorical: str | None = None,
    ) -> Dataset:
        """Read a CSV file (``.csv.gz`` too) and build a data set as ``from_frame`` does.

        Example
        -------
        >>> Dataset.from_csv("adult.csv.gz", "income", categorical="onehot").target_classes
        ('<=50K', '>50K')
        """
        df = _read_table(path, pd.read_csv)
        return cls.from_frame(df, target, features=features, groups=groups, categorical=categorical)

    @classmethod
    def from_parquet(
        cls,
        path: str | Path,
        target: str | None = None,
        *,
        features: Sequence[str] | None = None,
        groups: GroupsSpec = None,
        categorical: str | None = None,
    ) -> Dataset:
        """Read a Parquet file and build a data set as ``from_frame`` does.

        Example
        -------
        >>> Dataset.from_parquet("data.parquet", "label", groups="prefix").n_groups
        7
        """
        df = _read_table(path, pd.read_parquet)
        return cls.from_frame(df, target, features=features, groups=groups, categorical=categorical)

    @classmethod
    def from_arrays(
        cls,
        X: Any,
        y: Any = None,
        *,
        feature_names: Sequence[str] | None = None,
        groups: GroupsSpec = None,
        target_name: str | None = None,
    ) -> Dataset:
        """Build a data set from a numeric (rows, features) array and an optional target.

        Parameters
        ----------
        X : numpy array, torch tensor or nested sequence
            (rows, features), numeric; copied to a float32 CPU tensor.
        y : array-like, optional
            (rows,) or (rows, 1): numeric, or labels that are encoded as class codes.
        feature_names : sequence of str, optional
            Default ``x0, x1, ...``.
        groups : None, "columns", "prefix" or mapping
            As in ``from_frame``.
        target_name : str, optional

        Returns
        -------
        Dataset

        Example
        -------
        >>> Dataset.from_arrays(np.zeros((4, 2)), np.array([0, 1, 0, 1])).feature_names
        ('x0', 'x1')
        """
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
        y_codes, classes = None, None
        if y is not None:
            y_np = _as_numpy(y, "y")
            if y_np.ndim == 2 and y_np.shape[1] == 1:
                y_np = y_np[:, 0]
            if y_np.ndim != 1:
                raise DataError(f"y must be 1-D (rows,), got shape {y_np.shape}")
            y_codes, classes = _encode_target(pd.Series(y_np), target_name or "y")
        return cls._build(X_np, y_codes, names, groups, target_name, classes, (), {})

    @classmethod
    def _build(
        cls,
        X: np.ndarray,
        y: np.ndarray | None,
        names: tuple[str, ...],
        groups: GroupsSpec,
        target_name: Any,
        classes: tuple[str, ...] | None,
        onehot_fields: tuple[FeatureGroup, ...],
        code_levels: dict[str, tuple[str, ...]],
    ) -> Dataset:
        # Values beyond float32's range become inf here and are reported by the finiteness check.
        with np.errstate(over="ignore", invalid="ignore"):
            X32 = np.array(X, dtype=np.float32, order="C")  # (rows, features), a private copy
            y32 = None if y is None else np.array(y, dtype=np.float32)  # (rows,)
        return cls(
            X=torch.from_numpy(X32),
            y=None if y32 is None else torch.from_numpy(y32),
            feature_names=names,
            groups=resolve_groups(groups, names, onehot_fields),
            target_name=None if target_name is None else str(target_name),
            target_classes=classes,
            onehot_fields=onehot_fields,
            code_levels=code_levels,
        )

    # ----------------------------------------------------------------------- accessors

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(group.name for group in self.groups)

    def group(self, name: str) -> FeatureGroup:
        """The group called ``name``; DataError listing some valid names if there is none."""
        return self.groups[self.group_index(name)]

    def group_index(self, name: str) -> int:
        """Position of the group called ``name`` in ``groups``."""
        try:
            return self._group_positions[name]
        except (KeyError, TypeError):
            raise DataError(
                f"unknown group {name!r}; groups include {quote_names(self.group_names)}"
            ) from None

    @cached_property
    def _group_positions(self) -> dict[str, int]:
        return {group.name: i for i, group in enumerate(self.groups)}

    def fingerprint(self) -> str:
        """SHA-256 hex digest of X, y, names and groups; equal content gives equal digests.

        Example
        -------
        >>> data.fingerprint() == data.subset(range(data.n_rows)).fingerprint()
        True
        """
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        header = {
            "layout": _FINGERPRINT_LAYOUT,
            "shape": list(self.X.shape),
            "has_target": self.y is not None,
            "feature_names": list(self.feature_names),
            "groups": [[g.name, list(g.columns), g.kind] for g in self.groups],
            "target_name": self.target_name,
            "target_classes": self.target_classes,
            "code_levels": self.code_levels,
        }
        digest = hashlib.sha256(json.dumps(header, sort_keys=True).encode())
        # Explicit little-endian bytes, so the digest does not depend on the host.
        digest.update(np.ascontiguousarray(self.X.numpy(), dtype="<f4").tobytes())
        if self.y is not None:
            digest.update(np.ascontiguousarray(self.y.numpy(), dtype="<f4").tobytes())
        return digest.hexdigest()

    # ----------------------------------------------------------------------- derived data sets

    def subset(self, rows: Any) -> Dataset:
        """The rows selected by integer indices (repeats allowed) or a boolean mask.

        Example
        -------
        >>> data.subset(data.y.numpy() == 1).n_rows
        """
        index = _row_index(rows, self.n_rows)
        y = None if self.y is None else self.y[index]
        return replace(self, X=self.X[index].contiguous(), y=y)

    def train_test_split(
        self, test_size: float | int = 0.2, seed: int = 0, stratify: bool = False
    ) -> tuple[Dataset, Dataset]:
        """Split rows exactly as ``sklearn.model_selection.train_test_split`` does.

        Parameters
        ----------
        test_size : float or int
            Fraction of rows (0 < test_size < 1) or number of rows in the test part.
        seed : int
            ``random_state`` of scikit-learn: the same seed gives the same rows.
        stratify : bool
            Keep class proportions (passes ``stratify=y``).

        Returns
        -------
        (train, test) : tuple of Dataset

        Example
        -------
        >>> train, test = data.train_test_split(0.2, seed=0)  # COMPAS: 1,443 test rows
        """
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ParameterError(f"seed must be an integer, got {seed!r}")
        if stratify and self.y is None:
            raise ParameterError("stratify=True needs a target, but the data set has none")
        labels = self.y.numpy() if stratify and self.y is not None else None
        try:
            train, test = sklearn_train_test_split(
                np.arange(self.n_rows), test_size=test_size, random_state=seed, stratify=labels
            )
        except (ValueError, TypeError) as error:
            raise ParameterError(
                f"train_test_split(test_size={test_size!r}, stratify={stratify}): "
                f"{_first_line(error)}"
            ) from None
        if min(len(train), len(test)) < 2:
            raise ParameterError(
                f"test_size={test_size!r} leaves {len(train)} train and {len(test)} test rows; "
                "each part needs at least 2 rows"
            )
        return self.subset(train), self.subset(test)

    def with_groups(self, groups: GroupsSpec) -> Dataset:
        """The same data with another grouping (same forms as ``from_frame``'s ``groups``).

        Example
        -------
        >>> data.with_groups({"age": ["Age>=30", "Age<=40"]}).group("age").kind
        'custom'
        """
        return replace(self, groups=resolve_groups(groups, self.feature_names, self.onehot_fields))

    def to_frame(self) -> pd.DataFrame:
        """Features as float32 columns, plus the target (class labels when it was encoded)."""
        frame = pd.DataFrame(self.X.numpy(), columns=list(self.feature_names), copy=True)
        if self.y is not None:
            target = self.y.numpy()
            if self.target_classes is not None:
                target = np.asarray(self.target_classes, dtype=object)[target.astype(np.int64)]
            frame[self.target_name or "target"] = target
        return frame

    def __repr__(self) -> str:
        target = "" if self.y is None else f", target={self.target_name or 'y'!r}"
        return (
            f"Dataset(rows={self.n_rows}, features={self.n_features}, "
            f"groups={self.n_groups}{target})"
        )


# --------------------------------------------------------------------------- conversion


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
        raise DataError(f"{what} has missing values: {_bad_rows(missing)}")
    values = series.to_numpy(dtype=object)
    levels = list(pd.unique(values))
    try:
        levels.sort()
    except TypeError:  # mixed types, e.g. 3 and "a": order by their text
        levels.sort(key=str)
    codes = pd.Categorical(values, categories=levels).codes.astype(np.int64)  # (rows,)
    return tuple(str(level) for level in levels), codes


def _encode_target(series: pd.Series, name: str) -> tuple[np.ndarray, tuple[str, ...] | None]:
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
        raise DataError(f"{argument} is not a rectangular array: {_first_line(error)}") from None


def _row_index(rows: Any, n_rows: int) -> torch.Tensor:
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


def _read_table(path: str | Path, reader: Callable[[Path], pd.DataFrame]) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"path={str(path)!r} is not a file")
    try:
        return reader(path)
    except (ValueError, OSError, ImportError) as error:
        raise DataError(f"could not read {str(path)!r}: {_first_line(error)}") from None


# --------------------------------------------------------------------------- messages


def _check_finite(X: torch.Tensor, names: tuple[str, ...]) -> None:
    bad = ~torch.isfinite(X)  # (rows, features)
    if not bad.any():
        return
    bad_columns = torch.nonzero(bad.any(dim=0)).flatten().tolist()
    first = bad_columns[0]
    more = f" (and {len(bad_columns) - 1} more columns)" if len(bad_columns) > 1 else ""
    raise DataError(
        f"feature {names[first]!r} has NaN/inf values (or values beyond float32): "
        f"{_bad_rows(bad[:, first].numpy())}{more}"
    )


def _bad_rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    shown = ", ".join(str(row) for row in rows[:_SHOWN_ROWS]) + (
        ", ..." if rows.size > _SHOWN_ROWS else ""
    )
    return f"{rows.size} at row positions {shown}"


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line if len(line) <= _LONGEST_QUOTE else line[: _LONGEST_QUOTE - 3] + "..."
