"""task="auto": whether a model is a classifier or a regressor, from its labels or itself.

The rule, first match wins:

1. a scikit-learn estimator: its own type (``is_classifier`` / ``is_regressor``);
2. labels ``y`` given: classification when every value is an integer and there are at most
   ``MAX_LABEL_CLASSES`` distinct values (0/1, class codes), regression otherwise;
3. ``loss="mse"``: regression; ``loss="log_loss"`` or ``"cross_entropy"``: classification (a
   loss asked for by name says what the labels are; a 0/1 target under MSE stays regression);
   ``output="value"``: regression; ``output="probability"`` or ``"logit"``: classification;
4. a torch module whose output on a probe batch has several columns: classification with one
   class per column;
5. otherwise (a one-output torch module, a callable): classification, the common case. The
   loss's label check then stops a continuous target with a one-line error that says to pass
   ``task="regression"``, so a regression model never runs under log-loss silently.

A classifier never runs under MSE either: ``workbench.losses`` stops ``task="regression"`` with
a probability or logit output, and ``loss="mse"`` with ``task="classification"``.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, is_classifier, is_regressor

from workbench.errors import DataError, ParameterError

TASKS = ("classification", "regression")
TASK_CHOICES = ("auto", *TASKS)
# More distinct integer values than this read as a count or a score, not class labels.
MAX_LABEL_CLASSES = 10


def check_task(task: object) -> None:
    if task not in TASK_CHOICES:
        raise ParameterError(f"task must be 'auto', 'classification' or 'regression', got {task!r}")


def task_from_labels(y: object) -> str:
    """ "classification" for integer labels with few distinct values, "regression" otherwise.

    Parameters
    ----------
    y : array-like or Tensor
        (rows,) target values.

    Returns
    -------
    str

    Examples
    --------
    >>> task_from_labels([0, 1, 1, 0]), task_from_labels([0.3, 1.7, 2.2])
    ('classification', 'regression')
    """
    values = labels_as_array(y)
    distinct = np.unique(values)
    if distinct.size <= MAX_LABEL_CLASSES and np.all(distinct == np.round(distinct)):
        return "classification"
    return "regression"


def labels_as_array(y: object) -> np.ndarray:
    """(rows,) float64 finite labels, or a DataError naming ``y``."""
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    try:
        values = np.asarray(y, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise DataError(f"y must be numeric labels or values, got {type(y).__name__}") from None
    if values.size == 0 or not np.isfinite(values).all():
        raise DataError("y must be non-empty and finite (no NaN or infinite values)")
    return values


def inferred_task(
    model: object,
    y: object,
    output: str | None,
    probe_width: int | None,
    loss: object = None,
) -> tuple[str, int | None]:
    """The task under ``task="auto"`` (see the module docstring), and the class count the
    probe found (None when it did not decide)."""
    if isinstance(model, BaseEstimator):
        if is_classifier(model):
            return "classification", None
        if is_regressor(model):
            return "regression", None
    if loss == "mse":
        return "regression", None
    if loss in ("log_loss", "cross_entropy"):
        return "classification", None
    if y is not None:
        return task_from_labels(y), None
    if output is not None:
        return ("regression" if output == "value" else "classification"), None
    if probe_width is not None and probe_width > 1:
        return "classification", probe_width
    return "classification", None


def probe_width(
    module: torch.nn.Module, n_features: int | None, device: torch.device
) -> int | None:
    """Output columns of a prepared (eval-mode) torch module on two zero rows; None when the
    input width is unknown or the module does not run on zeros."""
    if n_features is None:
        return None
    try:
        with torch.no_grad():
            outputs = module(torch.zeros((2, n_features), device=device))
    except Exception:  # any failure leaves the decision to the default; forward reports it
        return None
    if not isinstance(outputs, torch.Tensor) or outputs.ndim != 2:
        return None if not isinstance(outputs, torch.Tensor) or outputs.ndim != 1 else 1
    return int(outputs.shape[1])
