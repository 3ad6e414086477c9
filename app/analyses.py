"""Analyses run against a workspace, with their results cached in its store.

One registry entry per analysis names the function that computes it from a loaded model and
JSON-safe parameters, the result class that reads it back, and the parameters' defaults. The web
app and scripts go through :func:`stored_result` (cache only) and :func:`compute_result` (cache,
else compute and store), so a result computed once is served everywhere.
"""

from __future__ import annotations

import inspect
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import Any

import analyzers.rashomon as rashomon
from analyzers.attention_maps import AttentionMapsResult, attention_maps
from analyzers.embeddings import analyze_embeddings
from analyzers.gates import analyze_gates
from analyzers.interaction_result import INTERACTION_INDICES
from analyzers.interactions import score_interactions
from analyzers.interactions.score import DEFAULT_ROWS
from analyzers.intrinsic_interactions import intrinsic_interactions
from analyzers.model_sets import explore_model_set
from analyzers.operation_switches import operation_switches
from analyzers.optfs_selection import optfs_selection
from analyzers.rashomon_parameters import APPROXIMATORS, ORDERS
from app.analysis_runs import (
    compute_attention,
    compute_embeddings,
    compute_gates,
    compute_interactions,
    compute_rashomon,
    read_embeddings,
    read_gates,
    read_interactions,
    read_rashomon,
)
from app.embedding_job import ATTRIBUTIONS
from app.intrinsic_runs import (
    INTRINSIC_SOURCES,
    compute_intrinsic,
    compute_operation_switches,
    compute_optfs,
    read_intrinsic,
    read_operation_switches,
    read_optfs,
)
from app.job_cluster import chunk_options, configured_cluster
from app.model_set_analysis import (
    BUILDERS,
    DEFAULT_BOOTSTRAP,
    DEFAULT_MEMBERS,
    MODEL_SET_INDICES,
    compute_model_set,
    read_model_set,
)
from app.parameter_text import parse_field_pairs, parse_radii, parse_switch
from workbench.errors import ParameterError
from workbench.progress import ProgressCallback
from workbench.store import ResultKey, StoredResultError, code_version

_PARSED_CACHE_SIZE = 16
# Held-out rows of a gate analysis, a seeded sample: the ablation's bootstrap and the field
# interactions run over every one of them. The app's and `workbench gates --rows`' default.
GATE_ROWS = 500
#: numpy's seeds
SEED_BOUNDS = (0, 2**32 - 1)


def signature_default(function: Callable, name: str) -> Any:
    """The default of ``function``'s parameter ``name``: the one source of a default, read by
    the registry (:func:`signature_defaults`) and the CLI's options alike."""
    parameter = inspect.signature(function).parameters.get(name)
    if parameter is None or parameter.default is inspect.Parameter.empty:
        raise ParameterError(f"{function.__name__} has no default for {name!r}")
    return parameter.default


def signature_defaults(
    function: Callable,
    names: Sequence[str],
    *,
    switches: Sequence[str] = (),
    **app_only: Any,
) -> dict:
    """Defaults of an analysis: ``function``'s own for ``names``, then the app's own parameters.

    The analyzer's signature is the one source of a default, so the API, the CLI and the app
    give the same numbers (tests/test_defaults.py pins it). ``switches`` are bool parameters
    the app carries as "on"/"off" (a URL's "off" is a non-empty string, so ``bool("off")`` is
    True). ``app_only`` holds what the analyzer has no parameter for (the app's row sample, a
    gate site) or whose default is None (the app states the count None stands for, so a form
    shows it and a URL types it as an int); it cannot override a default the signature sets.
    Order: ``names`` first, then ``app_only``.
    """
    parameters = inspect.signature(function).parameters
    defaults = {name: signature_default(function, name) for name in names}
    for name in switches:
        defaults[name] = "on" if defaults[name] else "off"
    for name in app_only:
        if name in parameters and parameters[name].default is not None:
            raise ParameterError(
                f"{name}: {function.__name__} defaults to {parameters[name].default!r}; "
                "the app keeps the analyzer's default"
            )
    defaults.update(app_only)
    return defaults


@dataclass(frozen=True)
class Analysis:
    """How to compute one kind of result and read it back from the store."""

    name: str
    compute: Callable[[Any, dict, ProgressCallback | None], Any]
    read: Callable[[dict], Any]
    defaults: dict = field(default_factory=dict)
    choices: dict = field(default_factory=dict)
    #: name -> (lowest, highest) allowed value of every numeric parameter, inclusive: checked
    #: before a job starts, so a typo cannot ask for a 40 GB allocation
    bounds: dict = field(default_factory=dict)
    #: name -> function typing a given value, for parameters ``type(default)(value)`` cannot
    #: type (a tuple from a URL's "0.5,1", a bool from "off", which ``bool`` calls True);
    #: a sequence's bounds hold for each of its numbers
    converters: dict = field(default_factory=dict)
    #: ``compute`` also takes ``workspace=`` (it reads another model of the workspace)
    with_workspace: bool = False
    #: ``compute`` also takes ``chunks=``: the analyzer's ``executor`` and ``checkpoint`` when
    #: the server has a Dask cluster (``app.job_cluster``), empty otherwise
    chunked: bool = False

    def parameters(self, given: dict | None, *, from_form: bool = False) -> dict:
        """``given`` over the defaults, typed like the defaults and within their bounds; unknown
        names are an error. ``from_form``: a numeric value that is None or empty is an error
        too (a number box the browser found invalid, e.g. out of its range, sends None), where a
        URL or script leaving it out means the default."""
        given = dict(given or {})
        unknown = sorted(set(given) - set(self.defaults))
        if unknown:
            raise ParameterError(
                f"{self.name}: unknown parameter {unknown[0]!r}; known: {', '.join(self.defaults)}"
            )
        merged = {}
        for name, default in self.defaults.items():
            value = given.get(name, default)
            if value is None or value == "":
                if from_form and name in self.bounds and name in given:
                    low, high = self.bounds[name]
                    raise ParameterError(
                        f"{name}: enter a number from {_number(low)} to {_number(high)}"
                    )
                value = default
            convert = self.converters.get(name) or (
                type(default) if default is not None else (lambda given: given)
            )
            try:
                value = convert(value)
            except ParameterError:  # a converter's own message
                raise
            except (TypeError, ValueError):
                raise ParameterError(
                    f"{name}: expected a {type(default).__name__}, got {value!r}"
                ) from None
            if name in self.bounds:
                low, high = self.bounds[name]
                # "not within" also catches NaN, which compares false with everything.
                for number in value if isinstance(value, tuple) else (value,):
                    if not low <= number <= high:
                        raise ParameterError(
                            f"{name}: expected at least {_number(low)} and at most "
                            f"{_number(high)}, got {number!r}"
                        )
            allowed = self.choices.get(name)
            if allowed and value not in allowed:
                raise ParameterError(
                    f"{name}: expected one of {', '.join(map(str, allowed))}, got {value!r}"
                )
            merged[name] = value
        return merged


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def bounds_text(analysis_name: str, name: str) -> str:
    """A parameter's bounds for a form label: "10–10,000"."""
    low, high = analysis(analysis_name).bounds[name]
    return f"{_number(low)}–{_number(high)}"


#: indices the intrinsic views measure field pairs with (not "tree": CTR models have no trees)
_PAIR_INDICES = tuple(index for index in INTERACTION_INDICES if index != "tree")

ANALYSES: dict[str, Analysis] = {
    "rashomon": Analysis(
        name="rashomon",
        compute=compute_rashomon,
        read=read_rashomon,
        chunked=True,
        defaults=signature_defaults(
            rashomon.explore_rashomon,
            [
                "epsilon_rate",
                "approximator",
                "n_permutations",
                "order",
                "delta",
                "radii",
                "absolute",
                "random_state",
            ],
        ),
        choices={"approximator": APPROXIMATORS, "order": ORDERS},
        converters={"radii": parse_radii, "absolute": parse_switch},
        bounds={
            "epsilon_rate": (1e-4, 10.0),
            # rings at r·ε: inside the set (r < 1) to well outside it
            "radii": (0.05, 10.0),
            "n_permutations": (1, 1000),
            "delta": (0.01, 0.5),
            "random_state": SEED_BOUNDS,
        },
    ),
    "interactions": Analysis(
        name="interactions",
        compute=compute_interactions,
        read=read_interactions,
        chunked=True,
        defaults=signature_defaults(
            score_interactions,
            [
                "index",
                "max_order",
                "approximator",
                "background",
                "random_state",
                "output",
                "probability_clip",
            ],
            # The analyzer's rows=None is a seeded sample of DEFAULT_ROWS ("fis": every row,
            # which _compute_interactions keeps); the form shows the count, a URL types it.
            rows=DEFAULT_ROWS,
        ),
        choices={
            "index": INTERACTION_INDICES,
            "max_order": (2, 3),
            "approximator": ("auto", "exact", "sampling", "permutation"),
            # None: the model's natural scale (logit for classifiers, value for regressors).
            "output": (None, "logit", "probability"),
        },
        bounds={
            "background": (1, 10_000),
            "random_state": SEED_BOUNDS,
            "rows": (1, 100_000),
            # The analyzer takes (0, 0.5): probabilities clipped to [clip, 1 - clip].
            "probability_clip": (1e-12, 0.49),
        },
    ),
    "gates": Analysis(
        name="gates",
        compute=compute_gates,
        read=read_gates,
        defaults=signature_defaults(
            analyze_gates,
            [
                "n_bootstrap",
                "attribution_rows",
                "n_permutations",
                "compute_interactions",
                "random_state",
            ],
            switches=("compute_interactions",),
            # The app's own (analyze_gates takes the rows it is given): a seeded sample of the
            # held-out rows shared by every part; `workbench gates --rows` defaults to it too.
            rows=GATE_ROWS,
        ),
        choices={"compute_interactions": ("on", "off")},
        bounds={
            "n_bootstrap": (10, 10_000),
            "attribution_rows": (2, 10_000),
            "n_permutations": (1, 100),
            "random_state": SEED_BOUNDS,
            "rows": (2, 100_000),
        },
    ),
    "attention": Analysis(
        name="attention",
        compute=compute_attention,
        read=AttentionMapsResult.from_dict,
        # The app's own: the one case row a view shows (the analyzer takes any number).
        defaults=signature_defaults(attention_maps, ["sample", "random_state"], row=0),
        bounds={"row": (0, 10_000_000), "sample": (0, 100_000), "random_state": SEED_BOUNDS},
    ),
    "embeddings": Analysis(
        name="embeddings",
        compute=compute_embeddings,
        read=read_embeddings,
        defaults=signature_defaults(
            analyze_embeddings,
            [
                "projection",
                "projection_points",
                "n_components",
                "top_k",
                "max_rows",
                "max_points",
                "n_steps",
                "random_state",
            ],
            # The app's own (`workbench embeddings` too): which gate site colours the table
            # map ("auto": the model's first field-aligned one), a captum attribution colour,
            # the private-row Δloss (shared tables) and another model to compare by CKA.
            gate_site="auto",
            attribution="none",
            private_rows=False,
            compare_with="none",
        ),
        converters={"private_rows": parse_switch},
        with_workspace=True,
        # PCA by default (seconds): UMAP compiles numba code on its first fit (~30 s on 2 cores).
        choices={
            "projection": ("pca", "umap"),
            "projection_points": ("table", "rows"),
            "n_components": (2, 3),
            "attribution": ATTRIBUTIONS,
        },
        bounds={
            "top_k": (1, 100),
            "max_rows": (2, 1_000_000),
            "max_points": (3, 100_000),
            # fitting steps of the private-row variants: each is a pass over the training rows
            "n_steps": (1, 1000),
            "random_state": SEED_BOUNDS,
        },
    ),
    "model_set": Analysis(
        name="model_set",
        compute=compute_model_set,
        read=read_model_set,
        with_workspace=True,  # retrained members are cached in the workspace's store
        chunked=True,
        defaults=signature_defaults(
            explore_model_set,
            ["index", "epsilon_rate", "top_k", "random_state", "max_coalitions"],
            # The app's own, as `workbench rashomon-set` names them: the builder, the set's
            # size (seeds retrained, or dropout members), bootstrap resamples per seed and a
            # seeded sample of DEFAULT_ROWS explained rows (the analyzer's rows=None).
            builder=BUILDERS[0].name,
            members=DEFAULT_MEMBERS,
            n_bootstrap=DEFAULT_BOOTSTRAP,
            rows=DEFAULT_ROWS,
        ),
        choices={"builder": tuple(b.name for b in BUILDERS), "index": MODEL_SET_INDICES},
        bounds={
            "epsilon_rate": (1e-4, 10.0),
            "top_k": (1, 100),
            "random_state": SEED_BOUNDS,
            "members": (2, 1024),
            "n_bootstrap": (0, 10),
            # 2**22 coalitions is where exact stops (analyzers.interactions.shapley)
            "max_coalitions": (16, 1 << 22),
            "rows": (1, 100_000),
        },
    ),
    "intrinsic": Analysis(
        name="intrinsic",
        compute=compute_intrinsic,
        read=read_intrinsic,
        with_workspace=True,  # which sources apply is read from the manifest
        defaults=signature_defaults(
            intrinsic_interactions,
            ["index", "rows", "background", "random_state"],
            # The app's own: the model's own weights, or the attention at its attention sites
            # (the analyzer's attention_sites, which the app reads from the workspace entry).
            source=INTRINSIC_SOURCES[0],
        ),
        # "tree" reads a tree model, never a CTR model; the others score field pairs
        choices={"source": INTRINSIC_SOURCES, "index": _PAIR_INDICES},
        bounds={"rows": (2, 100_000), "background": (1, 10_000), "random_state": SEED_BOUNDS},
    ),
    "optinter_switches": Analysis(
        name="optinter_switches",
        compute=compute_operation_switches,
        read=read_operation_switches,
        with_workspace=True,
        defaults=signature_defaults(
            operation_switches,
            ["n_bootstrap", "index", "rows", "background", "random_state"],
            # The analyzer's pairs=None (every pair) as text a URL carries: "" or "a,b;c,d".
            pairs="",
        ),
        choices={"index": _PAIR_INDICES},
        converters={"pairs": parse_field_pairs},
        bounds={
            "n_bootstrap": (10, 10_000),
            "rows": (2, 100_000),
            "background": (1, 10_000),
            "random_state": SEED_BOUNDS,
        },
    ),
    "optfs": Analysis(
        name="optfs",
        compute=compute_optfs,
        read=read_optfs,
        with_workspace=True,  # trains on the model's whole data set, split as the recipe does
        defaults=signature_defaults(
            optfs_selection, ["max_epochs", "random_state", "backbone"], switches=("backbone",)
        ),
        choices={"backbone": ("on", "off")},
        bounds={"max_epochs": (1, 1000), "random_state": SEED_BOUNDS},
    ),
}

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
