"""Registering a model file already on disk into a workspace, checked before the manifest is
written: the file loads, and the model predicts on the data set's rows.

The command line (``workbench add-model``) and the web app's Overview both go through
:func:`register_model_file`, so a file accepted by one is accepted by the other. Registering
never copies or uploads a model: ``path`` is a file on this machine's disk.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workbench.errors import ModelError, WorkbenchError
from workbench.workspace import ModelEntry, Workspace

#: rows the check predicts on: enough to catch a wrong input width or output shape, few enough
#: to keep registering a large model instant
CHECK_ROWS = 8


def register_model_file(
    workspace: Workspace,
    name: str,
    data: str,
    path: str | Path,
    *,
    task: str = "auto",
    output: str | None = None,
    trusted: bool = False,
    description: str = "",
) -> ModelEntry:
    """Add the model file ``path`` to ``workspace`` once it loads and predicts on ``data``.

    Parameters
    ----------
    workspace : Workspace
    name : str
        The new model's name (not yet in the workspace).
    data : str
        The data set it is explained on (already in the workspace).
    path : str or Path
        A TorchScript (``.pt``/``.pth``/``.ts``), ``torch.export`` (``.pt2``), xgboost
        (``.json``/``.ubj``) or lightgbm (``.txt``) file (none runs code when read) or, with
        ``trusted``, a joblib/pickle file. A tree file's features must be the data set's.
    task, output : as for ``workbench.models.load_model_file``
    trusted : bool
        The file is a pickle its registrant trusts (stored as ``"trusted": true``).

    Returns
    -------
    ModelEntry
        The entry written to the manifest. On any failure nothing is written: a manifest entry
        that cannot load would break every page that lists the workspace.

    Examples
    --------
    >>> register_model_file(ws, "net", "compas", "net.pt")  # doctest: +SKIP
    """
    from workbench.models import load_model_file
    from workbench.models.files import check_pickle_trusted

    resolved = Path(path).expanduser().resolve()
    entry = ModelEntry(
        name=name,
        data=data,
        kind="file",
        path=str(resolved),
        task=task,
        output=output,
        description=description,
        trusted=bool(trusted),
    )
    # Name, data set and file existence first (one-line ParameterErrors), then nothing opened
    # for an untrusted pickle: check_pickle_trusted refuses before reading a byte.
    # One registration at a time, as Workspace.add_data_with_models: a failed one then
    # forgets only its own entry.
    with _registering(workspace, entry):
        check_pickle_trusted(resolved, entry.trusted)
        dataset = workspace.dataset(data)
        adapter = load_model_file(
            resolved,
            task=_task(task, dataset),
            output=output,
            trust_pickle=entry.trusted,
            device="cpu",
            feature_names=dataset.feature_names,
        )
        _check_predicts(adapter, dataset, name, data)
    return entry


@contextmanager
def _registering(workspace, entry: ModelEntry) -> Iterator[None]:
    """Add ``entry`` unsaved for the checks in the ``with`` body; save it when they pass, forget
    it when one fails (a workbench error as it is, anything else as one ModelError line)."""
    with workspace._lock("registering"):
        workspace.add_model(entry, save=False)
        try:
            yield
        except Exception as error:
            workspace._forget([], [entry.name])
            if isinstance(error, WorkbenchError):
                raise
            raise ModelError(f"model {entry.name!r}: {_first_line(error)}") from None
        workspace.save()


def _task(task: str, dataset) -> str:
    from workbench.samples import infer_task

    return infer_task(dataset) if task == "auto" else task


def _check_predicts(adapter, dataset, name: str, data: str) -> None:
    """One line when the model cannot predict on the data set's rows (wrong input width, a
    crash inside the model, one output per batch instead of per row)."""
    rows = dataset.X[:CHECK_ROWS]  # (rows, features)
    try:
        outputs = adapter.predict(rows)
    except Exception as error:
        raise ModelError(
            f"model {name!r}: does not predict on data set {data!r} "
            f"({dataset.n_features} features per row): {_first_line(error)}"
        ) from None
    if outputs.shape[0] != rows.shape[0]:
        raise ModelError(
            f"model {name!r}: gave {outputs.shape[0]} outputs for {rows.shape[0]} rows of "
            f"data set {data!r}; expected one per row"
        )


def _first_line(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def register_torch_model(
    workspace: Workspace,
    name: str,
    data: str,
    factory: str,
    *,
    weights: str | Path | None = None,
    sites: list | tuple = (),
    embedding_site: str | None = None,
    field_inputs: dict | None = None,
    import_path: str | Path | None = None,
    factory_kwargs: dict | None = None,
    task: str = "auto",
    output: str | None = None,
    description: str = "",
) -> ModelEntry:
    """Add the user's own torch model (kind "torch") to ``workspace`` once it builds, its
    weights load, it predicts on ``data`` and every site fires.

    Parameters
    ----------
    workspace, name, data, task, description : as for :func:`register_model_file`
    output : str, optional
        What the module returns for a classification task: "logit" (the default) or
        "probability" (a module that ends in a sigmoid, as DeepCTR-Torch's do). Every path that
        loads the entry wraps the module so. Checked on the check rows: a "probability" output
        outside [0, 1] is refused; "logit" outputs that all lie in [0, 1] get an
        :class:`OutputKindWarning` (probabilities read as logits would be wrong everywhere).
    factory : str
        ``package.module:callable`` returning the ``nn.Module``. Importing it runs your own
        code: a choice of the local user (``workbench add-model --factory``, Python, or the
        manifest), never of the web app.
    factory_kwargs : dict, optional
        Its keyword arguments (JSON values); a factory with a ``dataset`` parameter also gets
        the data set ``data`` (``workbench.deepctr:build``).
    weights : str or Path, optional
        Its ``state_dict`` file (``torch.load(weights_only=True)``).
    sites : list of str or dict
        Gate sites by module path, ``"path#call"`` or ``{"site": "path#call", "kind": "mask"}``.
    embedding_site : str, optional
        Module path of the field embedding output (``"path#call"``).
    field_inputs : dict, optional
        ``{"fields": {input: column(s)}, "dtypes": {input: "long"|"float"}}`` for a model that
        takes a dict of tensors (``workbench.field_inputs.DictInputs``).
    import_path : str or Path, optional
        A folder the factory's package is imported from.

    Returns
    -------
    ModelEntry
        As written to the manifest; on any failure nothing is written (one-line error).

    Examples
    --------
    >>> register_torch_model(ws, "mine", "clicks", "mypkg.models:build",
    ...                      weights="state.pt", sites=["gate_sigmoid#0"])  # doctest: +SKIP
    """
    entry = ModelEntry(
        name=name,
        data=data,
        kind="torch",
        factory=factory,
        weights=str(Path(weights).expanduser().resolve()) if weights else None,
        sites=list(sites) or None,
        embedding_site=embedding_site,
        field_inputs=dict(field_inputs) if field_inputs else None,
        import_path=str(Path(import_path).expanduser().resolve()) if import_path else None,
        factory_kwargs=dict(factory_kwargs) if factory_kwargs else None,
        task=task,
        output=output,
        description=description,
    )
    with _registering(workspace, entry):
        loaded = workspace.model(name)
        _check_output_kind(loaded.adapter, loaded.rows, name)
        _check_predicts(loaded.adapter, loaded.rows, name, data)
        _check_sites_fire(loaded, entry)
    return entry


class OutputKindWarning(UserWarning):
    """A model registered as returning logits returns values that look like probabilities."""


def _check_output_kind(adapter, dataset, name: str) -> None:
    """One line when a "probability" model's outputs leave [0, 1] on the check rows; a
    warning when a "logit" model's all lie in [0, 1] (likely a sigmoid at its end).

    Reads the module's raw outputs: the adapter itself refuses probabilities outside [0, 1],
    but as a failure to predict; a module that cannot run on the rows is left to
    ``_check_predicts``, which says why."""
    import warnings

    import torch

    if adapter.output_kind not in ("probability", "logit") or adapter.module is None:
        return
    rows = dataset.X[:CHECK_ROWS].to(adapter.device, adapter.dtype)  # (rows, features)
    try:
        with torch.no_grad():
            outputs = adapter.module(rows)  # (rows, 1) or (rows, classes)
    except Exception:
        return
    if not isinstance(outputs, torch.Tensor) or outputs.numel() == 0:
        return
    low, high = float(outputs.min()), float(outputs.max())
    inside = 0.0 <= low and high <= 1.0
    if adapter.output_kind == "probability" and not inside:
        raise ModelError(
            f"model {name!r}: output 'probability', but its outputs on {len(rows)} rows span "
            f"[{low:.4g}, {high:.4g}], outside [0, 1]; if it returns logits, register it with "
            "output 'logit'"
        )
    if adapter.output_kind == "logit" and inside:
        warnings.warn(
            f"model {name!r}: output 'logit', but all its outputs on {len(rows)} rows lie in "
            f"[0, 1] ([{low:.4g}, {high:.4g}]); if it ends in a sigmoid, register it with "
            "output 'probability'",
            OutputKindWarning,
            stacklevel=3,
        )


def _check_sites_fire(loaded, entry: ModelEntry) -> None:
    """One line for a site whose module never runs, or runs fewer times than its call index,
    or whose output does not split over the data set's fields, or an attention site whose
    output is not attention over the fields (``workbench.attention_check``)."""
    import torch

    from workbench.attention_check import check_attention_site
    from workbench.sites import measure_sites, parse_site

    specs = list(loaded.sites or [])
    if entry.embedding_site:
        specs.append(parse_site(entry.embedding_site, "embedding"))
    if not specs:
        return
    module = loaded.adapter.module
    adapter = loaded.adapter
    rows = loaded.rows.X[:CHECK_ROWS].to(adapter.device, adapter.dtype)  # (rows, features)
    with torch.no_grad():
        measure_sites(
            module, specs, lambda: module(rows), loaded.rows.n_groups, loaded.rows.group_names
        )
    for spec in specs:
        if spec.kind == "attention":
            check_attention_site(module, spec, rows, loaded.rows.n_groups)
