"""wrap_model: pick how a model runs (torch module, converted or CPU estimator, callable).

A torch module runs as given (on a private copy); a scikit-learn estimator whose maths is
simple becomes a torch module (``workbench.sklearn_convert``), any other runs on the CPU; a
callable runs on the CPU. The arguments every wrapper shares (task, device, n_classes,
max_rows_per_call) are checked here, with messages that name the argument.
"""

from __future__ import annotations

import copy
import numbers
import pickle
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import joblib
import numpy as np
import torch
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from workbench.errors import ModelError, ParameterError
from workbench.losses import OUTPUT_KINDS, resolve_loss
from workbench.models.adapter import ModelAdapter
from workbench.models.boosters import (
    booster_digest,
    booster_info,
    booster_predict,
    check_booster_task,
    is_booster,
)
from workbench.models.task import TASKS, check_task, inferred_task, probe_width
from workbench.sklearn_convert import to_torch_module

__all__ = ["TASKS", "build_adapter", "check_task", "resolve_device", "wrap_model"]


def wrap_model(
    model: object,
    task: str = "auto",
    *,
    y: object = None,
    output: str | None = None,
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    device: str | torch.device = "auto",
    n_classes: int | None = None,
    max_rows_per_call: int | None = 65536,
) -> ModelAdapter:
    """Wrap a torch module, a fitted scikit-learn estimator or a callable as a ModelAdapter.

    Parameters
    ----------
    model : torch.nn.Module, fitted scikit-learn estimator, Booster or callable
        A torch module is deep-copied (yours is left untouched), put in eval mode and moved to
        ``device``; it must accept float32 (rows, features). MLP, linear and logistic models
        (also behind StandardScaler / MinMaxScaler in a Pipeline) become torch modules that
        return logits or values; other estimators run on the CPU with ``predict_proba``
        (classification) or ``predict`` (regression), as do xgboost and lightgbm models
        (their scikit-learn wrappers or Boosters; a Booster's objective gives its task and
        output). A callable gets float32 numpy
        (rows, features) and returns (rows,) or (rows, classes).
    task : "auto", "classification" or "regression"
        "auto" infers it: a scikit-learn estimator by its type; else ``loss`` by name ("mse":
        regression, "log_loss"/"cross_entropy": classification); else from ``y`` when given
        (integer labels with at most 10 distinct values: classification); else ``output``
        ("value": regression); else a torch module with several output columns is a
        classifier with one class per column; else classification (see
        ``workbench.models.task``).
    y : array-like, Tensor or None
        The labels the model will be explained on; used only to infer ``task``.
    output : "probability", "logit", "value" or None
        What the model returns. None: "logit" for torch classifiers, "probability" for
        callables and CPU estimators, "value" for regression.
    loss : None, "log_loss", "mse", "cross_entropy" or callable
        See :func:`workbench.losses.resolve_loss`; None picks the default for the task.
    device : "auto", "cpu", "cuda", "cuda:N", "mps" or torch.device
        "auto" picks "cuda" when available.
    n_classes : int or None
        Number of classes; read from scikit-learn classifiers, else 2 unless given.
    max_rows_per_call : int or None
        Most rows handed to a CPU model at once (None: no limit).

    Returns
    -------
    ModelAdapter

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> clf = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> adapter = wrap_model(clf, device="cpu")
    >>> adapter.output_kind, adapter.loss.name
    ('logit', 'log_loss')
    """
    check_task(task)
    return build_adapter(
        model,
        task,
        y=y,
        output=output,
        loss=loss,
        device=resolve_device(device),
        n_classes=n_classes,
        max_rows_per_call=check_max_rows(max_rows_per_call),
        copy_module=True,
    )


@dataclass(frozen=True)
class _Runner:
    """How a wrapped model runs: a torch module on the device, or a function on the CPU."""

    module: torch.nn.Module | None
    cpu_function: Callable[[np.ndarray], object] | None
    source_digest: str | None  # None: hash the module; "callable": cannot be hashed
    default_output: str
    n_classes: int
    n_features: int | None


def build_adapter(
    model: object,
    task: str,
    *,
    output: str | None,
    loss: object,
    device: torch.device,
    n_classes: int | None,
    max_rows_per_call: int | None,
    copy_module: bool,
    n_features: int | None = None,
    y: object = None,
) -> ModelAdapter:
    """The adapter of ``model`` once the shared arguments are checked (task, device, rows)."""
    if output is not None and output not in OUTPUT_KINDS:
        raise ParameterError(f"output must be one of {OUTPUT_KINDS} or None, got {output!r}")
    if isinstance(model, torch.nn.Module):
        module = _prepared_module(model, device, copy_module)
        # A module that states its input width (an input adapter such as DictInputs) is taken
        # at its word; otherwise the first Linear layer's width is a guess worth checking.
        n_features = n_features or getattr(module, "n_features_in", None)
        n_features = n_features or _first_linear_width(module)
        if task == "auto":
            width = probe_width(module, n_features, device)
            task, probed_classes = inferred_task(module, y, output, width, loss)
            if n_classes is None and probed_classes is not None:
                n_classes = probed_classes
        runner = _torch_runner(module, task, n_classes, n_features)
    elif is_booster(model):
        runner, task = _booster_runner(model, task, n_classes, output)
    elif task == "auto":
        task = inferred_task(model, y, output, None, loss)[0]
        return build_adapter(
            model,
            task,
            output=output,
            loss=loss,
            device=device,
            n_classes=n_classes,
            max_rows_per_call=max_rows_per_call,
            copy_module=copy_module,
            n_features=n_features,
        )
    elif isinstance(model, BaseEstimator):
        runner = _estimator_runner(model, task, device, n_classes, output)
    elif callable(model):
        runner = _callable_runner(model, task, n_classes)
    else:
        raise ModelError(
            "model must be a torch.nn.Module, a fitted scikit-learn estimator, an xgboost or "
            "lightgbm model or a callable, "
            f"got {type(model).__name__} (for another library's model pass its predict_proba "
            "or predict method)"
        )
    output_kind = output or runner.default_output
    unhashable = runner.source_digest == "callable" or callable(loss)
    if loss == "cross_entropy" and runner.n_classes == 2:
        loss = "log_loss"  # the same maths, in the one-output form a binary adapter returns
    return ModelAdapter(
        task=task,
        output_kind=output_kind,
        loss=resolve_loss(loss, task=task, output_kind=output_kind, n_classes=runner.n_classes),
        n_classes=runner.n_classes,
        device=device,
        module=runner.module,
        max_rows_per_call=max_rows_per_call,
        n_features=runner.n_features,
        _cpu_function=runner.cpu_function,
        _source_digest=runner.source_digest,
        _unhashable_token=uuid.uuid4().hex if unhashable else "",
    )


def _torch_runner(
    module: torch.nn.Module, task: str, n_classes: int | None, n_features: int | None
) -> _Runner:
    return _Runner(
        module=module,
        cpu_function=None,
        source_digest=None,
        default_output="logit" if task == "classification" else "value",
        n_classes=_resolve_n_classes(task, n_classes, known=None),
        n_features=n_features,
    )


def _estimator_runner(
    model: BaseEstimator,
    task: str,
    device: torch.device,
    n_classes: int | None,
    output: str | None,
) -> _Runner:
    _check_sklearn_task(model, task)
    resolved_classes = _resolve_n_classes(task, n_classes, known=_sklearn_class_count(model, task))
    converted = to_torch_module(model)
    if converted is not None:
        module, cpu_function = converted.to(device), None
        default_output = "logit" if task == "classification" else "value"
    else:
        module, cpu_function = None, _sklearn_cpu_function(copy.deepcopy(model), task)
        default_output = "probability" if task == "classification" else "value"
    if output is not None and output != default_output:
        raise ParameterError(
            f"output={output!r} does not match {type(model).__name__}, whose adapter "
            f"returns {default_output!r}; leave output=None"
        )
    return _Runner(
        module=module,
        cpu_function=cpu_function,
        source_digest=_estimator_digest(model),
        default_output=default_output,
        n_classes=resolved_classes,
        n_features=getattr(model, "n_features_in_", None),
    )


def _booster_runner(
    model: object, task: str, n_classes: int | None, output: str | None
) -> tuple[_Runner, str]:
    """An xgboost/lightgbm Booster run on the CPU, in the output its objective gives."""
    info = booster_info(model)
    task = check_booster_task(info, task)
    if output is not None and output != info.output_kind:
        raise ParameterError(
            f"output={output!r} does not match the {info.library} model, whose objective "
            f"gives {info.output_kind!r}; leave output=None"
        )
    runner = _Runner(
        module=None,
        cpu_function=booster_predict(model, info),
        source_digest=booster_digest(model),
        default_output=info.output_kind,
        n_classes=_resolve_n_classes(
            task, n_classes, known=info.n_classes if task == "classification" else None
        ),
        n_features=info.n_features,
    )
    return runner, task


def _callable_runner(model: Callable, task: str, n_classes: int | None) -> _Runner:
    return _Runner(
        module=None,
        cpu_function=model,
        source_digest="callable",
        default_output="probability" if task == "classification" else "value",
        n_classes=_resolve_n_classes(task, n_classes, known=None),
        n_features=None,
    )


def check_max_rows(max_rows_per_call: object) -> int | None:
    if max_rows_per_call is None:
        return None
    if (
        isinstance(max_rows_per_call, bool)
        or not isinstance(max_rows_per_call, numbers.Integral)
        or max_rows_per_call < 1
    ):
        raise ParameterError(
            f"max_rows_per_call must be a positive integer or None, got {max_rows_per_call!r}"
        )
    return int(max_rows_per_call)


def resolve_device(device: str | torch.device) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        resolved = None
    if resolved is None or resolved.type not in ("cpu", "cuda", "mps"):
        raise ParameterError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}"
        )
    if resolved.type == "cuda" and (
        not torch.cuda.is_available() or (resolved.index or 0) >= torch.cuda.device_count()
    ):
        raise ParameterError(f"device={device!r} is not available here; use device='auto'")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ParameterError(f"device={device!r} is not available here; use device='auto'")
    return resolved


def _resolve_n_classes(task: str, n_classes: object, *, known: int | None) -> int:
    if task == "regression":
        if n_classes not in (None, 1):
            raise ParameterError(f"n_classes must be None for regression, got {n_classes!r}")
        return 1
    if known is not None and n_classes is not None and n_classes != known:
        raise ParameterError(f"n_classes={n_classes!r} but the model was fitted on {known} classes")
    value = known if known is not None else 2 if n_classes is None else n_classes
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 2:
        raise ParameterError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    return int(value)


def _prepared_module(
    module: torch.nn.Module, device: torch.device, copy_module: bool
) -> torch.nn.Module:
    if copy_module:
        module = copy.deepcopy(module)
    try:
        module.eval()
    except NotImplementedError:
        pass  # torch.export modules keep the mode they were exported in
    return module.to(device)


def _first_linear_width(module: torch.nn.Module) -> int | None:
    """in_features of the first leaf layer holding weights, when that layer is Linear."""
    for layer in module.modules():
        if next(layer.children(), None) is not None or next(layer.parameters(), None) is None:
            continue
        # TorchScript keeps the class name of a scripted Linear in original_name.
        is_linear = isinstance(layer, torch.nn.Linear) or (
            getattr(layer, "original_name", None) == "Linear"
        )
        weight = getattr(layer, "weight", None)
        if not is_linear or isinstance(weight, torch.nn.parameter.UninitializedParameter):
            return None
        return weight.shape[1]  # traced layers keep the weight but not in_features
    return None


def _check_sklearn_task(model: BaseEstimator, task: str) -> None:
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ModelError(
            f"model is not fitted: call {type(model).__name__}.fit(X, y) before wrapping it"
        ) from None
    if task == "classification" and is_regressor(model):
        raise ParameterError(f"{type(model).__name__} is a regressor; use task='regression'")
    if task == "regression" and is_classifier(model):
        raise ParameterError(f"{type(model).__name__} is a classifier; use task='classification'")


def _sklearn_class_count(model: BaseEstimator, task: str) -> int | None:
    if task != "classification":
        return None
    if not hasattr(model, "predict_proba"):
        raise ModelError(
            f"{type(model).__name__} has no predict_proba; wrap a function returning "
            "class probabilities instead"
        )
    classes = getattr(model, "classes_", None)
    if classes is None:
        return None
    if np.ndim(classes) != 1 or len(classes) < 2:
        raise ModelError(f"{type(model).__name__} must be fitted on 2 or more classes, one target")
    return len(classes)


def _sklearn_cpu_function(model: BaseEstimator, task: str) -> Callable[[np.ndarray], object]:
    method = model.predict_proba if task == "classification" else model.predict

    def predict(chunk: np.ndarray) -> object:
        with warnings.catch_warnings():
            # Fitted on a DataFrame, predicting on arrays: the columns are the same.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            return method(chunk)

    return predict


def _estimator_digest(estimator: BaseEstimator) -> str:
    """Hash of an estimator's parameters and fitted arrays.

    A pickle round trip first lays the arrays out the way a model loaded from a file has them
    (a fitted array can be a strided view), so a fitted model and its saved copy hash alike.
    """
    hasher = _PackedHasher(hash_name="md5")
    return "sklearn:" + hasher.hash(pickle.loads(pickle.dumps(estimator)))


class _PackedHasher(joblib.hashing.NumpyHasher):
    """joblib's hash, with structured arrays packed first: the padding bytes of a tree's node
    records are uninitialised memory, so the same trees hashed differently in another process
    (or read back from the sample-model cache) and their stored results were never found."""

    def save(self, obj):
        if isinstance(obj, np.ndarray) and obj.dtype.fields is not None:
            from numpy.lib.recfunctions import repack_fields

            obj = repack_fields(obj)
        super().save(obj)
