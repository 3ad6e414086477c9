"""Any table as coded CTR fields: numeric columns bucketised by quantiles, the others one code
per value, a two-valued target as 0/1; one group per field, ``code_levels`` labelling the codes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from workbench.data import Dataset
from workbench.errors import DataError, ParameterError
from workbench.grouping import resolve_groups


def fields_from_frame(
    frame: pd.DataFrame,
    target: str,
    *,
    positive: str | None = None,
    numeric: Sequence[str] | None = None,
    n_buckets: int = 10,
) -> Dataset:
    """Any table as coded CTR fields: numeric columns bucketised, the others one level per value.

    Parameters
    ----------
    frame : DataFrame
    target : str
        A 0/1 column, or a column with two values (``positive`` names the clicked one; default
        the second in sorted order).
    positive : str, optional
    numeric : sequence of str, optional
        Columns to bucketise; default every numeric column with more than ``n_buckets`` values.
    n_buckets : int
        Quantile buckets per numeric field; fewer when quantiles coincide, and a value held by
        more than 1/n_buckets of the rows gets a bucket of its own (capital-gain 0).

    Returns
    -------
    Dataset
        One float column of codes and one group per field; ``code_levels`` labels the codes.
    """
    if isinstance(n_buckets, bool) or not isinstance(n_buckets, int) or n_buckets < 2:
        raise ParameterError(f"n_buckets must be an integer >= 2, got {n_buckets!r}")
    if target not in frame.columns:
        raise DataError(f"target={target!r} is not a column; columns: {list(frame.columns)[:8]}")
    names = tuple(str(c) for c in frame.columns if c != target)
    if not names:
        raise DataError("the table has no feature columns besides the target")
    if numeric is None:
        numeric = [
            c
            for c in names
            if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].nunique() > n_buckets
        ]
    columns, levels = [], {}
    for name in names:
        if frame[name].isna().any():
            raise DataError(f"feature {name!r} has missing values; encode them as a level")
        if name in numeric:
            codes, labels = _quantile_buckets(frame[name].to_numpy(dtype=np.float64), n_buckets)
        else:
            codes, labels = _category_codes(frame[name].astype(str).str.strip().to_numpy())
        columns.append(codes)
        levels[name] = labels
    y, classes = _binary_target(frame[target], positive, target)
    X = np.stack(columns, axis=1).astype(np.float32)  # (rows, fields)
    return coded_dataset(X, y, names, levels, str(target), classes)


def _binary_target(
    series: pd.Series, positive: str | None, name: str
) -> tuple[np.ndarray, tuple[str, str]]:
    values = series.astype(str).str.strip()
    distinct = sorted(set(values))
    if positive is None:
        if len(distinct) != 2:
            raise DataError(f"target {name!r} must have two values, got {distinct[:5]}")
        positive = distinct[1]
    if str(positive) not in distinct or len(distinct) > 2:
        raise DataError(f"target {name!r} must take {positive!r} and one other value")
    negative = next((v for v in distinct if v != str(positive)), "other")
    return (values.to_numpy() == str(positive)).astype(np.float32), (negative, str(positive))


def _quantile_buckets(values: np.ndarray, n_buckets: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes of quantile buckets, labelled by the observed value range of each bucket.

    A value held by more than 1/n_buckets of the rows (capital-gain 0, 40 hours a week) gets a
    bucket of its own, so a zero-inflated field keeps its informative tail.
    """
    distinct, counts = np.unique(values, return_counts=True)
    heavy = np.flatnonzero(counts > values.size / n_buckets)
    rest = values[~np.isin(values, distinct[heavy])]
    edges: set[float] = set()
    if rest.size:
        quantiles = np.linspace(0, 1, max(2, n_buckets - heavy.size) + 1)[1:-1]
        edges.update(np.quantile(rest, quantiles).tolist())
    for position in heavy:
        edges.add(float(distinct[position]))
        if position + 1 < distinct.size:
            edges.add(float(distinct[position + 1]))
    cuts = np.array(sorted(e for e in edges if e > distinct[0]))
    codes = np.searchsorted(cuts, values, side="right")  # bucket k: cuts[k-1] <= v < cuts[k]
    used = np.unique(codes)
    codes = np.searchsorted(used, codes)  # renumber, so no bucket is empty
    labels = []
    for k in range(used.size):
        inside = values[codes == k]
        low, high = inside.min(), inside.max()
        labels.append(f"{low:g}" if low == high else f"{low:g}-{high:g}")
    return codes, tuple(labels)


def _category_codes(values: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    labels = tuple(sorted(set(values.tolist())))
    lookup = {label: i for i, label in enumerate(labels)}
    return np.array([lookup[v] for v in values], dtype=np.int64), labels


def coded_dataset(
    X: np.ndarray,
    y: np.ndarray,
    names: tuple[str, ...],
    levels: dict[str, tuple[str, ...]],
    target: str,
    classes: tuple[str, ...],
) -> Dataset:
    """Codes ``X`` (rows, fields) and 0/1 ``y`` as a ``Dataset``: one group per field."""
    return Dataset(
        X=torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32)),
        y=torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32)),
        feature_names=names,
        groups=resolve_groups(None, names, ()),
        target_name=target,
        target_classes=classes,
        code_levels=levels,
    )
