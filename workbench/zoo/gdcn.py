"""GDCN (Wang et al., CIKM 2023): gated cross network stacked with a DNN (GDCN-S).

Written from the paper's equations (its repository has no licence, so none of its code is used):
    g_l     = sigmoid(W_g^l c_l)                          (bit-wise information gate, (0, 1))
    c_{l+1} = c_0 ⊙ (W_c^l c_l + b_l) ⊙ g_l + c_l
and the DNN reads c_L. With every gate at 1 a layer is a DCN-V2 cross layer.

Sites: ``cross{l}_gate`` (field-aligned gates) and ``cross{l}`` (the gated cross term
c_0 ⊙ (W_c c_l + b) ⊙ g_l, field-aligned, added to c_l).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from workbench.errors import ParameterError
from workbench.zoo.base import CtrModel, check_hidden, mlp


class GatedCrossLayer(nn.Module):
    """One gated cross layer with its two taps (gate and cross term)."""

    def __init__(self, width: int, gate_tap: nn.Module, cross_tap: nn.Module) -> None:
        super().__init__()
        self.cross = nn.Linear(width, width)
        self.gate = nn.Linear(width, width, bias=False)
        self.gate_tap = gate_tap
        self.cross_tap = cross_tap

    def forward(self, c0: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        gate = self.gate_tap(torch.sigmoid(self.gate(c)))  # (batch, D)
        return self.cross_tap(c0 * self.cross(c) * gate) + c


class GDCN(CtrModel):
    """Gated deep cross network, stacked form: cross layers, then a DNN, then a linear output.

    Parameters
    ----------
    vocab_sizes, field_names, embedding_dim, shared_buckets, hash_seed, field_dims
        As for ``CtrModel``.
    n_cross : int
        Gated cross layers.
    hidden : sequence of int
        DNN on the cross output (non-empty; FuxiCTR's GDCN fails on an empty DNN).
    dropout : float

    Example
    -------
    >>> [s.name for s in GDCN([3, 4], embedding_dim=4, n_cross=1).gate_sites()]
    ['cross0_gate', 'cross0']
    """

    name = "gdcn"

    def __init__(
        self,
        vocab_sizes: Sequence[int],
        *,
        field_names: Sequence[str] | None = None,
        embedding_dim: int = 16,
        shared_buckets: int | None = None,
        hash_seed: int = 0,
        field_dims: Sequence[int] | None = None,
        n_cross: int = 3,
        hidden: Sequence[int] = (64, 64),
        dropout: float = 0.0,
    ) -> None:
        if int(n_cross) < 1:
            raise ParameterError(f"n_cross must be >= 1, got {n_cross!r}")
        widths = check_hidden(hidden, "hidden")
        if not widths:
            raise ParameterError("hidden must have at least one layer for GDCN")
        super().__init__(
            vocab_sizes,
            field_names=field_names,
            embedding_dim=embedding_dim,
            shared_buckets=shared_buckets,
            hash_seed=hash_seed,
            field_dims=field_dims,
            n_cross=int(n_cross),
            hidden=widths,
            dropout=float(dropout),
        )
        D = self.flat_dim
        layers = []
        for layer in range(int(n_cross)):
            gate_tap = self._add_site(
                f"cross{layer}_gate",
                "gate",
                D,
                field_aligned=True,
                open_value=1.0,
                value_range="(0, 1)",
            )
            cross_tap = self._add_site(
                f"cross{layer}",
                "cross",
                D,
                field_aligned=True,
                open_value=None,
                value_range="real",
            )
            layers.append(GatedCrossLayer(D, gate_tap, cross_tap))
        self.cross_layers = nn.ModuleList(layers)
        self.dnn = mlp(D, widths, dropout, out_features=1)

    def head(self, emb: torch.Tensor) -> torch.Tensor:
        c0 = emb.flatten(1)  # (batch, D)
        c = c0
        for layer in self.cross_layers:
            c = layer(c0, c)
        return self.dnn(c).squeeze(1)
