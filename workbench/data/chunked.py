"""Data that does not fit: distinct rows and their counts, read from Parquet or Dask in chunks.

FISC's exact estimator never needs a row on its own: it evaluates every distinct row once and
weighs it by the label statistics of the rows that share it (``workbench.kernels``). Those are
sums, so they can be built chunk by chunk: each chunk is reduced to its distinct
(features, target) rows with counts, and the counts of equal rows add up across chunks. The
driver, and every worker the data set is sent to, holds the distinct rows only: memory grows
with the number of distinct rows, not with the number of rows.

Counts are integers, so the merge is exact for any chunking, and the statistics the kernel
derives from them (``count · label_stats(y)``) equal the sums over rows bit for bit for class
labels; for a continuous target they agree to rounding (a sum of equal floats taken in
another order).

The data set's fingerprint is the one ``Dataset.from_parquet`` gives the same file (its
bytes are hashed chunk by chunk, the target in a second pass over that one column), so
results, caches and comparisons treat the two alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from workbench.data.dataset import fingerprint_bytes, fingerprint_header
from workbench.data.validation import first_line
from workbench.errors import DataError, ParameterError
from workbench.grouping import FeatureGroup, GroupsSpec, quote_names, resolve_groups

DEFAULT_CHUNK_ROWS = 65_536
DEFAULT_MAX_DISTINCT_ROWS = 1_000_000
_SHOWN_ROWS = 5


@dataclass(frozen=True, eq=False, repr=False)
class DistinctRows:
    """The distinct (features, target) rows of a data set, with how many rows each stands for.

    Accepted where an analysis needs only distinct rows and their counts: FISC with the exact
    estimator (``explore_rashomon(..., approximator="exact")``). Build one with
    ``from_parquet``, ``from_dask`` or ``from_dataset``.

    Attributes
    ----------
    X : Tensor
        (distinct rows, features) float32, sorted lexicographically with ``y`` as last key.
    y : Tensor
        (distinct rows,) float32 target of each distinct row.
    counts : Tensor
        (distinct rows,) int64: data rows equal to each distinct row.
    n_rows : int
        Rows of the data set (the sum of ``counts``).
    feature_names, groups, target_name
        As in ``Dataset``.
    digest : str
        The fingerprint of the same data loaded whole as a ``Dataset``.
    """

    X: torch.Tensor
    y: torch.Tensor
    counts: torch.Tensor
    n_rows: int
    feature_names: tuple[str, ...]
    groups: tuple[FeatureGroup, ...]
    target_name: str
    digest: str
    target_classes = None  # a chunked target is numeric (class codes 0..C-1 for classes)

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_distinct_rows(self) -> int:
        return self.X.shape[0]

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(group.name for group in self.groups)

    def fingerprint(self) -> str:
        """Equals ``Dataset.fingerprint()`` of the same rows loaded whole."""
        return self.digest

    def __repr__(self) -> str:
        return (
            f"DistinctRows(rows={self.n_rows}, distinct={self.n_distinct_rows}, "
            f"features={self.n_features}, groups={self.n_groups}, target={self.target_name!r})"
        )

    # ----------------------------------------------------------------------- constructors

    @classmethod
    def from_parquet(
        cls,
        path: str | Path,
        target: str,
        *,
        features: Sequence[str] | None = None,
        groups: GroupsSpec = None,
        chunk_rows: int = DEFAULT_CHUNK_ROWS,
        max_distinct_rows: int = DEFAULT_MAX_DISTINCT_ROWS,
    ) -> DistinctRows:
        """Read a Parquet file ``chunk_rows`` rows at a time (``ParquetFile.iter_batches``).

        Parameters
        ----------
        path : str or Path
            The Parquet file.
        target : str
            Target column (numeric: a value, or class codes 0..C-1).
        features : sequence of str, optional
            Feature columns (numeric or boolean); default every column but the target.
        groups : None, "columns", "prefix" or mapping
            As in ``Dataset.from_frame``.
        chunk_rows : int
            Rows read and reduced at a time: what bounds memory besides the distinct rows.
        max_distinct_rows : int
            Stop with a DataError when the data has more distinct rows than this (continuous
            data rarely repeats a row, and then nothing is saved).

        Returns
        -------
        DistinctRows

        Example
        -------
        >>> rows = DistinctRows.from_parquet("big.parquet", "label", chunk_rows=100_000)
        >>> explore_rashomon(model, rows, approximator="exact")
        """
        import pyarrow.parquet as pq

        chunk_rows = _check_count(chunk_rows, "chunk_rows")
        path = Path(path)
        if not path.is_file():
            raise DataError(f"path={str(path)!r} is not a file")
        try:
            parquet = pq.ParquetFile(path)
            schema = parquet.schema_arrow
        except (ValueError, OSError) as error:
            raise DataError(f"could not read {str(path)!r}: {first_line(error)}") from None
        kinds = {name: _arrow_kind(schema.field(name).type) for name in schema.names}
        columns = _columns(list(schema.names), kinds, target, features)

        def batches(names: list[str]) -> Iterator[pd.DataFrame]:
            for batch in parquet.iter_batches(batch_size=chunk_rows, columns=names):
                yield batch.to_pandas()

        return _reduce(
            batches, parquet.metadata.num_rows, columns, target, groups, max_distinct_rows
        )

    @classmethod
    def from_dask(
        cls,
        frame: Any,
        target: str,
        *,
        features: Sequence[str] | None = None,
        groups: GroupsSpec = None,
        max_distinct_rows: int = DEFAULT_MAX_DISTINCT_ROWS,
    ) -> DistinctRows:
        """Read a Dask DataFrame one partition at a time (as ``from_parquet`` does chunks).

        Example
        -------
        >>> rows = DistinctRows.from_dask(dd.read_parquet("big/"), "label")
        """
        if not (hasattr(frame, "to_delayed") and hasattr(frame, "npartitions")):
            raise DataError(f"frame must be a Dask DataFrame, got {type(frame).__name__}")
        dtypes = frame.dtypes
        kinds = {str(name): _pandas_kind(dtypes[name]) for name in frame.columns}
        columns = _columns([str(c) for c in frame.columns], kinds, target, features)

        def batches(names: list[str]) -> Iterator[pd.DataFrame]:
            for part in frame[names].to_delayed():
                yield part.compute()

        return _reduce(batches, len(frame), columns, target, groups, max_distinct_rows)

    @classmethod
    def from_dataset(cls, dataset) -> DistinctRows:
        """The distinct rows of a Dataset in memory (the reference the chunked readers equal)."""
        if dataset.y is None:
            raise DataError("dataset has no target column; distinct rows need one")
        block = torch.cat([dataset.X, dataset.y.unsqueeze(1)], dim=1).numpy()
        table = _DistinctTable(max_rows=dataset.n_rows)
        table.add(block)
        rows, counts = table.result()
        return cls(
            X=torch.from_numpy(rows[:, :-1].copy()),
            y=torch.from_numpy(rows[:, -1].copy()),
            counts=torch.from_numpy(counts),
            n_rows=dataset.n_rows,
            feature_names=dataset.feature_names,
            groups=dataset.groups,
            target_name=dataset.target_name or "y",
            digest=dataset.fingerprint(),
        )


class _DistinctTable:
    """Distinct float32 rows and their int64 counts, merged block by block."""

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self.rows: np.ndarray | None = None  # (distinct, columns) float32
        self.counts: np.ndarray | None = None  # (distinct,) int64
        self.seen = 0

    def add(self, block: np.ndarray) -> None:
        rows, counts = _distinct(block, np.ones(block.shape[0], dtype=np.int64))
        if self.rows is not None:
            rows, counts = _distinct(
                np.concatenate([self.rows, rows]), np.concatenate([self.counts, counts])
            )
        self.rows, self.counts = rows, counts
        self.seen += block.shape[0]
        if rows.shape[0] > self.max_rows:
            raise DataError(
                f"after {self.seen} rows the data has {rows.shape[0]} distinct rows, more than "
                f"max_distinct_rows={self.max_rows}: it repeats too few rows for reading in "
                "chunks to save memory (continuous features?); bin them, or load the data "
                "whole with Dataset.from_parquet"
            )

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows in lexicographic order (the same for any chunking) and their counts."""
        rows, inverse = torch.unique(torch.from_numpy(self.rows), dim=0, return_inverse=True)
        counts = torch.zeros(rows.shape[0], dtype=torch.int64)
        counts.index_add_(0, inverse, torch.from_numpy(self.counts))
        return rows.numpy(), counts.numpy()


def _distinct(block: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of ``block`` (rows, columns) with their summed ``counts``.

    Rows are matched by a 64-bit hash (one 1-D sort instead of a row-wise one, several times
    faster); a hash collision is caught by comparing every row with its representative, and
    then rows are matched by value.
    """
    keys = pd.util.hash_pandas_object(pd.DataFrame(block), index=False).to_numpy()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    rows = block[first]
    if not np.array_equal(block, rows[inverse]):
        rows, inverse = np.unique(block, axis=0, return_inverse=True)
    summed = np.zeros(rows.shape[0], dtype=np.int64)
    np.add.at(summed, inverse.ravel(), counts)
    return rows, summed


def _reduce(
    batches: Callable[[list[str]], Iterable[pd.DataFrame]],
    n_rows: int,
    features: list[str],
    target: str,
    groups: GroupsSpec,
    max_distinct_rows: int,
) -> DistinctRows:
    """Reduce the chunks to distinct rows, hashing their bytes as ``Dataset`` does."""
    max_distinct_rows = _check_count(max_distinct_rows, "max_distinct_rows")
    if n_rows < 2:
        raise DataError(f"the data set has {n_rows} rows; it needs at least 2 rows")
    names = tuple(features)
    resolved = resolve_groups(groups, names, ())
    digest = fingerprint_header([n_rows, len(names)], True, names, resolved, target)
    table, start = _DistinctTable(max_distinct_rows), 0
    for frame in batches([*features, target]):
        X = _float32(frame[features], features, start)  # (chunk rows, features)
        y = _float32(frame[[target]], [target], start, "target")  # (chunk rows, 1)
        digest.update(fingerprint_bytes(X))
        table.add(np.concatenate([X, y], axis=1))
        start += X.shape[0]
    # The whole data set's digest hashes y after all of X: a second pass over that one column.
    for frame in batches([target]):
        digest.update(fingerprint_bytes(_float32(frame[[target]], [target], 0, "target")[:, 0]))
    rows, counts = table.result()
    return DistinctRows(
        X=torch.from_numpy(np.ascontiguousarray(rows[:, :-1])),
        y=torch.from_numpy(rows[:, -1].copy()),
        counts=torch.from_numpy(counts),
        n_rows=start,
        feature_names=names,
        groups=resolved,
        target_name=target,
        digest=digest.hexdigest(),
    )


def _float32(
    frame: pd.DataFrame, names: list[str], start: int, what: str = "feature"
) -> np.ndarray:
    """(rows, columns) float32 as ``Dataset.from_frame`` converts them; NaN/inf named."""
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        values = values.astype(np.float32)
    bad = ~np.isfinite(values)
    if bad.any():
        column = int(np.flatnonzero(bad.any(axis=0))[0])
        rows = np.flatnonzero(bad[:, column]) + start
        shown = ", ".join(str(r) for r in rows[:_SHOWN_ROWS]) + (
            ", ..." if rows.size > _SHOWN_ROWS else ""
        )
        raise DataError(
            f"{what} {names[column]!r} has NaN/inf values (or values beyond float32) at row "
            f"positions {shown}"
        )
    return values


def _columns(
    columns: list[str], kinds: dict[str, str], target: str, features: Sequence[str] | None
) -> list[str]:
    """The feature columns, after checking names and types; the target must be numeric."""
    if target not in columns:
        raise DataError(
            f"target={target!r} is not a column of the data; columns include {quote_names(columns)}"
        )
    if features is None:
        selected = [c for c in columns if c != target]
    else:
        selected = [features] if isinstance(features, str) else [str(c) for c in features]
        unknown = [c for c in selected if c not in columns]
        if unknown:
            raise DataError(
                f"features: unknown column {unknown[0]!r}; columns include {quote_names(columns)}"
            )
        if target in selected:
            raise DataError(f"target={target!r} is also listed in features; it cannot be both")
        if len(set(selected)) != len(selected):
            raise DataError("features lists a column twice")
    if not selected:
        raise DataError("the data set has no feature columns (features is empty)")
    for name in [*selected, target]:
        if kinds[name] != "numeric":
            what = "target" if name == target else "feature"
            raise DataError(
                f"{what} {name!r} is not numeric ({kinds[name]}); data read in chunks needs "
                "numeric or boolean columns: encode it first, or load the data whole with "
                "Dataset.from_parquet(..., categorical='onehot')"
            )
    return selected


def _arrow_kind(arrow_type) -> str:
    import pyarrow.types as types

    numeric = types.is_integer(arrow_type) or types.is_floating(arrow_type)
    return "numeric" if numeric or types.is_boolean(arrow_type) else f"Arrow type {arrow_type}"


def _pandas_kind(dtype) -> str:
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype)
    return "numeric" if numeric or pd.api.types.is_bool_dtype(dtype) else f"dtype {dtype}"


def _check_count(value: Any, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ParameterError(f"{argument} must be a positive integer, got {value!r}")
    return int(value)
