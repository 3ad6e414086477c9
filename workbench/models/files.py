"""load_model_file: read a saved model (TorchScript, torch.export, native tree files, joblib).

Warning: ``.joblib`` and ``.pkl`` files are pickles, and loading a pickle runs code chosen by
whoever wrote the file. They are loaded only with ``trust_pickle=True`` (``--trust-pickle`` on the
command line, ``"trusted": true`` for a workspace model): without it the file is refused before
it is opened. TorchScript and ``torch.export`` archives hold no pickled Python objects, and
xgboost (``.json``/``.ubj``) and lightgbm (``.txt``) native files hold trees and parameters only:
none of these runs code when read, so they are the safe way to hand over a tree model.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import joblib
import torch
from torch.export.passes import move_to_device_pass

from workbench.errors import ModelError
from workbench.models.adapter import ModelAdapter, error_summary
from workbench.models.boosters import (
    NATIVE_SUFFIXES,
    booster_info,
    check_feature_names,
    is_booster,
    is_native_file,
    read_native_model,
)
from workbench.models.task import check_task
from workbench.models.wrap_arguments import check_max_rows, resolve_device
from workbench.models.wrapping import build_adapter

_TORCHSCRIPT_SUFFIXES = (".pt", ".pth", ".ts")
PICKLE_SUFFIXES = (".joblib", ".pkl")


def load_model_file(
    path: str | Path,
    task: str = "auto",
    *,
    y: object = None,
    output: str | None = None,
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    device: str | torch.device = "auto",
    n_classes: int | None = None,
    max_rows_per_call: int | None = 65536,
    trust_pickle: bool = False,
    feature_names: list[str] | None = None,
) -> ModelAdapter:
    """Load a saved model and wrap it (see :func:`wrap_model`).

    Warning: ``.joblib`` and ``.pkl`` files are pickles, and loading a pickle runs code
    chosen by whoever wrote the file: they are refused unless ``trust_pickle=True``.

    Parameters
    ----------
    path : str or Path
        ``.pt`` / ``.pth`` / ``.ts``: TorchScript (``torch.jit.script(m).save(path)``);
        ``.pt2``: a ``torch.export`` archive (``torch.export.save``) exported with a dynamic
        batch dimension; ``.json`` / ``.ubj``: an xgboost model (``booster.save_model``);
        ``.txt``: a lightgbm text model (``booster.save_model``); ``.joblib`` / ``.pkl``: a
        scikit-learn object (``joblib.dump``).
    task, y, output, loss, device, n_classes, max_rows_per_call
        As for :func:`wrap_model`. A tree file's objective gives its task and output.
    trust_pickle : bool
        Load a ``.joblib`` / ``.pkl`` file. Only for files you created or trust.
    feature_names : list of str or None
        The columns of the data the model will see. An xgboost/lightgbm file records the
        features it was trained on: a one-line DataError names the missing and extra ones.

    Returns
    -------
    ModelAdapter

    Examples
    --------
    >>> adapter = load_model_file("model.pt2", device="cpu")  # doctest: +SKIP
    """
    check_task(task)
    check_pickle_trusted(path, trust_pickle)
    resolved_device = resolve_device(device)
    max_rows_per_call = check_max_rows(max_rows_per_call)
    model, n_features = _read_model(Path(path), resolved_device)
    if feature_names is not None and is_booster(model):
        info = booster_info(model)
        what = f"model file {Path(path).name!r}"
        check_feature_names(info.feature_names, info.n_features, feature_names, what)
    return build_adapter(
        model,
        task,
        output=output,
        loss=loss,
        device=resolved_device,
        n_classes=n_classes,
        max_rows_per_call=max_rows_per_call,
        copy_module=False,  # the loaded object is ours alone
        n_features=n_features,
        y=y,
    )


def is_pickle_file(path: str | Path) -> bool:
    """Whether ``path`` names a joblib/pickle file (by its extension), which runs code on load."""
    return Path(path).suffix.lower() in PICKLE_SUFFIXES


def check_pickle_trusted(path: str | Path, trusted: bool) -> None:
    """A one-line ModelError for a pickle file the caller has not said it trusts.

    Raised before the file is opened, so nothing in it runs.
    """
    if is_pickle_file(path) and trusted is not True:
        raise ModelError(
            f"model file {Path(path).name!r} is a pickle, and loading one runs code its author "
            "chose; load it only if you created or trust it: --trust-pickle on the command line, "
            'trust_pickle=True in Python, "trusted": true for a workspace model'
        )


def _read_model(path: Path, device: torch.device) -> tuple[object, int | None]:
    """The object saved in ``path`` and its input width when the file records it."""
    if not path.is_file():
        raise ModelError(f"model file not found: {str(path)!r}")
    suffix = path.suffix.lower()
    if suffix in _TORCHSCRIPT_SUFFIXES:
        return _load_torchscript(path, device), None
    if suffix == ".pt2":
        return _load_exported(path, device)
    if suffix in PICKLE_SUFFIXES:
        return _read_file(path, joblib.load), None
    if is_native_file(path):
        return read_native_model(path), None
    known = ", ".join((*_TORCHSCRIPT_SUFFIXES, ".pt2", *NATIVE_SUFFIXES, *PICKLE_SUFFIXES))
    raise ModelError(f"model file {path.name!r} has an unknown extension; expected {known}")


def _load_torchscript(path: Path, device: torch.device) -> torch.nn.Module:
    def load(file: Path) -> torch.nn.Module:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.load(str(file), map_location=device)

    return _read_file(path, load, hint="save it with torch.jit.script(model).save(path)")


def _load_exported(path: Path, device: torch.device) -> tuple[torch.nn.Module, int | None]:
    program = _read_file(path, torch.export.load, hint="save it with torch.export.save")
    program = move_to_device_pass(program, device)
    shape = _first_input_shape(program)
    if shape and isinstance(shape[0], int):
        raise ModelError(
            f"{path.name} was exported for exactly {shape[0]} rows; export with "
            "dynamic_shapes=({0: torch.export.Dim('rows')},) so any number of rows works"
        )
    width = shape[1] if len(shape) == 2 and isinstance(shape[1], int) else None
    return program.module(), width


def _first_input_shape(program: torch.export.ExportedProgram) -> tuple:
    """Shape of the first user input; an int per static dimension, a SymInt per dynamic one."""
    names = program.graph_signature.user_inputs
    for node in program.graph.nodes:
        if names and node.op == "placeholder" and node.name == names[0]:
            value = node.meta.get("val")
            return tuple(value.shape) if isinstance(value, torch.Tensor) else ()
    return ()


def _read_file(path: Path, reader: Callable[[Path], object], hint: str = "") -> object:
    try:
        return reader(path)
    except Exception as error:
        advice = f"; {hint}" if hint else ""
        raise ModelError(
            f"could not load {path.name}: {type(error).__name__}: {error_summary(error)}{advice}"
        ) from None
