"""The entries of a workspace manifest (data sets and models) and a model ready to analyse.

``workbench.workspace`` reads and writes them; they are plain data, so the web upload form and
the CLI build them without the workspace's loading code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.errors import ParameterError


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


def check_model_kind(entry: ModelEntry) -> None:
    """A one-line error unless ``entry.kind`` is known and what that kind needs is there (the
    sample or zoo model by name, the model file, the factory and its weights)."""
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
