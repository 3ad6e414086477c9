"""Dropout Rashomon sets (Hsu et al., ICLR 2024): a torch model under seeded dropout masks.

Members are the reference model with a fixed Bernoulli mask of rate p on chosen layers
(``workbench.kernels.dropout_masks``); their losses come from one batched kernel
(``workbench.kernels.dropout_losses``). Without a fixed ``rate``, p is searched by bisection on
(0, max_rate]: the largest p at which at least ``in_set_share`` of ``n_probe`` probe members
stay within ε of L*, the reference model's loss with dropout off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from analyzers.model_sets.model_set import ModelSet, ModelSetMember, flag_members
from analyzers.rashomon_parameters import resolve_epsilon
from workbench.errors import ModelError, ParameterError
from workbench.kernels.dropout_losses import DropoutLossKernel
from workbench.kernels.dropout_masks import (
    DropoutMember,
    check_mode,
    draw_masks,
    resolve_layers,
    unit_shapes,
)
from workbench.models import ModelAdapter, wrap_model
from workbench.progress import ProgressCallback

SEARCH_STAGE = "searching dropout rate"


@dataclass(frozen=True, eq=False)
class DropoutSetBuilder:
    """Members: a torch model under ``n_members`` seeded dropout masks of one rate.

    Parameters
    ----------
    model : ModelAdapter or torch.nn.Module
        The reference model; an adapter needs a torch module (``adapter.module``), so a
        scikit-learn tree cannot be a reference.
    rate : float or None
        Drop rate p in [0, 1); None searches it (see the module docstring).
    n_members : int
        Members drawn at the chosen rate; member k's mask comes from ``(seed, k)``.
    layers : sequence of str or None
        Module names to mask; None: every hidden activation module (else every Linear but
        the last; in "weights" mode every Linear but the last).
    mode : {"activations", "weights"}
        Mask units of the layers' outputs, scaled by 1/(1−p) (inverted dropout), or entries
        of their weights, scaled alike (DropConnect).
    n_probe : int
        Probe members per step of the rate search (members 0..n_probe−1 of the final set).
    in_set_share : float
        Share of probe members that must stay within ε at the searched rate.
    max_rate : float
        Upper end of the search, in (0, 1).
    search_steps : int
        Bisection steps after checking ``max_rate``: the rate is found to max_rate / 2**steps.
    seed : int
    max_batch_rows : int or None
        Rows per forward pass (tiled member copies count); None sizes it from the device.

    Examples
    --------
    >>> builder = DropoutSetBuilder(sample.adapter, n_members=128)
    >>> model_set = builder.build(test, epsilon_rate=0.05)
    >>> model_set.settings["rate"], len(model_set.in_set)
    """

    model: Any
    rate: float | None = None
    n_members: int = 64
    layers: Sequence[str] | None = None
    mode: str = "activations"
    n_probe: int = 32
    in_set_share: float = 0.9
    max_rate: float = 0.5
    search_steps: int = 8
    seed: int = 0
    max_batch_rows: int | None = None
    name: ClassVar[str] = "dropout"

    def build(
        self,
        dataset,
        *,
        epsilon_rate: float | None = 0.1,
        epsilon: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> ModelSet:
        """Search or take the rate, draw the members and flag those within ε of L*."""
        self._check()
        if dataset.y is None:
            raise ParameterError("dataset: a dropout set needs the explained rows' target")
        adapter = self._adapter(dataset)
        layers = resolve_layers(adapter.module, self.layers, self.mode)
        shapes = unit_shapes(adapter.module, layers, self.mode, dataset.X[:1].to(adapter.device))
        kernel = DropoutLossKernel(
            adapter, dataset.X, dataset.y, max_batch_rows=self.max_batch_rows
        )
        reference_loss = kernel.reference_loss()
        resolved = resolve_epsilon(epsilon_rate, epsilon, reference_loss)

        def share_within(rate: float) -> tuple[float, list[float]]:
            masks = draw_masks(shapes, range(self.n_probe), rate, self.mode, self.seed)
            losses = kernel.losses(masks).tolist()
            inside = sum(loss - reference_loss <= resolved for loss in losses)
            return inside / len(losses), losses

        if self.rate is None:
            rate, probe_losses, trace = search_rate(
                share_within, self.max_rate, self.in_set_share, self.search_steps, progress
            )
            if progress is not None:
                progress(SEARCH_STAGE, len(trace), len(trace))
        else:
            rate, probe_losses, trace = float(self.rate), [], []
        masks = draw_masks(shapes, range(self.n_members), rate, self.mode, self.seed)
        losses = kernel.losses(masks).tolist()
        members = [
            ModelSetMember(
                f"dropout p={rate:.3g} #{k}",
                _member_adapter(adapter, self.mode, masks.member(k)),
                None,
                {"rate": rate, "mode": self.mode, "member": k, "seed": int(self.seed)},
            )
            for k in range(self.n_members)
        ]
        settings = self._settings(layers, rate, probe_losses, trace)
        settings["forward_passes"] = kernel.forward_passes
        return flag_members(
            self.name,
            members,
            losses,
            reference_loss,
            epsilon_rate=epsilon_rate,
            epsilon=epsilon,
            settings=settings,
        )

    def _settings(self, layers, rate, probe_losses, trace) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "layers": layers,
            "rate": rate,
            "rate_searched": self.rate is None,
            "max_rate": float(self.max_rate),
            "in_set_share": float(self.in_set_share),
            "n_members": int(self.n_members),
            "n_probe": int(self.n_probe),
            "seed": int(self.seed),
            "probe_losses": probe_losses,
            "rate_search": trace,
        }

    def _adapter(self, dataset) -> ModelAdapter:
        model = self.model
        if not isinstance(model, ModelAdapter):
            if not hasattr(model, "parameters") or not callable(model):
                raise ModelError(
                    "model: a dropout set needs a torch model (a ModelAdapter with a module, "
                    f"or a torch.nn.Module), got {type(model).__name__}"
                )
            model = wrap_model(model, y=dataset.y.numpy())
        if model.module is None:
            raise ModelError(
                "model: a dropout set needs a torch model; this one runs on the CPU without a "
                "torch module (e.g. scikit-learn trees): use the retrained builder instead"
            )
        if isinstance(model.module, torch.jit.ScriptModule):
            raise ModelError(
                "model: a TorchScript model runs its layers as compiled code, which dropout "
                "masks cannot reach; save it with torch.export (.pt2) and use mode='weights', "
                "or pass the torch.nn.Module"
            )
        return model

    def _check(self) -> None:
        check_mode(self.mode)
        for name in ("n_members", "n_probe"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ParameterError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(self.search_steps, bool) or not isinstance(self.search_steps, int):
            raise ParameterError(f"search_steps must be an integer, got {self.search_steps!r}")
        if self.search_steps < 0:
            raise ParameterError(f"search_steps must be >= 0, got {self.search_steps!r}")
        if self.rate is not None and not 0.0 <= float(self.rate) < 1.0:
            raise ParameterError(f"rate must be in [0, 1), got {self.rate!r}")
        if not 0.0 < float(self.max_rate) < 1.0:
            raise ParameterError(f"max_rate must be in (0, 1), got {self.max_rate!r}")
        if not 0.0 < float(self.in_set_share) <= 1.0:
            raise ParameterError(f"in_set_share must be in (0, 1], got {self.in_set_share!r}")


def search_rate(share_within, max_rate, target_share, steps, progress=None):
    """Largest rate in (0, max_rate] whose probe share within ε is ≥ ``target_share``.

    ``share_within(rate) -> (share, probe losses)``. The search keeps ``low`` (share met;
    p = 0 is the reference itself, so always met) and ``high`` (share missed), and returns
    ``(low, its probe losses, trace)``; trace rows are {rate, share_in_set, meets_share}.
    The share need not fall monotonically with p (more dropped units can fit better by
    chance), so the result is a rate that meets the share with one that misses it within
    max_rate / 2**steps above, not a global optimum.
    """
    trace: list[dict[str, Any]] = []

    def probe(rate: float) -> tuple[bool, list[float]]:
        share, losses = share_within(rate)
        met = share >= target_share
        trace.append({"rate": rate, "share_in_set": share, "meets_share": met})
        if progress is not None:
            progress(SEARCH_STAGE, len(trace), steps + 1)
        return met, losses

    met, losses = probe(float(max_rate))
    if met:
        return float(max_rate), losses, trace
    low, high, low_losses = 0.0, float(max_rate), []
    for _ in range(steps):
        middle = (low + high) / 2
        met, losses = probe(middle)
        if met:
            low, low_losses = middle, losses
        else:
            high = middle
    if low == 0.0:
        low_losses = share_within(0.0)[1]
    return low, low_losses, trace


def _member_adapter(adapter: ModelAdapter, mode: str, factors) -> ModelAdapter:
    """The reference adapter running the masked member module (fingerprint of the member)."""
    module = DropoutMember(adapter.module, mode, factors).to(adapter.device)
    return dataclasses.replace(adapter, module=module, _source_digest=None)
