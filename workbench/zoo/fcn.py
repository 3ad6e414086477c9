"""FCN (Li et al., 2024, "FCN: Fusing Exponential and Linear Cross Network for CTR Prediction",
first released as DCNv3): an exponential and a linear cross network side by side.

Written from the paper's equations; the authors' Apache-2.0 code (salmon1802/FCN,
``ExponentialCrossNetwork`` / ``LinearCrossNetwork``) guided the layout (see NOTICE). Per layer
l of either network, with x_0 the flattened embedding (width D):
    H_l    = W_l x_l                                   (W_l: D -> D/2, halves the parameters)
    M_l    = ReLU(LayerNorm(H_l))                      (self-mask, about half zeros)
    H'_l   = [H_l, H_l ⊙ M_l]                          (width D again)
    linear:      x_{l+1} = x_0 ⊙ (H'_l + b_l) + x_l    (order l+2 after l+1 layers)
    exponential: x_{l+1} = x_l ⊙ (H'_l + b_l) + x_l    (order 2^(l+1))
Each network ends in its own logit; the prediction is the mean of the two probabilities, so
the model's logit is logit((σ(z_lin) + σ(z_exp)) / 2), computed in log space.

Assumptions (the paper's extras left out): one embedding head (the paper can split D into
heads), no per-layer dropout, and training on the fused output's log-loss only, not the
paper's Tri-BCE loss with the two networks' auxiliary terms.

FuxiCTR-style code shares one ``nn.ReLU`` masker across layers, which captum's layer hooks cannot
read per layer; here every mask passes its own tap. Sites: ``linear{l}_mask``,
``exponential{l}_mask`` (kind "mask", width D/2, not field-aligned: H is a projection) and
``linear{l}``, ``exponential{l}`` (the cross term added to x_l, field-aligned).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as nnf
from torch import nn

from workbench.errors import ParameterError
from workbench.zoo.base import CtrModel

NETWORKS = ("linear", "exponential")


class SelfMaskCrossLayer(nn.Module):
    """One cross layer with the ReLU(LayerNorm) self-mask; taps on the mask and the term."""

    def __init__(self, width: int, exponential: bool, mask_tap: nn.Module, cross_tap: nn.Module):
        super().__init__()
        self.project = nn.Linear(width, width // 2, bias=False)
        self.norm = nn.LayerNorm(width // 2)
        self.bias = nn.Parameter(torch.zeros(width))
        self.exponential = exponential
        self.mask_tap, self.cross_tap = mask_tap, cross_tap

    def forward(self, x0: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        h = self.project(x)  # (rows, D/2)
        mask = self.mask_tap(torch.relu(self.norm(h)))  # (rows, D/2)
        h_masked = torch.cat([h, h * mask], dim=1)  # (rows, D)
        base = x if self.exponential else x0
        return self.cross_tap(base * (h_masked + self.bias)) + x


class FCN(CtrModel):
    """FCN: exponential (ECN) and linear (LCN) cross networks fused at the output.

    Parameters
    ----------
    vocab_sizes, field_names, embedding_dim, shared_buckets, hash_seed, field_dims
        As for ``CtrModel``; the flattened width must be even (the mask halves it).
    n_linear : int
        Layers of the linear cross network.
    n_exponential : int
        Layers of the exponential cross network.

    Example
    -------
    >>> [s.name for s in FCN([3, 4], embedding_dim=4, n_linear=1, n_exponential=1).gate_sites()]
    ['linear0_mask', 'linear0', 'exponential0_mask', 'exponential0']
    """

    name = "fcn"

    def __init__(
        self,
        vocab_sizes: Sequence[int],
        *,
        field_names: Sequence[str] | None = None,
        embedding_dim: int = 16,
        shared_buckets: int | None = None,
        hash_seed: int = 0,
        field_dims: Sequence[int] | None = None,
        n_linear: int = 3,
        n_exponential: int = 3,
    ) -> None:
        for argument, value in (("n_linear", n_linear), ("n_exponential", n_exponential)):
            if int(value) < 1:
                raise ParameterError(f"{argument} must be >= 1, got {value!r}")
        super().__init__(
            vocab_sizes,
            field_names=field_names,
            embedding_dim=embedding_dim,
            shared_buckets=shared_buckets,
            hash_seed=hash_seed,
            field_dims=field_dims,
            n_linear=int(n_linear),
            n_exponential=int(n_exponential),
        )
        D = self.flat_dim
        if D % 2:
            raise ParameterError(
                f"field_dims: FCN's mask halves the flattened embedding, so its width must be "
                f"even, got {D}"
            )
        networks = {}
        for network, n_layers in zip(NETWORKS, (int(n_linear), int(n_exponential)), strict=True):
            layers = []
            for layer in range(n_layers):
                mask_tap = self._add_site(
                    f"{network}{layer}_mask",
                    "mask",
                    D // 2,
                    field_aligned=False,
                    open_value=1.0,
                    value_range="[0, inf)",
                )
                cross_tap = self._add_site(
                    f"{network}{layer}",
                    "cross",
                    D,
                    field_aligned=True,
                    open_value=None,
                    value_range="real",
                )
                exponential = network == "exponential"
                layers.append(SelfMaskCrossLayer(D, exponential, mask_tap, cross_tap))
            networks[network] = nn.ModuleList(layers)
        self.networks = nn.ModuleDict(networks)
        self.outputs = nn.ModuleDict({network: nn.Linear(D, 1) for network in NETWORKS})

    def network_logits(self, emb: torch.Tensor) -> dict[str, torch.Tensor]:
        """Each cross network's own (rows,) logit."""
        x0 = emb.flatten(1)  # (rows, D)
        logits = {}
        for network, layers in self.networks.items():
            x = x0
            for layer in layers:
                x = layer(x0, x)
            logits[network] = self.outputs[network](x).squeeze(1)
        return logits

    def head(self, emb: torch.Tensor) -> torch.Tensor:
        z = torch.stack(list(self.network_logits(emb).values()), dim=1)  # (rows, 2)
        # logit of the mean probability: log p - log(1 - p), both as log-mean-exp
        log_p = torch.logsumexp(nnf.logsigmoid(z), dim=1) - math.log(2)
        log_not_p = torch.logsumexp(nnf.logsigmoid(-z), dim=1) - math.log(2)
        return log_p - log_not_p
