"""How a wrapped model runs (``Runner``): a torch module on the device, or a function on the CPU
(a scikit-learn estimator, an xgboost/lightgbm Booster, a callable), with its default output and
number of classes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.base import BaseEstimator

from workbench.errors import ParameterError
from workbench.models.boosters import (
    booster_digest,
    booster_info,
    booster_predict,
    check_booster_task,
)
from workbench.models.sklearn_estimators import (
    check_sklearn_task,
    estimator_digest,
    sklearn_class_count,
    sklearn_cpu_function,
)
from workbench.models.wrap_arguments import resolve_n_classes
from workbench.sklearn_convert import to_torch_module


@dataclass(frozen=True)
class Runner:
    """How a wrapped model runs: a torch module on the device, or a function on the CPU."""

    module: torch.nn.Module | None
    cpu_function: Callable[[np.ndarray], object] | None
    source_digest: str | None  # None: hash the module; "callable": cannot be hashed
    default_output: str
    n_classes: int
    n_features: int | None


def torch_runner(
    module: torch.nn.Module, task: str, n_classes: int | None, n_features: int | None
) -> Runner:
    return Runner(
        module=module,
        cpu_function=None,
        source_digest=None,
        default_output="logit" if task == "classification" else "value",
        n_classes=resolve_n_classes(task, n_classes, known=None),
        n_features=n_features,
    )


def estimator_runner(
    model: BaseEstimator,
    task: str,
    device: torch.device,
    n_classes: int | None,
    output: str | None,
) -> Runner:
    check_sklearn_task(model, task)
    resolved_classes = resolve_n_classes(task, n_classes, known=sklearn_class_count(model, task))
    converted = to_torch_module(model)
    if converted is not None:
        module, cpu_function = converted.to(device), None
        default_output = "logit" if task == "classification" else "value"
    else:
        module, cpu_function = None, sklearn_cpu_function(copy.deepcopy(model), task)
        default_output = "probability" if task == "classification" else "value"
    if output is not None and output != default_output:
        raise ParameterError(
            f"output={output!r} does not match {type(model).__name__}, whose adapter "
            f"returns {default_output!r}; leave output=None"
        )
    return Runner(
        module=module,
        cpu_function=cpu_function,
        source_digest=estimator_digest(model),
        default_output=default_output,
        n_classes=resolved_classes,
        n_features=getattr(model, "n_features_in_", None),
    )


def booster_runner(
    model: object, task: str, n_classes: int | None, output: str | None
) -> tuple[Runner, str]:
    """An xgboost/lightgbm Booster run on the CPU, in the output its objective gives."""
    info = booster_info(model)
    task = check_booster_task(info, task)
    if output is not None and output != info.output_kind:
        raise ParameterError(
            f"output={output!r} does not match the {info.library} model, whose objective "
            f"gives {info.output_kind!r}; leave output=None"
        )
    runner = Runner(
        module=None,
        cpu_function=booster_predict(model, info),
        source_digest=booster_digest(model),
        default_output=info.output_kind,
        n_classes=resolve_n_classes(
            task, n_classes, known=info.n_classes if task == "classification" else None
        ),
        n_features=info.n_features,
    )
    return runner, task


def callable_runner(model: Callable, task: str, n_classes: int | None) -> Runner:
    return Runner(
        module=None,
        cpu_function=model,
        source_digest="callable",
        default_output="probability" if task == "classification" else "value",
        n_classes=resolve_n_classes(task, n_classes, known=None),
        n_features=None,
    )
