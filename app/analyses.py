"""Analyses run against a workspace, with their results cached in its store.

One registry entry per analysis (:data:`ANALYSES`) names the function that computes it from a
loaded model and JSON-safe parameters, the result class that reads it back, and the parameters'
defaults (``app.analysis_spec``; the entries by area in ``app.registry_interactions`` and
``app.registry_ctr``). The web app and scripts go through :func:`stored_result` (cache only) and
:func:`compute_result` (cache, else compute and store), so a result computed once is served
everywhere.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from threading import Lock
from typing import Any

# analyze_gates and analyze_embeddings: tests replace them here to prove a stored report is
# read back, not recomputed.
from analyzers.embeddings import analyze_embeddings
from analyzers.gates import analyze_gates
from app.analysis_spec import (
    SEED_BOUNDS,
    Analysis,
    number_text,
    signature_default,
    signature_defaults,
)
from app.job_cluster import chunk_options, configured_cluster
from app.registry_ctr import CTR_ANALYSES, GATE_ROWS, INTRINSIC_ANALYSES
from app.registry_interactions import FISC_ANALYSES, MODEL_SET_ANALYSES
from workbench.errors import ParameterError
from workbench.progress import ProgressCallback
from workbench.store import ResultKey, StoredResultError, code_version

__all__ = [
    "ANALYSES",
    "GATE_ROWS",
    "SEED_BOUNDS",
    "Analysis",
    "analysis",
    "analysis_code_version",
    "analyze_embeddings",
    "analyze_gates",
    "bounds_text",
    "compute_result",
    "read_stored",
    "result_key",
    "signature_default",
    "signature_defaults",
    "stored_result",
    "watching_stores",
]

_PARSED_CACHE_SIZE = 16

#: every analysis by name: one dict, which tests replace entries of (``monkeypatch.setitem``)
ANALYSES: dict[str, Analysis] = {
    **FISC_ANALYSES,
    **CTR_ANALYSES,
    **MODEL_SET_ANALYSES,
    **INTRINSIC_ANALYSES,
}


def bounds_text(analysis_name: str, name: str) -> str:
    """A parameter's bounds for a form label: "10–10,000"."""
    low, high = analysis(analysis_name).bounds[name]
    return f"{number_text(low)}–{number_text(high)}"


_parsed: OrderedDict[str, Any] = OrderedDict()
_parsed_lock = Lock()


def _new_parsed_lock() -> None:
    # a job forked while a request thread held the lock would otherwise wait on it forever
    global _parsed_lock
    _parsed_lock = Lock()


os.register_at_fork(after_in_child=_new_parsed_lock)


def analysis(name: str) -> Analysis:
    if name not in ANALYSES:
        raise ParameterError(f"analysis: unknown {name!r}; known: {', '.join(ANALYSES)}")
    return ANALYSES[name]


# The modules that compute each analysis (code_version follows their imports), so a change
# elsewhere (a figure, a page, the CLI) keeps its cached results. The embeddings job also colours
# the table map by gates and attributions (app.embedding_job), code that analyzers.embeddings
# does not import.
_CODE_MODULES = {
    "rashomon": ("analyzers.rashomon",),
    "interactions": ("analyzers.interactions",),
    "gates": ("analyzers.gates",),
    "attention": ("analyzers.attention_maps",),
    "model_set": ("analyzers.model_sets",),
    "intrinsic": ("analyzers.intrinsic_interactions", "analyzers.intrinsic_weights"),
    "optinter_switches": ("analyzers.operation_switches",),
    "optfs": ("analyzers.optfs_selection", "workbench.zoo.optfs_search"),
    "embeddings": (
        "analyzers.embeddings",
        "analyzers.embeddings.coloring",
        "analyzers.gates",
        "analyzers.gate_attributions",
    ),
}


def analysis_code_version(analysis_name: str) -> str:
    """The code version of one analysis' results (the modules that compute it)."""
    return code_version(*_CODE_MODULES[analysis(analysis_name).name])


def result_key(workspace, analysis_name: str, model_name: str, parameters: dict) -> ResultKey:
    """The store key of an analysis of a workspace model (loads the model if needed)."""
    spec = analysis(analysis_name)
    model = workspace.model(model_name)
    parameters = spec.parameters(parameters)
    fingerprint = model.adapter.fingerprint() + _sites_suffix(model)
    other = parameters.get("compare_with")
    if spec.with_workspace and other in workspace.model_names():
        # the cross-model CKA reads the other model too: retraining it makes a new result
        fingerprint += "+" + workspace.model(other).adapter.fingerprint()
    return ResultKey(
        analyzer=spec.name,
        model_fingerprint=fingerprint,
        data_fingerprint=model.rows.fingerprint(),
        parameters=parameters,
        code_version=analysis_code_version(spec.name),
    )


def _sites_suffix(model) -> str:
    """The sites of a "torch" entry, part of its results' key: a manifest edited to name
    other sites makes new results."""
    if not model.sites and not model.embedding_site:
        return ""
    names = [f"{s.name}:{s.kind}" for s in model.sites or []]
    return "+sites:" + ",".join(names) + f"+embedding:{model.embedding_site}"


def stored_result(workspace, analysis_name: str, model_name: str, parameters: dict):
    """The cached result, or None; parsed results are kept in memory for quick re-renders."""
    key = result_key(workspace, analysis_name, model_name, parameters)
    return read_stored(workspace, key)


def read_stored(workspace, key: ResultKey):
    """The result stored under ``key`` (None when absent; :class:`StoredResultError` when a
    file is there but cannot be read back)."""
    cache_name = f"{workspace.store.root}:{key.analyzer}:{key.digest}"
    with _parsed_lock:
        if cache_name in _parsed:
            _parsed.move_to_end(cache_name)
            return _parsed[cache_name]
    payload = workspace.store.get(key, strict=True, frames=True)
    if payload is None:
        return None
    try:
        result = analysis(key.analyzer).read(payload)
    except Exception as error:  # an edited or older file: say so; Run recomputes it
        reason = (str(error).strip().splitlines() or [""])[0]
        raise StoredResultError(
            f"stored result unreadable: {type(error).__name__} {reason}".strip()
        ) from None
    with _parsed_lock:
        _parsed[cache_name] = result
        while len(_parsed) > _PARSED_CACHE_SIZE:
            _parsed.popitem(last=False)
    return result


#: told the path of each result compute_result is about to store (see :func:`watching_stores`)
_store_watcher: ContextVar[Callable[[Path], None] | None] = ContextVar(
    "store_watcher", default=None
)


@contextmanager
def watching_stores(watcher: Callable[[Path], None]) -> Iterator[None]:
    """Within the block, :func:`compute_result` calls ``watcher(path)`` before it stores a result
    at ``path``, so a job killed at any moment can be told apart: it stored nothing, or the
    file at ``path`` says what it stored (the write is atomic)."""
    token = _store_watcher.set(watcher)
    try:
        yield
    finally:
        _store_watcher.reset(token)


def compute_result(
    workspace,
    analysis_name: str,
    model_name: str,
    parameters: dict,
    progress: ProgressCallback | None = None,
):
    """The cached result, else computed, stored (atomically) and returned."""
    key = result_key(workspace, analysis_name, model_name, parameters)
    try:
        cached = read_stored(workspace, key)
    except StoredResultError:
        cached = None  # asked to compute: an unreadable stored result is replaced
    if cached is not None:
        return cached
    spec = analysis(analysis_name)
    extra = {"workspace": workspace} if spec.with_workspace else {}
    model = workspace.model(model_name)
    if spec.chunked and configured_cluster() is not None:
        with chunk_options(workspace.store) as chunks:  # a job's own client, closed after it
            result = spec.compute(model, key.parameters, progress, chunks=chunks, **extra)
            _store_result(workspace, key, result)
            # Only after the whole result is stored: a job stopped before keeps its chunks.
            chunks["checkpoint"].prune()
    else:  # no cluster: the call is the one it always was
        result = spec.compute(model, key.parameters, progress, **extra)
        _store_result(workspace, key, result)
    return result


def _store_result(workspace, key, result) -> None:
    watcher = _store_watcher.get()
    if watcher is not None:
        watcher(workspace.store.path_for(key))
    workspace.store.put(
        key, result.to_dict(), seconds=result.seconds, model_names=result.model_names
    )
