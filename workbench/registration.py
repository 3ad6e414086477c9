"""Registering a model file already on disk into a workspace, checked before the manifest is
written: the file loads, and the model predicts on the data set's rows.

The command line (``workbench add-model``) and the web app's Overview both go through
:func:`register_model_file`, so a file accepted by one is accepted by the other. Registering
never copies or uploads a model: ``path`` is a file on this machine's disk.
"""

from __future__ import annotations

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
    with workspace._lock("registering"):
        workspace.add_model(entry, save=False)
        try:
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
        except Exception as error:
            workspace._forget([], [name])
            if isinstance(error, WorkbenchError):
                raise
            raise ModelError(f"model {name!r}: {_first_line(error)}") from None
        workspace.save()
    return entry


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
