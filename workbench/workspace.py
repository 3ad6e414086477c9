"""A workspace: a folder with a manifest of data sets and models, and a results store.

``workspace.json`` lists data sets (a CSV/Parquet file and how to read it) and models (a built-in
sample model trained on one of the data sets, or a model file). Data sets and models are loaded on
first use and kept for the life of the process; background jobs forked from the web process
inherit them. Models given from Python (``app.open``) live in memory only: the manifest holds
nothing that would need pickle.

The manifest entries live in ``workbench.manifest_entries``, reading an entry's data set and
scoring a loaded model in ``workbench.entry_loading``, the demo in ``workbench.demo_workspace``;
the entries and ``demo_workspace`` are importable from here too.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
import weakref
from dataclasses import asdict
from pathlib import Path
from typing import Any

from workbench.demo_workspace import (  # noqa: F401 (re-exported)
    DEMO_ZOO_MODELS,
    DEMO_ZOO_WEIGHTS,
    demo_workspace,
)
from workbench.entry_loading import model_metrics, read_dataset, tree_model
from workbench.errors import DataError, ModelError, ParameterError, WorkbenchError
from workbench.manifest_entries import DataEntry, LoadedModel, ModelEntry, check_model_kind
from workbench.store import ResultStore

MANIFEST_NAME = "workspace.json"
_MANIFEST_VERSION = 1


class Workspace:
    """Data sets, models and cached results under one folder.

    Parameters
    ----------
    root : str or Path
        The folder; :meth:`create` makes a new one, :meth:`open` reads an existing one.
    """

    def __init__(self, root: Path, data: dict[str, DataEntry], models: dict[str, ModelEntry]):
        self.root = root
        self._data = dict(data)
        self._models = dict(models)
        self.store = ResultStore(root / "results")
        self._datasets: dict[str, Any] = {}
        self._loaded: dict[str, LoadedModel] = {}
        #: models registered as objects (``add_model_object``): never written to the manifest
        self._in_memory: set[str] = set()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._manifest_stamp: int | None = None
        _OPEN_WORKSPACES.add(self)

    # -- creating and opening ---------------------------------------------------------------

    @classmethod
    def create(cls, root: str | Path) -> Workspace:
        """An empty workspace in ``root`` (created; an existing workspace there is opened)."""
        root = Path(root).expanduser().resolve()
        if (root / MANIFEST_NAME).exists():
            return cls.open(root)
        root.mkdir(parents=True, exist_ok=True)
        workspace = cls(root, {}, {})
        workspace.save()
        return workspace

    @classmethod
    def open(cls, root: str | Path) -> Workspace:
        """Read the workspace in ``root`` (a one-line error when it is not one)."""
        root = Path(root).expanduser().resolve()
        manifest = root / MANIFEST_NAME
        if not manifest.is_file():
            raise ParameterError(
                f"workspace: {root} has no {MANIFEST_NAME}; create one with `workbench demo` "
                "or workbench.workspace.Workspace.create"
            )
        try:
            content = json.loads(manifest.read_text(encoding="utf-8"))
            data = {d["name"]: DataEntry(**d) for d in content["data"]}
            models = {m["name"]: ModelEntry(**m) for m in content["models"]}
        except (ValueError, KeyError, TypeError) as error:
            raise ParameterError(
                f"workspace: {manifest} is not a valid manifest ({error})"
            ) from None
        workspace = cls(root, data, models)
        workspace.store.remove_partial()
        return workspace

    def save(self) -> None:
        """Write the manifest atomically (models held only in memory are left out)."""
        content = {
            "version": _MANIFEST_VERSION,
            "data": [asdict(d) for d in self._data.values() if d.path],
            "models": [asdict(m) for m in self._models.values() if m.name not in self._in_memory],
        }
        path = self.root / MANIFEST_NAME
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        partial.write_text(json.dumps(content, indent=2), encoding="utf-8")
        os.replace(partial, path)
        self._manifest_stamp = path.stat().st_mtime_ns

    # -- registering ------------------------------------------------------------------------

    def add_data(self, entry: DataEntry, *, copy: bool = False, save: bool = True) -> DataEntry:
        """Register a data set once it loads; ``copy`` puts the file in the workspace folder."""
        self._check_new_name(entry.name, self._data, "data set")
        if copy:
            target = self.root / "data" / Path(entry.path).name
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(entry.path, target)
            entry = DataEntry(**{**asdict(entry), "path": str(target)})
        self._datasets[entry.name] = read_dataset(entry)
        self._data[entry.name] = entry
        if save:
            self.save()
        return entry

    def add_data_with_models(
        self, entry: DataEntry, models: list[ModelEntry], progress=None
    ) -> DataEntry:
        """Register a data set and models explained on it once every one of them loads.

        The manifest is written once, after the data set is read and each model trained or
        loaded. When one fails, nothing is written and the workspace is as it was: a manifest
        entry that cannot load would break every later page that lists the workspace.
        ``progress(stage, done, total)`` (optional) is told before each model trains, with
        the stage ``"training <sample or kind>"``.
        """
        # One registration at a time (two uploads at once): each one's rollback and its
        # manifest write then see only its own entries.
        with self._lock("registering"):
            added_data, added_models = [], []
            try:
                entry = self.add_data(entry, save=False)
                added_data.append(entry.name)
                for done, model in enumerate(models):
                    if progress is not None:
                        progress(f"training {model.sample or model.kind}", done, len(models))
                    self.add_model(model, save=False)
                    added_models.append(model.name)
                    self.model(model.name)
            except Exception as error:
                self._forget(added_data, added_models)
                if isinstance(error, WorkbenchError):
                    raise
                first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
                if not added_data:
                    raise DataError(
                        f"data set {entry.name!r}: cannot be read ({first_line})"
                    ) from None
                raise ModelError(
                    f"model {added_models[-1]!r}: cannot be trained on data set "
                    f"{entry.name!r} ({first_line})"
                ) from None
            # Another process (a job that registered an upload) may have saved since we read.
            self.refresh()
            self.save()
        return entry

    def refresh(self) -> bool:
        """Add the entries another process saved to the manifest since this one read it (a
        background job registers an uploaded data set; the server then lists it). Entries
        known here are kept as they are; returns whether any were added. Cheap when the
        manifest is unchanged (one ``stat``)."""
        manifest = self.root / MANIFEST_NAME
        try:
            stamp = manifest.stat().st_mtime_ns
        except OSError:
            return False
        if stamp == self._manifest_stamp:
            return False
        try:
            content = json.loads(manifest.read_text(encoding="utf-8"))
            data = [DataEntry(**d) for d in content["data"]]
            models = [ModelEntry(**m) for m in content["models"]]
        except (OSError, ValueError, KeyError, TypeError):
            return False  # half-written by hand: keep what is known, read it next time
        self._manifest_stamp = stamp
        added = [d for d in data if d.name not in self._data]
        added += [m for m in models if m.name not in self._models]
        self._data.update({d.name: d for d in data if d.name not in self._data})
        self._models.update({m.name: m for m in models if m.name not in self._models})
        return bool(added)

    def check_new_names(self, data: str, models: list[str]) -> None:
        """A one-line error unless ``data`` and ``models`` are free names (checked before an
        upload is kept, so a clash is reported before any work)."""
        self.refresh()
        self._check_new_name(data, self._data, "data set")
        for name in models:
            self._check_new_name(name, self._models, "model")

    @staticmethod
    def read_data(entry: DataEntry) -> Any:
        """The ``Dataset`` of ``entry``, read without registering it (a one-line error when it
        cannot be read)."""
        return read_dataset(entry)

    def _forget(self, data_names: list[str], model_names: list[str]) -> None:
        """Drop entries registered (not yet saved) by a registration that failed."""
        for name in data_names:
            self._data.pop(name, None)
            self._datasets.pop(name, None)
        for name in model_names:
            self._models.pop(name, None)
            self._loaded.pop(name, None)

    def add_dataset(self, name: str, dataset: Any) -> None:
        """Register an in-memory ``Dataset`` (not saved in the manifest)."""
        self._check_new_name(name, self._data, "data set")
        self._data[name] = DataEntry(name=name, path="", target=dataset.target_name or "")
        self._datasets[name] = dataset

    def add_model(self, entry: ModelEntry, *, save: bool = True) -> ModelEntry:
        """Register a sample model or a model file explained on one of the data sets.

        A joblib/pickle file is loaded only if ``entry.trusted`` is true (loading one runs its
        author's code): set it only for a file you created or trust.
        """
        self._check_new_name(entry.name, self._models, "model")
        if entry.data not in self._data:
            raise ParameterError(f"model {entry.name!r}: unknown data set {entry.data!r}")
        check_model_kind(entry)
        self._models[entry.name] = entry
        if save:
            self.save()
        return entry

    def add_model_object(
        self,
        name: str,
        model: Any,
        data: str,
        *,
        task: str = "auto",
        kind: str = "memory",
        train_rows: Any = None,
    ) -> None:
        """Register a trained model object (torch, scikit-learn, callable), kept in memory only.

        ``kind="zoo"`` lists a CTR model (an adapter of a ``workbench.zoo`` module) with the
        zoo's; ``train_rows`` are the rows it was trained on (the private-row Δloss refits on
        them)."""
        from workbench.models import wrap_model
        from workbench.samples import infer_task

        self._check_new_name(name, self._models, "model")
        dataset = self.dataset(data)
        task = infer_task(dataset) if task == "auto" else task
        adapter = model if hasattr(model, "fingerprint") else wrap_model(model, task=task)
        self._models[name] = ModelEntry(name=name, data=data, kind=kind, task=task)
        self._in_memory.add(name)
        self._loaded[name] = LoadedModel(
            name,
            data,
            adapter,
            dataset,
            model_metrics(adapter, dataset),
            estimator=model,
            train_rows=train_rows,
        )

    # -- reading ----------------------------------------------------------------------------

    @property
    def data_names(self) -> list[str]:
        return list(self._data)

    def model_names(
        self, data: str | None = None, kind: str | tuple[str, ...] | None = None
    ) -> list[str]:
        """Names of the models (of data set ``data`` and of ``kind`` or kinds, when given)."""
        kinds = (kind,) if isinstance(kind, str) else kind
        return [
            m.name
            for m in self._models.values()
            if (data is None or m.data == data) and (kinds is None or m.kind in kinds)
        ]

    def data_entry(self, name: str) -> DataEntry:
        return _lookup(self._data, name, "data set")

    def model_entry(self, name: str) -> ModelEntry:
        return _lookup(self._models, name, "model")

    def dataset(self, name: str) -> Any:
        """The ``Dataset`` named ``name`` (read once)."""
        entry = self.data_entry(name)
        with self._lock(f"data:{name}"):
            if name not in self._datasets:
                self._datasets[name] = read_dataset(entry)
        return self._datasets[name]

    def model(self, name: str) -> LoadedModel:
        """The model named ``name``, trained or loaded once per process (thread-safe)."""
        entry = self.model_entry(name)
        with self._lock(f"model:{name}"):
            if name not in self._loaded:
                self._loaded[name] = self._load_model(entry)
        return self._loaded[name]

    def is_loaded(self, name: str) -> bool:
        return name in self._loaded

    def _load_model(self, entry: ModelEntry) -> LoadedModel:
        from workbench.models import load_model_file
        from workbench.samples import infer_task, train_sample_model

        dataset = self.dataset(entry.data)
        task = infer_task(dataset) if entry.task == "auto" else entry.task
        train_rows = sites = None
        if entry.kind == "sample":
            # cached (no pickle) in the workspace, so a second start does not retrain
            sample = train_sample_model(
                entry.sample, dataset, task=task, cache_dir=self.root / "samples"
            )
            adapter, rows, estimator = sample.adapter, sample.test, sample.estimator
            train_rows = sample.train
        elif entry.kind == "zoo":
            from workbench.models import wrap_model
            from workbench.zoo.training import sample_ctr_model

            trained = sample_ctr_model(entry.sample, dataset, cache_dir=self.root / "zoo")
            adapter = wrap_model(trained.model, task="classification", output="logit")
            rows, estimator, train_rows = trained.test, trained.model, trained.train
        elif entry.kind == "torch":
            from workbench.factory_models import load_torch_entry

            adapter, rows, sites = load_torch_entry(entry, dataset)
            estimator = adapter.module
        else:
            adapter = load_model_file(
                entry.path,
                task=task,
                output=entry.output,
                trust_pickle=entry.trusted,
                feature_names=dataset.feature_names,
            )
            rows, estimator = dataset, tree_model(entry.path)
        metrics = model_metrics(adapter, rows)
        return LoadedModel(
            entry.name,
            entry.data,
            adapter,
            rows,
            metrics,
            estimator=estimator,
            train_rows=train_rows,
            sites=sites,
            embedding_site=entry.embedding_site,
        )

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    def _unlock_after_fork(self) -> None:
        # A job forked while another thread (the server's warm-up) loads a model inherits that
        # lock held by a thread it does not have, and would wait on it forever; it loads anew.
        self._locks = {}
        self._guard = threading.Lock()

    @staticmethod
    def _check_new_name(name: str, taken: dict, what: str) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ParameterError(f"{what} name: expected a non-empty string, got {name!r}")
        if name in taken:
            raise ParameterError(f"{what} name: {name!r} is already in the workspace")


def _lookup(entries: dict, name: str, what: str):
    if name not in entries:
        known = ", ".join(entries) or "none"
        raise ParameterError(f"{what}: unknown name {name!r}; the workspace has: {known}")
    return entries[name]


_OPEN_WORKSPACES: weakref.WeakSet = weakref.WeakSet()


def _unlock_workspaces_after_fork() -> None:
    for workspace in list(_OPEN_WORKSPACES):
        workspace._unlock_after_fork()


os.register_at_fork(after_in_child=_unlock_workspaces_after_fork)
