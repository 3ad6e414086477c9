"""A workspace: a folder with a manifest of data sets and models, and a results store.

``workspace.json`` lists data sets (a CSV/Parquet file and how to read it) and models (a built-in
sample model trained on one of the data sets, or a model file). Data sets and models are loaded on
first use and kept for the life of the process; background jobs forked from the web process
inherit them. Models given from Python (``app.open``) live in memory only: the manifest holds
nothing that would need pickle.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import DataError, ModelError, ParameterError, WorkbenchError
from workbench.store import ResultStore

MANIFEST_NAME = "workspace.json"
_MANIFEST_VERSION = 1


@dataclass(frozen=True)
class DataEntry:
    """A data set of the workspace: a CSV or Parquet file and how to read it into a Dataset."""

    name: str
    path: str
    target: str
    groups: str | dict[str, list[str]] = "columns"
    features: list[str] | None = None
    description: str = ""
    #: "table" (``Dataset.from_csv``/``from_parquet``), "fields" (one coded field per column for
    #: the CTR zoo, numeric columns bucketised: ``workbench.zoo.ctr_data.fields_from_frame``) or
    #: "adult" (the UCI Adult file as coded fields: ``adult_fields``)
    coding: str = "table"


@dataclass(frozen=True)
class ModelEntry:
    """A model of the workspace, explained on ``data``.

    ``kind`` is "sample" (``sample`` names a built-in model, trained on an 80/20 split of the data
    and explained on the test rows), "zoo" (``sample`` names a CTR model of ``workbench.zoo``,
    trained likewise on a coded data set, its weights cached in the workspace's ``zoo`` folder)
    "file" (``path`` to a model file, explained on all rows) or "torch" (the user's own torch
    module built by ``factory`` "package.module:callable", with the ``state_dict`` file
    ``weights``, its gate ``sites`` and ``embedding_site`` by module path, and optionally a
    ``field_inputs`` specification ``{"fields": {...}, "dtypes": {...}}`` for
    ``workbench.field_inputs.DictInputs``, the factory's ``factory_kwargs``, and ``output``
    "probability" for a module that ends in a sigmoid; explained on all rows). Building a
    "torch" model imports the factory, the registrant's own code: only the local user names
    one (the command line or this manifest), never the web app.
    """

    name: str
    data: str
    kind: str
    sample: str | None = None
    path: str | None = None
    task: str = "auto"
    output: str | None = None
    description: str = ""
    #: a joblib/pickle ``path`` is loaded only when true: loading one runs code its author chose,
    #: so whoever registers the file says they trust it (``Workspace.add_model``)
    trusted: bool = False
    factory: str | None = None
    weights: str | None = None
    #: "path#call" text (a gate) or {"site": "path#call", "kind": "gate"|"mask"|...}
    sites: list | None = None
    embedding_site: str | None = None
    field_inputs: dict | None = None
    #: a folder the factory's package is imported from (appended to ``sys.path``)
    import_path: str | None = None
    #: keyword arguments of a "torch" entry's factory (``workbench.deepctr:build`` takes
    #: ``{"name": "FiBiNET", ...}``); a factory with a ``dataset`` parameter also gets ``data``
    factory_kwargs: dict | None = None


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to analyse: the adapter, the rows it is explained on, and its metrics there."""

    name: str
    data: str
    adapter: Any
    rows: Any
    metrics: dict[str, float] = field(default_factory=dict)
    #: the model object as trained or given (tree SHAP reads a fitted scikit-learn tree itself)
    estimator: Any = None
    #: the rows it was trained on, where the workspace trained it (the private-row Δloss of an
    #: embeddings analysis refits on them, a retrained model set trains its members on them);
    #: None for a model file or object
    train_rows: Any = None
    #: the gate sites of a "torch" entry (``workbench.sites.SiteSpec``); None: the model's own
    sites: Any = None
    #: the module path of a "torch" entry's field embedding output, if given
    embedding_site: str | None = None


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
        self._datasets[entry.name] = _read_dataset(entry)
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
        return _read_dataset(entry)

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
        if entry.kind == "sample":
            from workbench.samples import SAMPLE_MODELS

            if entry.sample not in SAMPLE_MODELS:
                raise ParameterError(
                    f"model {entry.name!r}: unknown sample model {entry.sample!r}; "
                    f"built-in: {', '.join(SAMPLE_MODELS)}"
                )
        elif entry.kind == "zoo":
            from workbench.zoo import MODELS as ZOO_MODELS

            if entry.sample not in ZOO_MODELS:
                raise ParameterError(
                    f"model {entry.name!r}: unknown zoo model {entry.sample!r}; "
                    f"known: {', '.join(ZOO_MODELS)}"
                )
        elif entry.kind == "file":
            if not entry.path or not Path(entry.path).is_file():
                raise ParameterError(f"model {entry.name!r}: no model file at {entry.path!r}")
        elif entry.kind == "torch":
            from workbench.factory_models import is_factory

            if not entry.factory or not is_factory(entry.factory):
                raise ParameterError(
                    f"model {entry.name!r}: factory must be package.module:callable, "
                    f"got {entry.factory!r}"
                )
            if entry.weights and not Path(entry.weights).is_file():
                raise ParameterError(f"model {entry.name!r}: no weights file at {entry.weights!r}")
            if entry.factory_kwargs is not None and not isinstance(entry.factory_kwargs, dict):
                raise ParameterError(
                    f"model {entry.name!r}: factory_kwargs must be a JSON object, "
                    f"got {entry.factory_kwargs!r}"
                )
        else:
            raise ParameterError(
                f"model {entry.name!r}: kind must be 'sample', 'zoo', 'file' or 'torch'"
            )
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
            _metrics(adapter, dataset),
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
                self._datasets[name] = _read_dataset(entry)
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
            rows, estimator = dataset, _tree_model(entry.path)
        metrics = _metrics(adapter, rows)
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


def _tree_model(path: str | None):
    """The Booster of an xgboost/lightgbm file (index "tree" reads its trees), else None."""
    from workbench.models.boosters import is_native_file, read_native_model

    return read_native_model(path) if path and is_native_file(path) else None


def _read_dataset(entry: DataEntry):
    import pandas as pd

    from workbench.data import Dataset
    from workbench.zoo.ctr_data import adult_fields, fields_from_frame

    path = Path(entry.path)
    if not path.is_file():
        raise DataError(f"data set {entry.name!r}: file {path} not found")
    if entry.coding == "adult":
        return adult_fields(path)
    if entry.coding == "fields":
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        columns = [*entry.features, entry.target] if entry.features else list(frame.columns)
        return fields_from_frame(frame[columns], entry.target)
    if entry.coding != "table":
        raise ParameterError(
            f"data set {entry.name!r}: coding must be 'table', 'fields' or 'adult', "
            f"got {entry.coding!r}"
        )
    read = Dataset.from_parquet if path.suffix == ".parquet" else Dataset.from_csv
    return read(path, target=entry.target, features=entry.features, groups=entry.groups)


def _metrics(adapter, rows) -> dict[str, float]:
    """Loss, and accuracy/AUC for binary classifiers, on the rows the model is explained on."""
    from sklearn.metrics import roc_auc_score

    if rows.y is None:
        return {}
    try:
        outputs = adapter.predict(rows.X)
    except WorkbenchError:
        return {}
    y = rows.y.to(outputs.device)
    metrics = {"loss": float(adapter.loss.per_row(outputs, y).mean()), "rows": rows.n_rows}
    if adapter.task == "classification" and adapter.n_classes == 2:
        score = outputs.reshape(-1).double().cpu().numpy()
        threshold = 0.5 if adapter.output_kind == "probability" else 0.0
        truth = rows.y.numpy()
        metrics["accuracy"] = float(np.mean((score > threshold) == (truth > 0.5)))
        if len(np.unique(truth)) == 2:
            metrics["auc"] = float(roc_auc_score(truth, score))
    return metrics


#: trained weights of the demo's CTR models, copied into a new demo workspace's zoo cache so the
#: demo does not train them on first use (they are retrained if the code's cache key changed)
DEMO_ZOO_WEIGHTS = "zoo"
DEMO_ZOO_MODELS = ("finalmlp", "gdcn", "autoint", "fcn")


def demo_workspace(root: str | Path) -> Workspace:
    """The demo: COMPAS (7 one-hot groups) with the logistic, MLP and boosted-tree sample models,
    and UCI Adult (14 coded fields) with the FinalMLP, GDCN, AutoInt and FCN models of the CTR
    zoo."""
    from workbench.samples import SAMPLE_DATA_DIR, sample_data_path

    workspace = Workspace.create(root)
    shipped = SAMPLE_DATA_DIR / DEMO_ZOO_WEIGHTS
    if shipped.is_dir():
        cache = workspace.root / "zoo"
        cache.mkdir(exist_ok=True)
        for weights in shipped.iterdir():
            if not (cache / weights.name).exists():
                shutil.copyfile(weights, cache / weights.name)
    if "compas" not in workspace.data_names:
        workspace.add_data(
            DataEntry(
                name="compas",
                path=str(sample_data_path("compas.csv")),
                target="Recidivate-Within-Two-Years",
                groups="prefix",
                description="COMPAS recidivism (binarized, the FISC paper's data), 7 groups",
            )
        )
    for sample in ("logistic", "mlp", "gbt"):
        name = f"compas-{sample}"
        if name not in workspace.model_names():
            workspace.add_model(ModelEntry(name=name, data="compas", kind="sample", sample=sample))
    if "adult" not in workspace.data_names:
        workspace.add_data(
            DataEntry(
                name="adult",
                path=str(sample_data_path("adult.csv.gz")),
                target="income",
                coding="adult",
                description="UCI Adult census income, 14 coded fields (numeric ones bucketised)",
            )
        )
    for zoo_model in DEMO_ZOO_MODELS:
        name = f"adult-{zoo_model}"
        if name not in workspace.model_names():
            workspace.add_model(ModelEntry(name=name, data="adult", kind="zoo", sample=zoo_model))
    return workspace


_OPEN_WORKSPACES: weakref.WeakSet = weakref.WeakSet()


def _unlock_workspaces_after_fork() -> None:
    for workspace in list(_OPEN_WORKSPACES):
        workspace._unlock_after_fork()


os.register_at_fork(after_in_child=_unlock_workspaces_after_fork)
