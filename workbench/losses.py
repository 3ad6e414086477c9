"""Losses expressed so that duplicate rows can be evaluated once.

A loss here is a sum over rows of ``loss(output_r, y_r)``. For the built-in losses that sum
can be regrouped by distinct model input: for log-loss only the count of each label among the
rows that share an input matters, for squared error only (count, Σy, Σy²). So each loss
declares per-row *label statistics* (summable) and a *basis*: per-output partial losses whose
dot product with the statistics gives the summed loss of every row that shares the output.

    total loss of rows sharing output o  =  basis(o) · Σ_rows label_stats(y_r)

The kernels rely on this to evaluate each distinct (perturbed) input once. A user-supplied
callable loss has no such structure: it is marked ``compressible=False`` and the kernels keep
one label per evaluated row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from workbench.errors import DataError, ParameterError

OUTPUT_KINDS = ("probability", "logit", "value")
# Probabilities are clipped away from 0 and 1 before the log (scikit-learn clips at the dtype's
# eps); only models that output exact 0/1 probabilities see the difference.
_PROBABILITY_FLOOR = 1e-15


@dataclass(frozen=True)
class Loss:
    """A loss that the kernels can evaluate on distinct inputs.

    Parameters
    ----------
    name : str
        Short name shown in results ("log_loss", "mse", "cross_entropy" or the callable's name).
    output_kind : str
        What the model returns: "probability", "logit" or "value".
    n_stats : int
        Number of label statistics per row.
    compressible : bool
        Whether rows with equal inputs can share one evaluation (False for callables).
    """

    name: str
    output_kind: str
    n_stats: int
    compressible: bool = True
    function: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None

    def label_stats(self, y: torch.Tensor) -> torch.Tensor:
        """Per-row label statistics, float64, shape (rows, n_stats).

        Every kernel and analysis that meets labels with this loss goes through here, so the
        labels are checked here (``check_labels``).
        """
        y = y.to(torch.float64)
        self.check_labels(y)
        if self.name == "log_loss":
            return torch.stack([1.0 - y, y], dim=-1)
        if self.name == "mse":
            return torch.stack([torch.ones_like(y), y, y * y], dim=-1)
        if self.name == "cross_entropy":
            return torch.nn.functional.one_hot(y.long(), self.n_stats).to(torch.float64)
        return y.unsqueeze(-1)

    def check_labels(self, y: torch.Tensor) -> None:
        """Raise a one-line DataError when ``y`` cannot be the labels of this loss.

        Log-loss needs 0/1 labels and cross-entropy class codes 0..C-1 (C the model's
        classes); a target coded 1/2 or -1/+1, continuous values, or more classes than the
        model predicts would otherwise give a finite but meaningless loss.
        """
        if self.name not in ("log_loss", "cross_entropy"):
            if not torch.isfinite(y).all():
                raise DataError("y (the target) holds NaN or infinite values")
            return
        n_classes = 2 if self.name == "log_loss" else self.n_stats
        y = y.to(torch.float64)
        bad = ~torch.isfinite(y) | (y != y.round()) | (y < 0) | (y >= n_classes)
        if not bool(bad.any()):
            return
        raise DataError(_label_message(self.name, y, n_classes))

    def basis(self, outputs: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Partial losses per output, float64, shape (*outputs.shape[:k], n_stats).

        ``outputs`` has shape (..., ) for one-output models and (..., classes) for
        cross-entropy. ``labels`` (same leading shape) is only used by callable losses.
        """
        out = outputs.to(torch.float64)
        if self.name == "log_loss":
            if self.output_kind == "logit":
                return torch.stack(
                    [-torch.nn.functional.logsigmoid(-out), -torch.nn.functional.logsigmoid(out)],
                    dim=-1,
                )
            p = out.clamp(_PROBABILITY_FLOOR, 1.0 - _PROBABILITY_FLOOR)
            return torch.stack([-torch.log1p(-p), -torch.log(p)], dim=-1)
        if self.name == "mse":
            return torch.stack([out * out, -2.0 * out, torch.ones_like(out)], dim=-1)
        if self.name == "cross_entropy":
            if self.output_kind == "logit":
                return -torch.log_softmax(out, dim=-1)
            return -torch.log(out.clamp_min(_PROBABILITY_FLOOR))
        if labels is None:
            raise ParameterError(f"loss {self.name!r} needs the labels of the evaluated rows")
        value = self.function(labels, out)  # type: ignore[misc]
        value = torch.as_tensor(value, dtype=torch.float64, device=out.device)
        _check_callable_value(self.name, value, tuple(labels.shape))
        return value.unsqueeze(-1)

    def per_row(self, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Plain per-row loss (rows,), float64: the reference the regrouped form must equal."""
        if not self.compressible:
            return self.basis(outputs, y.to(outputs.device)).squeeze(-1)
        stats = self.label_stats(y).to(outputs.device)
        return (self.basis(outputs) * stats).sum(-1)


def _label_message(name: str, y: torch.Tensor, n_classes: int) -> str:
    """Why ``y`` cannot be the labels of log-loss / cross-entropy, in one line."""
    values = torch.unique(y[torch.isfinite(y)]).cpu()
    shown = ", ".join(f"{v:g}" for v in values[:6].tolist()) + (", ..." if len(values) > 6 else "")
    wanted = "0/1 labels" if n_classes == 2 else f"class codes 0..{n_classes - 1}"
    if not torch.isfinite(y).all():
        return f"y (the target) holds NaN or infinite values; {name} needs {wanted}"
    if (values != values.round()).any() or len(values) > 10:
        return (
            f"y (the target) holds continuous values ({shown}) but the loss is {name}, which "
            f"needs {wanted}; for a numeric target wrap the model with task='regression'"
        )
    if n_classes == 2 and len(values) == 2:
        return (
            f"y (the target) is coded {shown}; log_loss needs 0/1 labels: recode it "
            "(e.g. y == positive class)"
        )
    if n_classes == 2:
        return (
            f"y (the target) has labels {shown} but the model is binary (one output, "
            "n_classes=2); wrap a model with one output per class and n_classes set"
        )
    return (
        f"y (the target) has labels {shown} but the model predicts {n_classes} classes ({wanted})"
    )


def _check_callable_value(name: str, value: torch.Tensor, shape: tuple[int, ...]) -> None:
    if tuple(value.shape) != shape:
        raise ParameterError(
            f"loss: the callable {name!r} returned shape {tuple(value.shape)} for labels of "
            f"shape {shape}; it must return one loss per row"
        )
    finite = torch.isfinite(value)
    if not bool(finite.all()):
        raise ParameterError(
            f"loss: the callable {name!r} returned NaN or infinite values for "
            f"{int((~finite).sum())} of {finite.numel()} rows"
        )


def _check_task_fits(loss: object, task: str, output_kind: str) -> None:
    """The reverse of the label check: a regression loss must not meet a classifier.

    Squared error on class probabilities or logits against class labels is finite but is
    not the loss the classifier was fitted on (and on logits not even on the labels' scale),
    so a classifier wrapped as a regressor, or given loss="mse", stops here. MSE on a
    regressor whose targets happen to be 0/1 (output="value") is legitimate and passes.
    """
    if task == "regression" and output_kind != "value":
        raise ParameterError(
            f"task='regression' but output={output_kind!r} is a classifier's output; wrap a "
            "classifier with task='classification', a regressor with output='value'"
        )
    if task == "classification" and loss == "mse":
        raise ParameterError(
            "loss='mse' is a regression loss but task='classification' (class labels); use "
            "loss='log_loss' (the default) for a classifier, task='regression' for a regressor, "
            "or a callable loss for a score such as Brier's"
        )


def resolve_loss(
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None,
    *,
    task: str,
    output_kind: str,
    n_classes: int = 2,
) -> Loss:
    """The loss matching a task and output kind, or a user's callable.

    Parameters
    ----------
    loss : None, "log_loss", "mse", "cross_entropy" or callable
        None picks log-loss for binary classification, cross-entropy for more classes and
        MSE for regression. A callable gets ``(y_true, y_pred)`` tensors of shape (rows,) and
        returns the per-row loss (rows,); it must be a loss (lower is better), not a score.
    task : "classification" or "regression"
    output_kind : "probability", "logit" or "value"
    n_classes : int
        Number of classes for classification.

    Returns
    -------
    Loss

    Examples
    --------
    >>> resolve_loss(None, task="classification", output_kind="logit").name
    'log_loss'
    """
    if output_kind not in OUTPUT_KINDS:
        raise ParameterError(f"output must be one of {OUTPUT_KINDS}, got {output_kind!r}")
    _check_task_fits(loss, task, output_kind)
    if callable(loss):
        name = getattr(loss, "__name__", "custom_loss")
        return Loss(name, output_kind, 1, compressible=False, function=loss)
    if loss is None:
        if task == "regression":
            loss = "mse"
        else:
            loss = "log_loss" if n_classes <= 2 else "cross_entropy"
    if loss == "log_loss" and n_classes > 2:
        loss = "cross_entropy"
    if loss == "cross_entropy" and n_classes <= 2:
        loss = "log_loss"  # a binary model has one output column, not one per class
    if loss in ("log_loss", "cross_entropy"):
        if output_kind == "value":
            raise ParameterError(
                f"loss={loss!r} needs output='probability' or 'logit', got output='value'"
            )
        return Loss(loss, output_kind, 2 if loss == "log_loss" else n_classes)
    if loss == "mse":
        return Loss("mse", output_kind, 3)
    raise ParameterError(
        f"loss must be 'log_loss', 'mse', 'cross_entropy' or a callable, got {loss!r}"
    )
