"""Model outputs under many operation overrides at once (OptInter's per-pair switch).

A model with an ``operation_override`` switch (``workbench.zoo.optinter.OptInter``) replaces a
field pair's interaction operation in its forward pass when the override says so. ``outputs``
evaluates k overrides in shared forward passes: the rows are tiled k times and copy j of the
rows carries override j row by row, so k switches cost about one pass over k·rows instead of k
Python-level passes.
"""

from __future__ import annotations

import torch

from workbench.errors import ModelError, ParameterError
from workbench.kernels.batching import estimate_bytes_per_row, resolve_batch_rows

__all__ = ["OperationSwitchKernel"]


class OperationSwitchKernel:
    """Batched outputs of a switchable model under several operation overrides.

    Parameters
    ----------
    adapter : ModelAdapter
        Wraps a torch module with ``operation_override`` and ``check_override``.
    X : Tensor
        (rows, features) model inputs.
    max_batch_rows : int or None
        Model rows per forward pass (tiled copies count); None sizes it from the device.

    Example
    -------
    >>> kernel = OperationSwitchKernel(adapter, data.X)
    >>> kernel.outputs(torch.tensor([[-1, 2, -1], [0, -1, -1]])).shape  # (overrides, rows)
    """

    def __init__(self, adapter, X: torch.Tensor, *, max_batch_rows: int | None = None) -> None:
        module = adapter.module
        if module is None or not hasattr(module, "operation_override"):
            raise ModelError(
                "operation switches need a model with an operation_override (OptInter)"
            )
        if X.ndim != 2:
            raise ParameterError(f"X must be (rows, features), got shape {tuple(X.shape)}")
        self.adapter = adapter
        self.X = X.to(adapter.device, adapter.dtype)  # (rows, features)
        self.n_rows = X.shape[0]
        self.batch_rows = resolve_batch_rows(
            max_batch_rows, adapter.device, estimate_bytes_per_row(module, X.shape[1]), None
        )
        self.forward_passes = 0

    def outputs(self, overrides: torch.Tensor) -> torch.Tensor:
        """(overrides, rows) outputs on the CPU, override j alone applied to every row.

        Parameters
        ----------
        overrides : Tensor
            (k, pairs) long: -1 (as the model runs) or an operation index per pair.
        """
        module = self.adapter.module
        overrides = module.check_override(overrides)
        if overrides.ndim != 2:
            raise ParameterError("overrides must be (k, pairs), one override per row")
        k = overrides.shape[0]
        result = torch.empty((k, self.n_rows), dtype=torch.float32)
        if self.n_rows <= self.batch_rows:
            per_pass = max(1, self.batch_rows // self.n_rows)
            for start in range(0, k, per_pass):
                chosen = overrides[start : start + per_pass]  # (k', pairs)
                out = self._switched(chosen, self.X)
                result[start : start + chosen.shape[0]] = out.view(chosen.shape[0], -1).cpu()
        else:
            for j in range(k):
                parts = [
                    self._switched(overrides[j : j + 1], chunk).cpu()
                    for chunk in self.X.split(self.batch_rows)
                ]
                result[j] = torch.cat(parts)
        return result

    def _switched(self, overrides: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
        """(k·rows,) outputs, copy j of the rows under override j."""
        module, rows = self.adapter.module, X.shape[0]
        per_row = overrides.to(self.adapter.device).repeat_interleave(rows, dim=0)  # (k·rows, P)
        previous = module.operation_override
        module.operation_override = per_row
        try:
            out = self.adapter.forward(X.repeat(overrides.shape[0], 1))
        finally:
            module.operation_override = previous
        self.forward_passes += 1
        return out
