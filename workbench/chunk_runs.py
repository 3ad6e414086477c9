"""Chunked runs: independent work units on any Executor, each finished chunk checkpointed.

An analysis that splits along an independent axis (interactions, explained rows, set members)
hands this module a list of chunks, each a chunk id and the arguments of one *work unit*: a
top-level function of picklable inputs that returns a JSON-safe dict (arrays through
:func:`encode_array`). The units run where the caller says: in this process (``executor=None``)
or on anything shaped like ``concurrent.futures.Executor`` (``submit``), which includes Dask's
``distributed.Client`` (through ``client.get_executor()``). There is no scheduler here: the
engine's own decides where and when each unit runs.

With a checkpoint, every finished chunk is stored in a :class:`workbench.store.ResultStore`
(atomic, content-addressed: the analysis' key plus the chunk id) as soon as it comes back, so a
run that is killed and started again with the same settings computes only the chunks it lacks.
A fresh chunk's output goes through the same JSON round trip as a stored one, so a resumed run
assembles exactly the same numbers as an uninterrupted one.

Progress: ``progress("chunks reused", reused, total)`` once, then ``progress("chunks", done,
total)`` as each chunk is there (reused ones included in ``done``).
"""

from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import ParameterError
from workbench.progress import ProgressCallback
from workbench.store import ResultKey, ResultStore

CHUNK_STAGE = "chunks"
REUSED_STAGE = "chunks reused"

Chunk = tuple[str, tuple]  # (chunk id, arguments of the work unit)

#: ``dashboard_address`` of every local Dask cluster we start: the scheduler always opens an
#: HTTP server (health routes; the dashboard when bokeh is installed), and ``None`` still tries
#: port 8787 and warns when it is taken. A free loopback port never collides and is never
#: reachable from another machine.
DASK_HTTP_ADDRESS = "127.0.0.1:0"


@dataclasses.dataclass(frozen=True)
class ChunkCheckpoint:
    """Where the finished chunks of one analysis run are stored.

    Parameters
    ----------
    store : ResultStore
        The folder (``--checkpoint DIR``); chunks go under ``<analyzer>_chunks/``.
    key : ResultKey
        What the whole result depends on (model, data, settings, code version); a chunk's key
        is this key with the chunk id added to its parameters.
    """

    store: ResultStore
    key: ResultKey

    def chunk_key(self, chunk_id: str) -> ResultKey:
        return dataclasses.replace(
            self.key,
            analyzer=f"{self.key.analyzer}_chunks",
            parameters={**self.key.parameters, "chunk": chunk_id},
        )

    def get(self, chunk_id: str) -> dict | None:
        return self.store.get(self.chunk_key(chunk_id))

    def put(self, chunk_id: str, output: dict) -> None:
        self.store.put(self.chunk_key(chunk_id), output)


class ChunkLedger(ResultStore):
    """A checkpoint store that remembers the chunks a run read or wrote.

    The app's jobs checkpoint into the workspace's store; once a job has stored its whole
    result, its chunks are dead weight (a rerun reads the result, not the chunks), so the job
    calls :meth:`prune`. A job that fails or is stopped never gets there: its chunks stay for
    the next Run to resume from. (The CLI's ``--checkpoint DIR`` is the user's own folder and
    is never pruned.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._touched: dict[Path, ResultKey] = {}

    def get(
        self, key: ResultKey, *, strict: bool = False, frames: bool = False
    ) -> dict[str, Any] | None:
        self._touched[self.path_for(key)] = key
        return super().get(key, strict=strict, frames=frames)

    def put(self, key: ResultKey, payload: dict[str, Any], *args: Any, **kwargs: Any) -> Path:
        self._touched[self.path_for(key)] = key
        return super().put(key, payload, *args, **kwargs)

    def prune(self) -> int:
        """Delete every chunk this run read or wrote; returns how many were there."""
        removed = sum(self.delete(key) for key in self._touched.values())
        self._touched.clear()
        return removed


def checkpoint_for(
    checkpoint: str | Path | ResultStore | None,
    analyzer: str,
    model_fingerprint: str,
    data_fingerprint: str,
    parameters: dict,
) -> ChunkCheckpoint | None:
    """The checkpoint of one run from the user's ``checkpoint`` argument (a folder or a store).

    The code version is the digest of all of ``workbench/`` and ``analyzers/``: chunks computed
    by other code are never mixed into a result.
    """
    if checkpoint is None:
        return None
    if isinstance(checkpoint, str | Path):
        checkpoint = ResultStore(checkpoint)
    if not isinstance(checkpoint, ResultStore):
        raise ParameterError(
            f"checkpoint: expected a folder or a ResultStore, got {type(checkpoint).__name__}"
        )
    safe = json.loads(json.dumps(parameters, allow_nan=False, default=_json_default))
    return ChunkCheckpoint(
        checkpoint, ResultKey(analyzer, model_fingerprint, data_fingerprint, safe)
    )


def check_chunk_size(chunk_size: int | None, default: int) -> int:
    """``chunk_size`` checked (a positive whole number), or the analysis' default for None."""
    if chunk_size is None:
        return default
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer):
        raise ParameterError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if chunk_size < 1:
        raise ParameterError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    return int(chunk_size)


def check_executor(executor: Any) -> None:
    """Raise the one-line error for an ``executor`` that can run no work unit."""
    if executor is not None and not (
        hasattr(executor, "get_executor") or callable(getattr(executor, "submit", None))
    ):
        raise ParameterError(
            f"executor: expected a concurrent.futures.Executor or a distributed.Client, "
            f"got {type(executor).__name__}"
        )


def as_executor(executor: Any) -> Any:
    """An object with ``submit`` returning ``concurrent.futures.Future``s, or None.

    A ``distributed.Client`` gives its ``get_executor()``; any ``concurrent.futures.Executor``
    is used as it is.
    """
    check_executor(executor)
    if executor is not None and hasattr(executor, "get_executor"):
        return executor.get_executor()
    return executor


def run_chunks(
    unit: Callable[..., dict],
    chunks: Sequence[Chunk],
    *,
    executor: Any = None,
    checkpoint: ChunkCheckpoint | None = None,
    progress: ProgressCallback | None = None,
    shared: tuple = (),
) -> list[dict]:
    """The output of ``unit(*shared, *arguments)`` for every chunk, in chunk order.

    Parameters
    ----------
    unit : callable
        A top-level (picklable) function returning a JSON-safe dict.
    chunks : sequence of (chunk id, arguments)
        Chunk ids are unique within the run and name the chunk in the checkpoint.
    executor : Executor, distributed.Client or None
        Where the units run; None: here, one after the other.
    checkpoint : ChunkCheckpoint or None
        Stored chunks are read instead of computed; finished ones are stored.
    progress : callable, optional
        ``progress(stage, done, total)`` (see the module docstring).
    shared : tuple
        Leading arguments of every unit (the model, the data set). A ``distributed.Client``
        sends them to each worker once (``scatter``), not once per chunk.

    Returns
    -------
    list of dict
        Each chunk's output after a JSON round trip (identical whether computed or read).
    """
    report = progress or (lambda stage, done, total: None)
    outputs: list[dict | None] = [None] * len(chunks)
    if checkpoint is not None:
        for i, (chunk_id, _) in enumerate(chunks):
            outputs[i] = checkpoint.get(chunk_id)
    missing = [i for i, output in enumerate(outputs) if output is None]
    done = len(chunks) - len(missing)
    report(REUSED_STAGE, done, len(chunks))
    report(CHUNK_STAGE, done, len(chunks))

    def finish(i: int, output: dict) -> None:
        nonlocal done
        text = json.dumps(output, allow_nan=False)  # what a stored chunk reads back as
        outputs[i] = json.loads(text)
        if checkpoint is not None:
            checkpoint.put(chunks[i][0], outputs[i])
        done += 1
        report(CHUNK_STAGE, done, len(chunks))

    pool = as_executor(executor)
    if pool is None:
        for i in missing:
            finish(i, unit(*shared, *chunks[i][1]))
        return outputs
    if missing and shared and hasattr(executor, "scatter"):
        # Futures of the scattered values: the client hands each worker the values themselves.
        shared = tuple(executor.scatter(list(shared), broadcast=True))
    futures = {pool.submit(unit, *shared, *chunks[i][1]): i for i in missing}
    try:
        for future in concurrent.futures.as_completed(futures):
            finish(futures[future], future.result())
    except BaseException:
        # A failed chunk or an interrupted driver: what is stored stays, the rest is dropped.
        for future in futures:
            future.cancel()
        raise
    return outputs


def encode_array(values: Any) -> dict:
    """A numpy array (or tensor) as JSON: dtype, shape and its bytes, exactly (NaN included)."""
    array = np.ascontiguousarray(np.asarray(values))
    return {
        "dtype": array.dtype.str,
        "shape": list(array.shape),
        "bytes": base64.b64encode(array.tobytes()).decode("ascii"),
    }


def decode_array(encoded: dict) -> np.ndarray:
    """The array :func:`encode_array` wrote, bit for bit."""
    raw = base64.b64decode(encoded["bytes"])
    return np.frombuffer(raw, dtype=np.dtype(encoded["dtype"])).reshape(encoded["shape"]).copy()


def array_digest(values: Any) -> str:
    """A short content digest of an array (a background sample, explained rows) for a key."""
    array = np.ascontiguousarray(np.asarray(values))
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()[:32]


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON-safe")
