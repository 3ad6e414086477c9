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

from workbench.errors import ParameterError

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
        """Per-row label statistics, float64, shape (rows, n_stats)."""
        y = y.to(torch.float64)
        if self.name == "log_loss":
            return torch.stack([1.0 - y, y], dim=-1)
        if self.name == "mse":
            return torch.stack([torch.ones_like(y), y, y * y], dim=-1)
        if self.name == "cross_entropy":
            return torch.nn.functional.one_hot(y.long(), self.n_stats).to(torch.float64)
        return y.unsqueeze(-1)

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
        return torch.as_tensor(value, dtype=torch.float64, device=out.device).unsqueeze(-1)

    def per_row(self, outputs: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Plain per-row loss (rows,), float64: the reference the regrouped form must equal."""
        if not self.compressible:
            return self.basis(outputs, y.to(outputs.device)).squeeze(-1)
        stats = self.label_stats(y).to(outputs.device)
        return (self.basis(outputs) * stats).sum(-1)


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
