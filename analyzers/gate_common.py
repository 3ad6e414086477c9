"""What the gate analyses share: the model as an adapter with its sites, and row samples."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from workbench.errors import ModelError
from workbench.models import ModelAdapter, wrap_model

__all__ = ["as_ctr_adapter", "chosen_sites", "sample_rows"]


def as_ctr_adapter(model, device: str = "auto") -> tuple[ModelAdapter, torch.nn.Module]:
    """(adapter, the adapter's own CtrModel) for a CtrModel or an adapter wrapping one."""
    if isinstance(model, ModelAdapter):
        adapter = model
    elif isinstance(model, torch.nn.Module):
        adapter = wrap_model(model, task="classification", output="logit", device=device)
    else:
        raise ModelError(f"model must be a zoo CtrModel or its adapter, got {type(model).__name__}")
    module = adapter.module
    if module is None or not hasattr(module, "gate_sites"):
        raise ModelError("model has no gate sites; gate analyses need a workbench.zoo model")
    return adapter, module


def chosen_sites(module, sites: Sequence[str] | None):
    if sites is None:
        return list(module.gate_sites())
    return [module.site(name) for name in sites]


def sample_rows(n_rows: int, rows: int, random_state: int) -> np.ndarray:
    """Sorted positions of a seeded sample of ``rows`` rows (all rows when fewer)."""
    if rows >= n_rows:
        return np.arange(n_rows)
    generator = np.random.default_rng(random_state)
    return np.sort(generator.choice(n_rows, size=rows, replace=False))
