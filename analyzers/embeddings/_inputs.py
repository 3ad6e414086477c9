"""Checks at the boundary of the pure functions: tables, counts and field names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from workbench.errors import ParameterError

Tables = Mapping[str, object] | Sequence[object]


def as_matrix(values: object, name: str, *, min_rows: int = 1) -> torch.Tensor:
    """A finite 2-D float64 CPU tensor, or a one-line error naming ``name``."""
    try:
        matrix = torch.as_tensor(np.asarray(values) if not torch.is_tensor(values) else values)
    except (TypeError, ValueError, RuntimeError):
        raise ParameterError(f"{name} must be a 2-D array of numbers") from None
    matrix = matrix.detach().to("cpu", torch.float64)
    if matrix.ndim != 2:
        raise ParameterError(f"{name} must be 2-D (rows, dim), got shape {tuple(matrix.shape)}")
    if matrix.shape[0] < min_rows or matrix.shape[1] < 1:
        raise ParameterError(
            f"{name} has shape {tuple(matrix.shape)}; it needs at least {min_rows} row(s) "
            "and 1 column"
        )
    if not torch.isfinite(matrix).all():
        raise ParameterError(f"{name} has NaN or inf values")
    return matrix


def as_counts(values: object, rows: int, name: str) -> torch.Tensor:
    """Non-negative float64 counts, one per row."""
    counts = torch.as_tensor(np.asarray(values, dtype=np.float64))
    if counts.ndim != 1 or counts.shape[0] != rows:
        raise ParameterError(
            f"{name} must have one count per row ({rows}), got {tuple(counts.shape)}"
        )
    if not torch.isfinite(counts).all() or (counts < 0).any():
        raise ParameterError(f"{name} must be finite and >= 0")
    return counts


def named(tables: Tables, field_names: Sequence[str] | None, what: str) -> dict[str, object]:
    """Tables keyed by field name: a mapping as given, a sequence named by ``field_names``."""
    if isinstance(tables, Mapping):
        named_tables = {str(k): v for k, v in tables.items()}
    else:
        items = list(tables)
        names = (
            list(field_names)
            if field_names is not None
            else [f"field_{i}" for i in range(len(items))]
        )
        if len(names) != len(items):
            raise ParameterError(
                f"field_names has {len(names)} names but {what} has {len(items)} entries"
            )
        if len(set(names)) != len(names):
            raise ParameterError("field_names has duplicate names")
        named_tables = dict(zip(map(str, names), items, strict=True))
    if not named_tables:
        raise ParameterError(f"{what} is empty; pass at least one field")
    return named_tables
