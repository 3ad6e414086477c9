"""Results cache: one JSON file per (model, data, analyzer, parameters, code version).

A result is stored only once it is complete: it is written to a temporary file in the same folder
and renamed over the final name, which is atomic on POSIX, so a job killed mid-write (a cancelled
background callback, Ctrl-C) leaves at most a ``*.tmp`` file that readers never see and that
:meth:`ResultStore.remove_partial` deletes. Nothing here unpickles: results are JSON made by each
result class's ``to_dict`` and read back with its ``from_dict``.

Large frames (local values: rows x pairs) go to Parquet files beside the JSON
(:mod:`workbench.parquet_sidecar`), each written atomically before the JSON that names it, so a
JSON never points at a file not yet there. A sidecar found missing or altered makes the entry
absent (a one-line message naming the file), and the analysis is recomputed. A reader that
rebuilds a Result asks ``get(..., frames=True)``, which hands it the sidecars' DataFrames rather
than row lists (the rows are built only for a reader that wants the JSON payload).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from workbench.code_digest import code_version
from workbench.errors import ParameterError, WorkbenchError
from workbench.parquet_sidecar import SIDECAR_MIN_CELLS, SidecarError, join_frames, split_frames

__all__ = ["ResultKey", "ResultStore", "StoredResultError", "code_version", "write_atomically"]

_PARTIAL_SUFFIX = ".tmp"
_SIDECAR_SUFFIX = ".parquet"
#: the record's header keys, which ``put`` writes before the result (see ``_read_header``)
_HEADER_KEYS = ("key", "saved", "seconds", "model_names")
_RESULT_MARK = b',"result":'
_HEADER_CHUNK_BYTES = 1 << 14
_log = logging.getLogger(__name__)


def write_atomically(path: Path, write: Callable[[BinaryIO], Any]) -> Path:
    """Create ``path`` through ``write(handle)`` so that readers see all of it or nothing.

    ``write`` fills a hidden temporary file in the same folder, which is flushed to disk and
    renamed over ``path`` (atomic on POSIX); if it raises, the temporary file is removed. A
    process killed mid-write leaves only a ``.*.tmp`` file, which
    :meth:`ResultStore.remove_partial` deletes when it sits in a sub-folder of the store.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.{uuid.uuid4().hex}{_PARTIAL_SUFFIX}")
    try:
        with open(partial, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


class StoredResultError(WorkbenchError):
    """A result file is in the store but cannot be read back (truncated, edited, old)."""


@dataclass(frozen=True)
class ResultKey:
    """What a cached result depends on; its digest names the file.

    Attributes
    ----------
    analyzer : str
        Analysis name ("rashomon", "interactions", ...); also the store's sub-folder.
    model_fingerprint, data_fingerprint : str
        ``ModelAdapter.fingerprint()`` and ``Dataset.fingerprint()`` (of the rows analysed).
    parameters : dict
        The analysis parameters, JSON-safe.
    code_version : str
        Version of the code that computes the result: pass
        ``code_version("analyzers.<entry module>")`` (:func:`workbench.code_digest.code_version`)
        so only a change to that code invalidates it. Default: ``code_version()``, the digest
        of all of ``workbench/`` and ``analyzers/``, which any code change invalidates.
    """

    analyzer: str
    model_fingerprint: str
    data_fingerprint: str
    parameters: dict = field(default_factory=dict)
    code_version: str = field(default_factory=code_version)

    def __post_init__(self) -> None:
        if not self.analyzer.isidentifier():
            raise ParameterError(f"analyzer: expected a plain name, got {self.analyzer!r}")
        try:
            json.dumps(self.parameters, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ParameterError(f"parameters: not JSON-safe ({error})") from None

    def as_dict(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "model_fingerprint": self.model_fingerprint,
            "data_fingerprint": self.data_fingerprint,
            "parameters": self.parameters,
            "code_version": self.code_version,
        }

    @property
    def digest(self) -> str:
        text = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


class ResultStore:
    """A folder of cached results, safe to share between processes (web workers, jobs).

    Parameters
    ----------
    root : str or Path
        Folder of the cache (created when missing).
    sidecar_min_cells : int
        Frames of at least this many cells (rows x columns) are stored as Parquet beside the
        JSON (:data:`workbench.parquet_sidecar.SIDECAR_MIN_CELLS`).

    Example
    -------
    >>> store = ResultStore(tmp_path)  # doctest: +SKIP
    >>> key = ResultKey("rashomon", model.fingerprint(), rows.fingerprint(), {"epsilon_rate": 0.05})
    >>> store.put(key, result.to_dict()); store.get(key) == result.to_dict()
    True
    """

    def __init__(self, root: str | Path, sidecar_min_cells: int = SIDECAR_MIN_CELLS) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.sidecar_min_cells = sidecar_min_cells

    def path_for(self, key: ResultKey) -> Path:
        return self.root / key.analyzer / f"{key.digest}.json"

    def __contains__(self, key: ResultKey) -> bool:
        return self.path_for(key).is_file()

    def get(
        self, key: ResultKey, *, strict: bool = False, frames: bool = False
    ) -> dict[str, Any] | None:
        """The stored payload, or None when there is none (or it cannot be read).

        ``strict``: a file that is there but does not parse (truncated, edited) raises
        :class:`StoredResultError` instead, so a page can say so rather than quietly recompute.
        ``frames``: a frame stored as a Parquet sidecar comes back as a DataFrame (see
        :func:`workbench.parquet_sidecar.join_frames`), for ``Result.from_dict`` only: the
        payload is then no longer JSON. Frames kept in the JSON come back as rows either way.
        """
        path = self.path_for(key)
        record = self._read(path)
        if record is not None and isinstance(record.get("result"), dict):
            sidecars = record.get("sidecars", [])
            try:
                return join_frames(record["result"], sidecars, self._reader(path), as_frames=frames)
            except SidecarError as error:
                if strict:
                    raise StoredResultError(str(error)) from None
                _log.warning("workbench: %s; recomputing", error)
                return None
        if strict and path.is_file():
            raise StoredResultError(f"stored result unreadable: {path.name} does not parse")
        return None

    def put(
        self,
        key: ResultKey,
        payload: dict[str, Any],
        seconds: float | None = None,
        model_names: tuple[str, ...] | list[str] = (),
    ) -> Path:
        """Store ``payload`` (JSON-safe) under ``key``, atomically; returns the file written.

        ``seconds`` (the analysis' wall time) and ``model_names`` go in the record's header,
        which :meth:`entries` lists without parsing the results.
        """
        path = self.path_for(key)
        payload, files, sidecars = split_frames(payload, path.stem, self.sidecar_min_cells)
        record = {
            "key": key.as_dict(),
            "saved": time.time(),
            "seconds": seconds,
            "model_names": list(model_names),
            "result": payload,
        }
        if sidecars:
            record["sidecars"] = sidecars
        text = json.dumps(record, allow_nan=False, separators=(",", ":"))
        # Sidecars first: a crash before the JSON leaves orphans (remove_partial), never a JSON
        # naming a file that is not there.
        for name, data in files.items():
            write_atomically(path.with_name(name), lambda handle, data=data: handle.write(data))
        write_atomically(path, lambda handle: handle.write(text.encode("utf-8")))
        self._remove_sidecars(path, keep=set(files))  # those of a result this one replaced
        return path

    def delete(self, key: ResultKey) -> bool:
        """Remove the result stored under ``key`` and its sidecars; whether there was one."""
        path = self.path_for(key)
        try:
            path.unlink()  # the JSON first: no reader then finds it without its sidecars
        except FileNotFoundError:
            return False
        self._remove_sidecars(path, keep=set())
        return True

    def entries(self, analyzer: str | None = None) -> list[dict[str, Any]]:
        """Keys, save times, seconds and model names of the stored results (newest first).

        Only each file's header is read (``_read_header``): listing many large results costs
        about as much as listing small ones. A file whose result is damaged after an intact
        header is listed; ``get`` is what finds it unreadable.
        """
        pattern = f"{analyzer}/*.json" if analyzer else "*/*.json"
        records = [self._read_header(path) for path in self.root.glob(pattern)]
        found = [r for r in records if r is not None]
        return sorted(found, key=lambda r: r["saved"], reverse=True)

    def partial_files(self) -> list[Path]:
        """Temporary files of writes that never finished (a killed job), and sidecars whose
        JSON was never written (a job killed between the two)."""
        orphans = [
            path
            for path in self.root.glob(f"*/*{_SIDECAR_SUFFIX}")
            if not path.with_name(f"{path.name.split('.', 1)[0]}.json").is_file()
        ]
        return sorted([*self.root.glob(f"*/.*{_PARTIAL_SUFFIX}"), *orphans])

    def remove_partial(self, older_than_seconds: float = 600.0) -> int:
        """Delete what killed writers left behind; returns how many files went.

        Only files older than ``older_than_seconds``: another process sharing the store (a
        Celery worker, a second server) may be writing one right now.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        for path in self.partial_files():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    @staticmethod
    def _reader(path: Path) -> Callable[[str], bytes]:
        return lambda name: (path.parent / Path(name).name).read_bytes()

    @staticmethod
    def _remove_sidecars(path: Path, keep: set[str]) -> None:
        for sidecar in path.parent.glob(f"{path.stem}.*{_SIDECAR_SUFFIX}"):
            if sidecar.name not in keep:
                sidecar.unlink(missing_ok=True)

    @classmethod
    def _read_header(cls, path: Path) -> dict[str, Any] | None:
        """The header of a stored record, parsed without its result.

        ``put`` writes the header keys first and the result after them, so the text before
        the first ``,"result":`` plus a closing brace is the header as JSON (inside a JSON
        string a quote is always escaped, so the mark cannot come from a string). Anything
        else (a parameter named "result" cutting the header short, a record written another
        way) does not parse to a header, and the whole file is read as before.
        """
        head = b""
        try:
            with open(path, "rb") as handle:
                while _RESULT_MARK not in head:
                    chunk = handle.read(_HEADER_CHUNK_BYTES)
                    if not chunk:
                        break
                    head += chunk
        except OSError:
            return None
        end = head.find(_RESULT_MARK)
        if end >= 0:
            try:
                record = json.loads(head[:end] + b"}")
            except ValueError:
                record = None
            if isinstance(record, dict) and set(record) == set(_HEADER_KEYS):
                return record
        return cls._read(path, header_only=True)

    @staticmethod
    def _read(path: Path, header_only: bool = False) -> dict[str, Any] | None:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if header_only:
            return {k: record.get(k) for k in _HEADER_KEYS}
        return record
