"""Losses of many dropout members of a torch model in few forward passes.

The explained rows are tiled once per member into one batch (member-major); in "activations"
mode a forward hook on each masked layer multiplies block j of the layer's output by member j's
mask, in "weights" mode ``torch.func.vmap`` over ``functional_call`` runs block j with member
j's masked weights. So K members cost about K·rows / batch budget passes instead of K.
"""

from __future__ import annotations

import dataclasses

import torch

from workbench.errors import ModelError, ParameterError
from workbench.kernels.batching import estimate_bytes_per_row, resolve_batch_rows
from workbench.kernels.dropout_masks import DropoutMasks

__all__ = ["DropoutLossKernel"]


class DropoutLossKernel:
    """Mean losses of dropout members on fixed rows.

    Parameters
    ----------
    adapter : ModelAdapter
        The reference model; ``adapter.module`` is run (hooks live only during a pass).
    X : Tensor
        (rows, features) inputs.
    y : Tensor
        (rows,) targets, as ``adapter.loss`` reads them.
    max_batch_rows : int or None
        Model rows per forward pass (tiled copies count); None sizes it from the device.

    Example
    -------
    >>> kernel = DropoutLossKernel(adapter, data.X, data.y)
    >>> masks = draw_masks(unit_shapes(adapter.module, ["1"], "activations", data.X[:1]),
    ...                    range(256), 0.1, "activations", seed=0)
    >>> kernel.losses(masks).shape  # (members,)
    """

    def __init__(
        self, adapter, X: torch.Tensor, y: torch.Tensor, *, max_batch_rows: int | None = None
    ) -> None:
        if adapter.module is None:
            raise ModelError("dropout members need a torch model; this adapter runs a CPU function")
        if X.ndim != 2 or y is None or y.shape[0] != X.shape[0]:
            raise ParameterError(
                "dropout losses need (rows, features) inputs and one target per row"
            )
        self.adapter = adapter
        self.X = X.to(adapter.device, adapter.dtype)  # (rows, features)
        self.y = y.to(adapter.device)  # (rows,)
        self.n_rows = X.shape[0]
        self.batch_rows = resolve_batch_rows(
            max_batch_rows, adapter.device, estimate_bytes_per_row(adapter.module, X.shape[1]), None
        )
        self.forward_passes = 0

    def reference_loss(self) -> float:
        """Mean loss of the model with dropout off (L*)."""
        total = 0.0
        for X, y in zip(self.X.split(self.batch_rows), self.y.split(self.batch_rows), strict=True):
            total += float(self.adapter.loss.per_row(self.adapter.forward(X), y).sum())
            self.forward_passes += 1
        return total / self.n_rows

    def losses(self, masks: DropoutMasks) -> torch.Tensor:
        """(members,) float64 mean loss of each member, on the CPU.

        Members share a pass ``batch_rows // rows`` at a time when all rows fit, else each
        member runs alone over row chunks.
        """
        sums = torch.zeros(len(masks), dtype=torch.float64)
        if self.n_rows <= self.batch_rows:
            per_pass = max(1, self.batch_rows // self.n_rows)
            for start in range(0, len(masks), per_pass):
                stop = min(start + per_pass, len(masks))
                sums[start:stop] = self._block_sums(masks, start, stop, self.X, self.y)
        else:
            for j in range(len(masks)):
                for X, y in zip(
                    self.X.split(self.batch_rows), self.y.split(self.batch_rows), strict=True
                ):
                    sums[j] += self._block_sums(masks, j, j + 1, X, y)[0]
        return sums / self.n_rows

    def _block_sums(
        self, masks: DropoutMasks, start: int, stop: int, X: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor:
        """(stop−start,) summed loss over rows X of members start..stop−1."""
        k, rows = stop - start, X.shape[0]
        factors = {
            name: f.to(self.adapter.device, self.adapter.dtype)
            for name, f in masks.block(start, stop).items()
        }  # layer -> (k, *unit shape)
        stacked = _StackedMembers(self.adapter.module, masks.mode, factors)
        tiled = dataclasses.replace(self.adapter, module=stacked)
        outputs = tiled.forward(X.repeat(k, 1))  # (k·rows,) or (k·rows, classes)
        self.forward_passes += 1
        per_row = self.adapter.loss.per_row(outputs, y.repeat(k))  # (k·rows,)
        return per_row.view(k, rows).sum(dim=1).cpu()


class _StackedMembers(torch.nn.Module):
    """k members on an input of k member-major blocks of rows: block j under member j's mask."""

    def __init__(self, reference: torch.nn.Module, mode: str, factors: dict[str, torch.Tensor]):
        super().__init__()
        self.reference = reference
        self.mode = mode
        self.factors = factors  # layer -> (k, *unit shape)
        self.k = next(iter(factors.values())).shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "weights":
            return self._weights_forward(x)
        handles = [
            self.reference.get_submodule(name).register_forward_hook(self._block_hook(factor))
            for name, factor in self.factors.items()
        ]
        try:
            return self.reference(x)
        finally:
            for handle in handles:
                handle.remove()

    def _block_hook(self, factor: torch.Tensor):
        def hook(_module, _inputs, output):
            blocks = output.reshape(self.k, -1, *output.shape[1:])  # (k, rows, *unit)
            return (blocks * factor.unsqueeze(1)).reshape(output.shape)

        return hook

    def _weights_forward(self, x: torch.Tensor) -> torch.Tensor:
        blocks = x.reshape(self.k, -1, *x.shape[1:])  # (k, rows, features)
        weights = {
            f"{name}.weight": self.reference.get_submodule(name).weight.unsqueeze(0) * factor
            for name, factor in self.factors.items()
        }  # name -> (k, *weight shape)

        def one_member(member_weights, rows):
            return torch.func.functional_call(self.reference, member_weights, (rows,))

        try:
            out = torch.func.vmap(one_member)(weights, blocks)  # (k, rows, ...)
        except (RuntimeError, NotImplementedError):
            # vmap cannot batch some operations (data-dependent control flow, .item());
            # the members then run one after another, still without hooks on the model.
            out = torch.stack(
                [
                    one_member({n: w[j] for n, w in weights.items()}, blocks[j])
                    for j in range(self.k)
                ]
            )
        return out.reshape(-1, *out.shape[2:])
