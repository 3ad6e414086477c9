"""A cheaper no-grad forward for stacks of Linear layers and activations, with the same outputs.

``torch.nn.Sequential`` runs every layer out of place: each Linear and each ReLU allocates a
fresh (rows, width) tensor, so a 48k-row call of a (64, 64) MLP spends as long faulting in new
pages and rewriting them as in the matrix products. :class:`FastForward` runs the same layers
with ``addmm`` into reused buffers and in-place activations, on the CPU in row chunks small
enough to stay in cache at one thread (measured in ``benchmarks/forward.py``).

:meth:`FastForward.scaled` serves ``ModelAdapter.forward_scaled``: a row whose columns moved by a
variant's scale are all zero is the unscaled row itself, so its output is computed once per
call and copied; only the other (variant, row) pairs run the network. When the input is wide,
their first layer is the unscaled row's pre-activation plus the terms of the moved columns.

Only modules whose maths is known are run this way (see :func:`layer_steps`); anything else,
a module in training mode, or one with hooks (the tap kernels edit activations through hooks)
gets None and the caller runs the module itself. ``adapter.module`` stays the real module, so
autograd users are unaffected.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.nn.modules import module as module_state

from workbench.sklearn_convert import FixedAffine, SklearnTorchModule

# Rows per chunk on the CPU at one thread: both (4096, 64) hidden buffers (1 MiB each) stay in
# L2 across layers. With more threads a chunk this small splits into too little work per
# thread (measured slower at 2 threads), so the batch runs whole.
CPU_CHUNK_ROWS = 4096
# Buffers larger than this are allocated per call instead of being kept between calls.
MAX_KEPT_BUFFER_BYTES = 64 * 2**20
# The first-layer shortcut of ``scaled`` pays only when the layer is wide and few columns move:
# at 27 inputs assembling the moved columns' terms was slower than recomputing (measured).
DELTA_MIN_FEATURES = 64
DELTA_MAX_MOVED_SHARE = 8  # at most features // 8 moved columns per variant

# The skip of ``scaled`` runs two forwards and host bookkeeping per call: at one thread it took
# 0.27-0.35 of the plain time against 0.38-0.40 fused, but at 2 threads on a loaded 2-core
# machine 0.63-1.10 against 0.48-0.85 fused (benchmarks/forward.py), so it is used up to this
# many torch threads. Re-measure on a quiet many-core machine before raising it.
SKIP_MAX_THREADS = 1

_SEQUENTIAL_TYPES = (nn.Sequential, SklearnTorchModule)
_IN_PLACE = {
    nn.ReLU: torch.Tensor.relu_,
    nn.Sigmoid: torch.Tensor.sigmoid_,
    nn.Tanh: torch.Tensor.tanh_,
}
_OUT_OF_PLACE = {nn.LogSigmoid: nn.functional.logsigmoid}
_SKIPPED = (nn.Identity, nn.Dropout)  # Dropout is the identity in eval mode

Step = tuple[str, object]  # ("linear", Linear) | ("in_place", fn) | ("function", fn)


def layer_steps(module: nn.Module, dtype: torch.dtype) -> list[Step] | None:
    """The steps that reproduce ``module(x)``, or None when the fast path does not apply.

    Parameters
    ----------
    module : torch.nn.Module
        Applies to an ``nn.Sequential`` (or a converted scikit-learn model) of Linear,
        ReLU / Sigmoid / Tanh / LogSigmoid, Identity, Dropout and FixedAffine layers, in eval
        mode, without hooks, whose Linear weights have ``dtype``.
    dtype : torch.dtype
        The dtype the adapter feeds the module.

    Returns
    -------
    list of steps or None
    """
    if type(module) not in _SEQUENTIAL_TYPES or module.training or _has_hooks(module):
        return None
    steps: list[Step] = []
    for layer in module:
        if isinstance(layer, nn.Linear) and type(layer) is nn.Linear:
            if layer.weight.dtype != dtype or (
                layer.bias is not None and layer.bias.dtype != dtype
            ):
                return None
            steps.append(("linear", layer))
        elif type(layer) in _IN_PLACE:
            steps.append(("in_place", _IN_PLACE[type(layer)]))
        elif type(layer) in _OUT_OF_PLACE:
            steps.append(("function", _OUT_OF_PLACE[type(layer)]))
        elif type(layer) is FixedAffine:
            steps.append(("function", layer.forward))
        elif type(layer) not in _SKIPPED:
            return None
    return steps


def _has_hooks(module: nn.Module) -> bool:
    if module_state._global_forward_hooks or module_state._global_forward_pre_hooks:
        return True
    return any(layer._forward_hooks or layer._forward_pre_hooks for layer in module.modules())


class FastForward:
    """Runs a module's :func:`layer_steps` with reused buffers; None where they do not apply.

    Parameters
    ----------
    module : torch.nn.Module
        Read at every call (its layers, weights and hooks), never copied.
    dtype : torch.dtype
        The dtype the adapter feeds the module.

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1)).eval()
    >>> x = torch.randn(10, 3)
    >>> bool(torch.allclose(FastForward(net, torch.float32)(x), net(x)))
    True
    """

    def __init__(self, module: nn.Module, dtype: torch.dtype) -> None:
        self.module = module
        self.dtype = dtype
        self._local = threading.local()  # buffers per thread: a shared adapter stays safe

    def __getstate__(self) -> dict:
        return {"module": self.module, "dtype": self.dtype}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["module"], state["dtype"])

    @torch.no_grad()
    def __call__(self, x: torch.Tensor) -> torch.Tensor | None:
        """``module(x)`` for (rows, features) ``x``, or None when the fast path does not apply."""
        steps = layer_steps(self.module, self.dtype)
        if steps is None:
            return None
        return self._run(steps, x, owned=False)

    @torch.no_grad()
    def scaled(self, scale: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor | None:
        """``module(scale[v] * inputs[r])`` for every (v, r), variant-major, or None.

        Parameters
        ----------
        scale : torch.Tensor
            (variants, features) column scalings.
        inputs : torch.Tensor
            (rows, features).
        """
        steps = layer_steps(self.module, self.dtype)
        if steps is None:
            return None
        n_variants, n_rows = scale.shape[0], inputs.shape[0]
        # The skip needs the pair list on the host (a sync per call on a GPU), and a
        # non-finite scale turns a zero into NaN, which the copied output would hide.
        skip = inputs.device.type == "cpu" and torch.get_num_threads() <= SKIP_MAX_THREADS
        if not skip or n_rows == 0 or not bool(torch.isfinite(scale).all()):
            return self._run(steps, _scaled_rows(scale, inputs), owned=True)
        # The bookkeeping runs in numpy, on one thread: each torch op on these sizes is a
        # parallel region, and on a loaded machine every region waits for a descheduled thread.
        scale_np, inputs_np = scale.detach().numpy(), inputs.detach().numpy()
        moved = scale_np != 1  # (variants, features)
        hit = (moved.astype(np.int32) @ (inputs_np != 0).T.astype(np.int32)) > 0  # (v, rows)
        variant_of, row_of = np.nonzero(hit)  # (pairs,) each, variant-major
        if variant_of.size + n_rows >= n_variants * n_rows:  # the unscaled rows would cost more
            return self._run(steps, _scaled_rows(scale, inputs), owned=True)
        first = _first_linear_end(steps)
        delta = first is not None and _delta_pays(moved, inputs.shape[1])
        if delta:
            base_pre = self._run(steps[:first], inputs, owned=False)  # (rows, hidden)
            base = self._run(steps[first:], base_pre.clone(), owned=True)
        else:
            base = self._run(steps, inputs, owned=False)  # (rows, outputs)
        out = np.tile(base.numpy(), (n_variants,) + (1,) * (base.ndim - 1))  # (v * rows, outputs)
        if variant_of.size:
            if delta:
                pre = _moved_pre_activation(
                    steps[:first], base_pre, scale, torch.from_numpy(moved), inputs, hit
                )
                hit_outputs = self._run(steps[first:], pre, owned=True)
            else:
                pairs = torch.from_numpy(scale_np[variant_of] * inputs_np[row_of])  # (pairs, f)
                hit_outputs = self._run(steps, pairs, owned=True)
            out[variant_of * n_rows + row_of] = hit_outputs.numpy()
        return torch.from_numpy(out)

    def _run(self, steps: list[Step], x: torch.Tensor, owned: bool) -> torch.Tensor:
        """The steps on (rows, features) ``x`` in row chunks; a fresh output tensor.

        ``owned``: x belongs to this call, so the first activation may overwrite it.
        """
        rows = x.shape[0]
        one_thread_cpu = x.device.type == "cpu" and torch.get_num_threads() == 1
        chunk_rows = CPU_CHUNK_ROWS if one_thread_cpu else max(rows, 1)
        out = None
        for start in range(0, rows, chunk_rows):
            chunk = self._run_chunk(steps, x[start : start + chunk_rows], owned)
            if out is None:
                out = torch.empty((rows, *chunk.shape[1:]), dtype=chunk.dtype, device=x.device)
            out[start : start + chunk.shape[0]] = chunk
        if out is None:  # no rows: run once for the output's width
            out = self._run_chunk(steps, x, owned=False).clone()
        return out

    def _run_chunk(self, steps: list[Step], h: torch.Tensor, owned: bool) -> torch.Tensor:
        for index, (kind, op) in enumerate(steps):
            if kind == "linear":
                buffer = self._buffer(index, h.shape[0], op.out_features, h)
                if op.bias is None:
                    h = torch.mm(h, op.weight.t(), out=buffer)
                else:
                    h = torch.addmm(op.bias, h, op.weight.t(), out=buffer)
                owned = True
            elif kind == "in_place" and owned:
                h = op(h)
            elif kind == "in_place":
                h = op(h.clone())
                owned = True
            else:
                h = op(h)
                owned = True
        return h

    def _buffer(self, index: int, rows: int, width: int, like: torch.Tensor) -> torch.Tensor:
        """A (rows, width) scratch tensor for step ``index``, kept between calls when small."""
        if rows * width * like.element_size() > MAX_KEPT_BUFFER_BYTES:
            return torch.empty((rows, width), dtype=like.dtype, device=like.device)
        buffers = getattr(self._local, "buffers", None)
        if buffers is None:
            buffers = self._local.buffers = {}
        key = (index, width, like.device, like.dtype)
        kept = buffers.get(key)
        if kept is None or kept.shape[0] < rows:
            kept = buffers[key] = torch.empty((rows, width), dtype=like.dtype, device=like.device)
        return kept[:rows]


def _scaled_rows(scale: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    return (scale[:, None, :] * inputs[None, :, :]).reshape(-1, inputs.shape[1])


def _first_linear_end(steps: list[Step]) -> int | None:
    """Index after the first Linear when everything before it is an affine map (no clamp)."""
    for index, (kind, op) in enumerate(steps):
        if kind == "linear":
            return index + 1
        if not (kind == "function" and _is_unclamped_affine(op)):
            return None
    return None


def _is_unclamped_affine(op: Callable) -> bool:
    owner = getattr(op, "__self__", None)
    return type(owner) is FixedAffine and owner.bounds is None


def _delta_pays(moved: np.ndarray, n_features: int) -> bool:
    most_moved = int(moved.sum(axis=1).max())
    return n_features >= DELTA_MIN_FEATURES and most_moved <= n_features // DELTA_MAX_MOVED_SHARE


def _moved_pre_activation(
    first_steps: list[Step],
    base_pre: torch.Tensor,
    scale: torch.Tensor,
    moved: torch.Tensor,
    inputs: torch.Tensor,
    hit: np.ndarray,
) -> torch.Tensor:
    """First-layer pre-activations of the hit pairs, variant-major: the unscaled row's plus
    ``(s_c - 1) x_c w_c`` for each moved column c (w_c: the column's weight through the
    affine maps before the Linear, which scale it by their factors)."""
    linear = first_steps[-1][1]
    column_weight = linear.weight.t()  # (features, hidden)
    for _, op in first_steps[:-1]:
        column_weight = column_weight * op.__self__.factor[:, None]
    pieces = []
    for variant in range(scale.shape[0]):
        rows = torch.from_numpy(np.flatnonzero(hit[variant]))
        if rows.numel() == 0:
            continue
        columns = moved[variant].nonzero()[:, 0]
        terms = inputs[rows][:, columns] * (scale[variant, columns] - 1)  # (hit rows, moved)
        pieces.append(torch.addmm(base_pre[rows], terms, column_weight[columns]))
    return torch.cat(pieces)  # (pairs, hidden)
