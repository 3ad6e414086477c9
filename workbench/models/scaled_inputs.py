"""A model under a fixed input scaling, f_m(x) = f(m ⊙ x): one member of FISC's model class.

The scaled adapter is a real adapter, so every index, kernel and loss runs on it as on any
model. A torch model is wrapped in a module holding the scale as a buffer (its fingerprint then
differs from the reference's); a model run on the CPU gets a function that scales each chunk.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import torch

from workbench.errors import ParameterError
from workbench.models.adapter import ModelAdapter


class ScaledInputs(torch.nn.Module):
    """``reference(scale ⊙ x)``; the reference is shared between members, not copied."""

    def __init__(self, reference: torch.nn.Module, scale: torch.Tensor) -> None:
        super().__init__()
        self.reference = reference
        self.register_buffer("scale", scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.reference(x * self.scale)


def scale_inputs(adapter: ModelAdapter, scale: torch.Tensor | np.ndarray) -> ModelAdapter:
    """The adapter of ``x ↦ adapter(scale ⊙ x)``.

    Parameters
    ----------
    adapter : ModelAdapter
        The reference model.
    scale : tensor or array
        (features,) factor of each input column.

    Returns
    -------
    ModelAdapter
        Same task, loss and device; its fingerprint depends on ``scale``.

    Examples
    --------
    >>> member = scale_inputs(adapter, torch.tensor([1.0, 0.5, 1.0]))
    >>> member.forward(X)  # adapter.forward(X * [1, 0.5, 1])
    """
    column_scale = torch.as_tensor(scale, dtype=torch.float32).detach().cpu().reshape(-1)
    if adapter.n_features is not None and column_scale.numel() != adapter.n_features:
        raise ParameterError(
            f"scale: expected {adapter.n_features} column factors, got {column_scale.numel()}"
        )
    if not torch.isfinite(column_scale).all():
        raise ParameterError("scale contains NaN or infinite values")
    if adapter.module is not None:
        module = ScaledInputs(adapter.module, column_scale.to(adapter.device, adapter.dtype))
        return dataclasses.replace(adapter, module=module, _source_digest=None)
    run, factors = adapter._cpu_function, column_scale.numpy()  # (features,)
    digest = hashlib.sha256(adapter.fingerprint().encode())
    digest.update(factors.tobytes())
    return dataclasses.replace(
        adapter,
        _cpu_function=lambda chunk: run(chunk * factors),
        _source_digest="scaled:" + digest.hexdigest(),
    )
