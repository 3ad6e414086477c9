"""Checks of the arguments every wrapper shares (device, rows per call, number of classes),
with messages that name the argument."""

from __future__ import annotations

import numbers

import torch

from workbench.errors import ParameterError


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


def resolve_n_classes(task: str, n_classes: object, *, known: int | None) -> int:
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
