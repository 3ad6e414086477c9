"""Seeded dropout masks of a torch model, and the module of one masked member.

A dropout member (Hsu et al., ICLR 2024) is the reference model under one fixed Bernoulli mask
of rate p on chosen layers: mode "activations" zeroes units of a layer's output and scales the
kept ones by 1/(1−p) (inverted dropout); mode "weights" does the same to entries of the layer's
``weight`` (DropConnect). Member k's mask comes from uniforms drawn by
``numpy.random.default_rng((seed, k))``, kept where u ≥ p: the same member at a larger p drops
a superset of units, so the rate search compares nested masks rather than fresh noise.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from workbench.errors import ModelError, ParameterError

MODES = ("activations", "weights")
# Activations that normalise over units are not hidden units one can drop.
_NOT_HIDDEN = (
    torch.nn.MultiheadAttention,
    torch.nn.Softmax,
    torch.nn.LogSoftmax,
    torch.nn.Softmin,
)


def check_mode(mode: object) -> str:
    if mode not in MODES:
        raise ParameterError(f"mode must be one of {MODES}, got {mode!r}")
    return str(mode)


def default_layers(module: torch.nn.Module, mode: str) -> list[str]:
    """Hidden layers in registration order: the activation modules before the last linear
    layer (their outputs are the hidden units), else the linear layers but the last; in
    "weights" mode the linear layers but the last (the output layer's weights are the
    prediction). A linear layer is an ``nn.Linear`` or a leaf holding a 2-D weight (what an
    exported model keeps of one)."""
    named = [(name, m) for name, m in module.named_modules() if name]
    linear_positions = [i for i, (_, m) in enumerate(named) if _is_linear(m)]
    hidden_linears = [named[i][0] for i in linear_positions[:-1]]
    if mode == "weights" or not linear_positions:
        return hidden_linears
    activations = [
        name
        for name, m in named[: linear_positions[-1]]
        if type(m).__module__ == "torch.nn.modules.activation" and not isinstance(m, _NOT_HIDDEN)
    ]
    return activations or hidden_linears


def _is_linear(module: torch.nn.Module) -> bool:
    if isinstance(module, torch.nn.Linear):
        return True
    weight = getattr(module, "weight", None)
    is_leaf = next(module.children(), None) is None
    return (
        is_leaf
        and isinstance(weight, torch.Tensor)
        and weight.ndim == 2
        and not isinstance(module, torch.nn.Embedding | torch.nn.EmbeddingBag)
    )


def resolve_layers(module: torch.nn.Module, layers: Sequence[str] | None, mode: str) -> list[str]:
    """The layers to mask: checked names, or the defaults; a one-line error when none fit."""
    check_mode(mode)
    if layers is None:
        chosen = default_layers(module, mode)
        if not chosen:
            raise ParameterError(
                "layers: the model has no hidden layer to drop out (no activation or Linear "
                "layer before its output layer); name the layers to mask with layers="
            )
        return chosen
    chosen = [str(name) for name in layers]
    if not chosen:
        raise ParameterError("layers must name at least one module")
    known = [name for name, _ in module.named_modules() if name]
    for name in chosen:
        if name not in known:
            shown = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            raise ParameterError(f"layers: {name!r} is not a module of the model; modules: {shown}")
        weight = getattr(module.get_submodule(name), "weight", None)
        if mode == "weights" and not isinstance(weight, torch.Tensor):
            raise ParameterError(f"layers: {name!r} has no weight to mask in mode='weights'")
    if len(set(chosen)) != len(chosen):
        raise ParameterError(f"layers: each layer once, got {chosen}")
    return chosen


def unit_shapes(
    module: torch.nn.Module, layers: Sequence[str], mode: str, row: torch.Tensor
) -> dict[str, tuple[int, ...]]:
    """Per layer, the shape one member's mask has: one row's output, or the weight's shape.

    Activations are read from one forward pass on ``row`` (1, features); a layer the pass never
    calls as a module (TorchScript and exported models inline their layers) cannot be hooked,
    and says so rather than leaving every member equal to the reference.
    """
    if mode == "weights":
        return {name: tuple(module.get_submodule(name).weight.shape) for name in layers}
    shapes: dict[str, tuple[int, ...]] = {}

    def reader(name: str):
        def hook(_module, _inputs, output):
            if not isinstance(output, torch.Tensor) or output.ndim < 2:
                raise ParameterError(
                    f"layers: {name!r} does not return a (rows, ...) tensor; choose a layer "
                    "whose output is one"
                )
            shapes[name] = tuple(output.shape[1:])

        return hook

    handles = [module.get_submodule(n).register_forward_hook(reader(n)) for n in layers]
    try:
        with torch.no_grad():
            module(row)
    finally:
        for handle in handles:
            handle.remove()
    missing = [name for name in layers if name not in shapes]
    if missing:
        raise ModelError(
            f"layers: {missing[0]!r} is never called as a module in the model's forward pass "
            "(an exported model inlines its layers), so its output cannot be masked; use "
            "mode='weights', which masks weights without hooks"
        )
    return shapes


@dataclass(frozen=True)
class DropoutMasks:
    """Fixed masks of several members, as the factors that multiply each layer.

    Attributes
    ----------
    mode : "activations" or "weights"
    rate : float
        Bernoulli drop rate p.
    members : tuple of int
        Member indices k (the mask of k depends only on (seed, k) and p).
    factors : dict layer -> Tensor
        (members, *unit shape) float32: 0 where dropped, 1/(1−p) where kept.
    """

    mode: str
    rate: float
    members: tuple[int, ...]
    factors: dict[str, torch.Tensor]

    def __len__(self) -> int:
        return len(self.members)

    def member(self, position: int) -> dict[str, torch.Tensor]:
        """Layer -> (*unit shape) factors of the member at ``position``."""
        return {name: f[position] for name, f in self.factors.items()}

    def block(self, start: int, stop: int) -> dict[str, torch.Tensor]:
        """Layer -> (stop−start, *unit shape) factors of a run of members."""
        return {name: f[start:stop] for name, f in self.factors.items()}


def draw_masks(
    shapes: dict[str, tuple[int, ...]],
    members: Sequence[int],
    rate: float,
    mode: str,
    seed: int,
) -> DropoutMasks:
    """Masks of ``members`` at ``rate``: member k keeps units whose uniform from
    ``default_rng((seed, k))`` is ≥ rate (layers drawn in the order of ``shapes``)."""
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ParameterError(f"rate must be in [0, 1), got {rate!r}")
    members = tuple(int(k) for k in members)
    per_layer: dict[str, list[np.ndarray]] = {name: [] for name in shapes}
    for k in members:
        rng = np.random.default_rng((int(seed), k))
        for name, shape in shapes.items():
            per_layer[name].append(rng.random(shape, dtype=np.float32))
    factors = {
        name: (torch.from_numpy(np.stack(draws)) >= rate).to(torch.float32) / (1.0 - rate)
        for name, draws in per_layer.items()
    }  # layer -> (members, *unit shape)
    return DropoutMasks(check_mode(mode), rate, members, factors)


class DropoutMember(torch.nn.Module):
    """The reference module under one fixed mask: a real module, so every index runs on it.

    The reference is shared between members, not copied; the masks are buffers, so the
    member's state (and its adapter's fingerprint) differs from the reference's. In
    "activations" mode the scaling hooks live only for the duration of ``forward``, which is
    why two members must not run on one reference from two threads at once.
    """

    def __init__(
        self, reference: torch.nn.Module, mode: str, factors: dict[str, torch.Tensor]
    ) -> None:
        super().__init__()
        self.reference = reference
        self.mode = check_mode(mode)
        self.layers = list(factors)
        # Masks are drawn on the host (the same draws on every device); they live beside the
        # reference's parameters, which may be on a GPU.
        device = _module_device(reference)
        for i, factor in enumerate(factors.values()):
            self.register_buffer(f"mask_{i}", factor.to(device, copy=True))

    def masks(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self, f"mask_{i}") for i, name in enumerate(self.layers)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mode == "weights":
            weights = {
                f"{name}.weight": self.reference.get_submodule(name).weight * mask
                for name, mask in self.masks().items()
            }
            return torch.func.functional_call(self.reference, weights, (x,))
        handles = [
            self.reference.get_submodule(name).register_forward_hook(_scaling_hook(mask))
            for name, mask in self.masks().items()
        ]
        try:
            return self.reference(x)
        finally:
            for handle in handles:
                handle.remove()


def _scaling_hook(mask: torch.Tensor):
    def hook(_module, _inputs, output):
        return output * mask.to(output.dtype)  # (rows, *unit) · (*unit)

    return hook


def _module_device(module: torch.nn.Module) -> torch.device:
    """Device of a module's first parameter or buffer (the CPU for a module with neither)."""
    for tensor in itertools.chain(module.parameters(), module.buffers()):
        return tensor.device
    return torch.device("cpu")
