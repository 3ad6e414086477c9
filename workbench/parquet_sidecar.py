"""Large frames of a stored result as Parquet files beside its JSON.

A result's ``to_dict`` writes each DataFrame as ``{"columns", "dtypes", "rows"}``
(``analyzers.result.frame_to_dict``). A frame of local values (rows x pairs) makes that JSON tens
of megabytes, slow to parse and to list. :func:`split_frames` takes every such frame of at least
``min_cells`` cells out of the payload and into a Parquet table, leaving in its place a reference
``{"parquet": file name, "sha256": digest of the file, "columns", "dtypes", "n_rows"}``;
:func:`join_frames` puts the rows back, so what ``get`` returns equals what the JSON-only store
returned (the same rows, the same Python values, None for NaN).

Building those row lists from Parquet costs about as much as parsing them from JSON (0.3 s of
CPU for 90,000 rows x 5 columns, ``benchmarks/sidecar_load.py``), so a reader that only rebuilds
the result (``Result.from_dict``) asks for the frames instead (``as_frames``): each
reference then becomes ``{"columns", "dtypes", "frame": DataFrame}``, the column data converted
by Arrow with its dtypes not yet restored. ``analyzers.result.frame_from_dict`` takes that frame
where it would build one from rows and restores the dtypes by the same rules, so both paths give
the identical frame.

A column is typed from its recorded pandas dtype (float, int, bool, text); a frame with a column
that no Parquet type holds faithfully (mixed objects, uint64 past int64) stays in the JSON.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

__all__ = ["FRAME_KEY", "SIDECAR_MIN_CELLS", "SidecarError", "join_frames", "split_frames"]

#: Frames below this many cells stay in the JSON. 10,000 cells is ~100-200 kB of JSON: below it
#: a readable, diffable file costs little, and a Parquet file's footer (~1-3 kB) and pyarrow's
#: import time would outweigh what it saves; local values (rows x pairs x 5 columns) pass it at
#: a few hundred explained rows.
SIDECAR_MIN_CELLS = 10_000

_FRAME_KEYS = {"columns", "dtypes", "rows"}

#: The key under which ``join_frames(..., as_frames=True)`` hands back a sidecar's DataFrame.
FRAME_KEY = "frame"


class SidecarError(Exception):
    """A sidecar file is missing, truncated or not the one the JSON names (one line)."""


def is_frame(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == _FRAME_KEYS
        and isinstance(value["rows"], list)
        and isinstance(value["columns"], list)
    )


def split_frames(
    payload: Any, stem: str, min_cells: int = SIDECAR_MIN_CELLS
) -> tuple[Any, dict[str, bytes], list[dict[str, Any]]]:
    """``payload`` with its large frames replaced by references.

    Returns
    -------
    (payload, files, index)
        The new payload (the input is not modified); ``files`` maps each sidecar's file name to
        its Parquet bytes; ``index`` lists ``{"path": [...], "parquet": name}`` so a reader
        resolves exactly these places (no guessing which dicts are references).
    """
    files: dict[str, bytes] = {}
    index: list[dict[str, Any]] = []

    def visit(value: Any, path: list) -> Any:
        if is_frame(value):
            if len(value["rows"]) * max(len(value["columns"]), 1) < min_cells:
                return value
            data = _parquet_bytes(value)
            if data is None:
                return value
            name = _file_name(stem, path, files)
            files[name] = data
            index.append({"path": list(path), "parquet": name})
            return {
                "parquet": name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "columns": value["columns"],
                "dtypes": value["dtypes"],
                "n_rows": len(value["rows"]),
            }
        if isinstance(value, dict):
            return {k: visit(v, [*path, k]) for k, v in value.items()}
        if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            return [visit(v, [*path, i]) for i, v in enumerate(value)]
        return value

    return visit(payload, []), files, index


def join_frames(
    payload: Any, index: list[dict[str, Any]], read: Any, *, as_frames: bool = False
) -> Any:
    """``payload`` with the references listed in ``index`` replaced by their rows.

    ``read(name) -> bytes`` reads a sidecar (raising ``OSError`` when it is missing). With
    ``as_frames``, a reference becomes ``{"columns", "dtypes", FRAME_KEY: DataFrame}`` (no row
    lists built; for ``frame_from_dict``, not for JSON). Raises :class:`SidecarError` naming the
    file when it is missing, altered or unreadable.
    """
    for entry in index:
        *parents, last = entry["path"]
        holder = payload
        for step in parents:
            holder = holder[step]
        reference = holder[last]
        name = reference["parquet"]
        try:
            data = read(name)
        except OSError:
            raise SidecarError(f"stored result incomplete: sidecar {name} is missing") from None
        if hashlib.sha256(data).hexdigest() != reference["sha256"]:
            raise SidecarError(f"stored result unreadable: sidecar {name} is altered or truncated")
        table = _table(data, name, reference)
        holder[last] = {
            "columns": reference["columns"],
            "dtypes": reference["dtypes"],
            **({FRAME_KEY: _frame(table)} if as_frames else {"rows": _rows(table)}),
        }
    return payload


def _file_name(stem: str, path: list, taken: dict[str, bytes]) -> str:
    """``<stem>.<frame path>.parquet``, e.g. ``<digest>.scores.parquet``; unique in ``taken``."""
    label = re.sub(r"[^A-Za-z0-9_]+", "_", ".".join(str(p) for p in path))[:60] or "frame"
    name, n = f"{stem}.{label}.parquet", 1
    while name in taken:
        name, n = f"{stem}.{label}_{n}.parquet", n + 1
    return name


def _arrow_type(dtype: str):
    import pyarrow as pa

    if dtype.startswith("float"):
        return pa.float64()  # float32 values were written as exact doubles
    if dtype.startswith(("int", "uint", "Int", "UInt")):
        return pa.int64()
    if dtype in ("bool", "boolean"):
        return pa.bool_()
    if dtype in ("str", "string"):
        return pa.string()
    return None  # object and others: inferred, and kept only if text


def _parquet_bytes(frame: dict[str, Any]) -> bytes | None:
    """The frame's rows as Parquet, or None when a column has no faithful Parquet type."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [str(c) for c in frame["columns"]]
    if len(set(columns)) != len(columns):
        return None
    values = list(zip(*frame["rows"], strict=True)) or [() for _ in columns]
    arrays = []
    try:
        for column, cells in zip(columns, values, strict=True):
            kind = _arrow_type(str(frame["dtypes"].get(column, "object")))
            array = pa.array(list(cells), type=kind)
            if kind is None and not (
                pa.types.is_string(array.type) or pa.types.is_null(array.type)
            ):
                return None  # mixed objects: the JSON keeps their Python types, Parquet would not
            arrays.append(array)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    buffer = io.BytesIO()
    pq.write_table(pa.table(arrays, names=columns), buffer, compression="zstd")
    return buffer.getvalue()


def _table(data: bytes, name: str, reference: dict[str, Any]):
    """The sidecar's Arrow table, checked against the columns and row count the JSON names."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError):
        raise SidecarError(f"stored result unreadable: sidecar {name} is not Parquet") from None
    if (
        table.column_names != [str(c) for c in reference["columns"]]
        or table.num_rows != reference["n_rows"]
    ):
        raise SidecarError(f"stored result unreadable: sidecar {name} holds other columns or rows")
    return table


def _rows(table) -> list[list]:
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return [list(row) for row in zip(*columns, strict=True)]


def _frame(table):
    """The table as a DataFrame, each column as ``pd.DataFrame(rows)`` would have read it, up to
    what ``frame_from_dict``'s dtype rules then make the same.

    Integers come as nullable Int64: Arrow would make a column with nulls float64, which rounds
    integers past 2**53 before the rules cast it back.
    """
    import pandas as pd
    import pyarrow as pa

    return table.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
