"""Dataset: a float32 feature matrix, a target and a partition of the columns into groups.

A *group* is the unit an analysis permutes or masks together: a numeric column, a one-hot block
("Race=..."), or a categorical field kept as integer codes. Interaction scores are between groups
and named by them, so every Dataset carries a partition of its columns into named groups.
The readers (``workbench.data.readers``) turn frames, files and arrays into its parts; the
checks (``workbench.data.validation``) run on every Dataset built, whichever way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split as sklearn_train_test_split

from workbench.data.readers import EncodedTable, encode_arrays, encode_frame, read_table
from workbench.data.validation import check_tensors, first_line, row_index
from workbench.errors import DataError, ParameterError
from workbench.grouping import (
    FeatureGroup,
    GroupsSpec,
    check_partition,
    quote_names,
    resolve_groups,
)

_FINGERPRINT_LAYOUT = 1  # bump when the hashed layout changes, so old cache keys stop matching


def fingerprint_header(
    shape: list[int],
    has_target: bool,
    feature_names: tuple[str, ...],
    groups: tuple[FeatureGroup, ...],
    target_name: str | None,
    target_classes: tuple[str, ...] | None = None,
    code_levels: dict[str, tuple[str, ...]] | None = None,
):
    """A SHA-256 object fed with a data set's header; X's bytes, then y's, complete the digest.

    Shared with data read in chunks (``workbench.data.chunked``), which feeds the bytes chunk
    by chunk and so gets the digest of the same data loaded whole.
    """
    header = {
        "layout": _FINGERPRINT_LAYOUT,
        "shape": list(shape),
        "has_target": has_target,
        "feature_names": list(feature_names),
        "groups": [[g.name, list(g.columns), g.kind] for g in groups],
        "target_name": target_name,
        "target_classes": target_classes,
        "code_levels": code_levels or {},
    }
    return hashlib.sha256(json.dumps(header, sort_keys=True).encode())


def fingerprint_bytes(values: np.ndarray) -> bytes:
    """Row-major little-endian float32 bytes, so the digest does not depend on the host."""
    return np.ascontiguousarray(values, dtype="<f4").tobytes()


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
        check_tensors(self.X, self.y, self.feature_names, self.target_name)
        check_partition(self.groups, self.feature_names)

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
        table = encode_frame(df, target, features, categorical)
        return cls._build(table, groups, target)

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
        df = read_table(path, pd.read_csv)
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
        df = read_table(path, pd.read_parquet)
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
        table = encode_arrays(X, y, feature_names, target_name)
        return cls._build(table, groups, target_name)

    @classmethod
    def _build(cls, table: EncodedTable, groups: GroupsSpec, target_name: Any) -> Dataset:
        # Values beyond float32's range become inf here and are reported by the finiteness check.
        with np.errstate(over="ignore", invalid="ignore"):
            X32 = np.array(table.X, dtype=np.float32, order="C")  # (rows, features), a copy
            y32 = None if table.y is None else np.array(table.y, dtype=np.float32)  # (rows,)
        return cls(
            X=torch.from_numpy(X32),
            y=None if y32 is None else torch.from_numpy(y32),
            feature_names=table.feature_names,
            groups=resolve_groups(groups, table.feature_names, table.onehot_fields),
            target_name=None if target_name is None else str(target_name),
            target_classes=table.target_classes,
            onehot_fields=table.onehot_fields,
            code_levels=table.code_levels,
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
        digest = fingerprint_header(
            list(self.X.shape),
            self.y is not None,
            self.feature_names,
            self.groups,
            self.target_name,
            self.target_classes,
            self.code_levels,
        )
        digest.update(fingerprint_bytes(self.X.numpy()))
        if self.y is not None:
            digest.update(fingerprint_bytes(self.y.numpy()))
        return digest.hexdigest()

    # ----------------------------------------------------------------------- derived data sets

    def subset(self, rows: Any) -> Dataset:
        """The rows selected by integer indices (repeats allowed) or a boolean mask.

        Example
        -------
        >>> data.subset(data.y.numpy() == 1).n_rows
        """
        index = row_index(rows, self.n_rows)
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
                f"{first_line(error)}"
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
