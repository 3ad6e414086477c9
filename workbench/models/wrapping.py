"""wrap_model: pick how a model runs (torch module, converted or CPU estimator, callable).

A torch module runs as given (on a private copy); a scikit-learn estimator whose maths is
simple becomes a torch module (``workbench.sklearn_convert``), any other runs on the CPU; a
callable runs on the CPU (``workbench.models.runners``). The arguments every wrapper shares
(task, device, n_classes, max_rows_per_call) are checked with messages that name the argument
(``workbench.models.wrap_arguments``).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable

import torch
from sklearn.base import BaseEstimator

from workbench.errors import ModelError, ParameterError
from workbench.losses import OUTPUT_KINDS, resolve_loss
from workbench.models.adapter import ModelAdapter
from workbench.models.boosters import is_booster
from workbench.models.runners import (
    booster_runner,
    callable_runner,
    estimator_runner,
    torch_runner,
)
from workbench.models.task import TASKS, check_task, inferred_task, probe_width
from workbench.models.wrap_arguments import check_max_rows, resolve_device

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
        runner = torch_runner(module, task, n_classes, n_features)
    elif is_booster(model):
        runner, task = booster_runner(model, task, n_classes, output)
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
        runner = estimator_runner(model, task, device, n_classes, output)
    elif callable(model):
        runner = callable_runner(model, task, n_classes)
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
