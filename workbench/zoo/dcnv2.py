"""DCN-V2 (Wang et al., WWW 2021): CrossNetV2 (full rank) or CrossNetMix (low-rank experts).

Written from the paper's equations; FuxiCTR's Apache-2.0 ``CrossNetV2`` / ``CrossNetMix`` guided
the layout (see NOTICE). Parallel structure: the cross network and a DNN both read x_0, their
outputs are concatenated into one linear output.
    full: x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l
    mix:  x_{l+1} = Σ_k G_k(x_l) · x_0 ⊙ (U_k tanh(C_k tanh(V_kᵀ x_l)) + b_l) + x_l,
          G(x_l) = softmax_k(w_kᵀ x_l)

Sites: ``cross{l}`` (the cross term added to x_l, field-aligned) and, for "mix",
``cross{l}_experts`` (the expert gates, a simplex over experts).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from workbench.errors import ParameterError
from workbench.zoo.base import CtrModel, check_hidden, mlp

CROSS_TYPES = ("full", "mix")


class DCNv2(CtrModel):
    """DCN-V2, parallel form.

    Parameters
    ----------
    vocab_sizes, field_names, embedding_dim, shared_buckets, hash_seed, field_dims
        As for ``CtrModel``.
    cross_type : {"full", "mix"}
        Full-rank CrossNetV2 or the low-rank mixture of experts.
    n_cross : int
    n_experts, low_rank : int
        Experts and their rank ("mix" only).
    hidden : sequence of int
        The DNN beside the cross network.
    dropout : float

    Example
    -------
    >>> [s.name for s in DCNv2([3, 4], embedding_dim=4, n_cross=1, cross_type="mix").gate_sites()]
    ['cross0_experts', 'cross0']
    """

    name = "dcnv2"

    def __init__(
        self,
        vocab_sizes: Sequence[int],
        *,
        field_names: Sequence[str] | None = None,
        embedding_dim: int = 16,
        shared_buckets: int | None = None,
        hash_seed: int = 0,
        field_dims: Sequence[int] | None = None,
        cross_type: str = "mix",
        n_cross: int = 3,
        n_experts: int = 4,
        low_rank: int = 32,
        hidden: Sequence[int] = (64, 64),
        dropout: float = 0.0,
    ) -> None:
        if cross_type not in CROSS_TYPES:
            raise ParameterError(f"cross_type must be one of {CROSS_TYPES}, got {cross_type!r}")
        for argument, value in (
            ("n_cross", n_cross),
            ("n_experts", n_experts),
            ("low_rank", low_rank),
        ):
            if int(value) < 1:
                raise ParameterError(f"{argument} must be >= 1, got {value!r}")
        widths = check_hidden(hidden, "hidden")
        super().__init__(
            vocab_sizes,
            field_names=field_names,
            embedding_dim=embedding_dim,
            shared_buckets=shared_buckets,
            hash_seed=hash_seed,
            field_dims=field_dims,
            cross_type=cross_type,
            n_cross=int(n_cross),
            n_experts=int(n_experts),
            low_rank=int(low_rank),
            hidden=widths,
            dropout=float(dropout),
        )
        D, L, K, r = self.flat_dim, int(n_cross), int(n_experts), int(low_rank)
        self.cross_type = cross_type
        self.cross_taps, self.expert_taps = [], []
        for layer in range(L):
            if cross_type == "mix":
                self.expert_taps.append(
                    self._add_site(
                        f"cross{layer}_experts",
                        "expert_gate",
                        K,
                        field_aligned=False,
                        open_value=None,
                        value_range="simplex",
                    )
                )
            self.cross_taps.append(
                self._add_site(
                    f"cross{layer}",
                    "cross",
                    D,
                    field_aligned=True,
                    open_value=None,
                    value_range="real",
                )
            )
        self.cross_bias = nn.Parameter(torch.zeros(L, D))
        if cross_type == "full":
            self.cross_weight = nn.ParameterList(
                nn.Parameter(nn.init.xavier_normal_(torch.empty(D, D))) for _ in range(L)
            )
        else:
            self.U = nn.Parameter(nn.init.xavier_normal_(torch.empty(L, K, D, r)))
            self.V = nn.Parameter(nn.init.xavier_normal_(torch.empty(L, K, D, r)))
            self.C = nn.Parameter(nn.init.xavier_normal_(torch.empty(L, K, r, r)))
            self.expert_gates = nn.Linear(D, K, bias=False)
        self.dnn = mlp(D, widths, dropout)
        self.output = nn.Linear(D + (widths[-1] if widths else D), 1)

    def head(self, emb: torch.Tensor) -> torch.Tensor:
        x0 = emb.flatten(1)  # (batch, D)
        x = x0
        for layer, tap in enumerate(self.cross_taps):
            if self.cross_type == "full":
                term = x0 * (x @ self.cross_weight[layer].T + self.cross_bias[layer])
            else:
                gates = self.expert_taps[layer](
                    torch.softmax(self.expert_gates(x), dim=1)
                )  # (batch, K)
                low = torch.tanh(torch.einsum("bd,kdr->bkr", x, self.V[layer]))
                low = torch.tanh(torch.einsum("bkr,krs->bks", low, self.C[layer]))
                up = torch.einsum("bks,kds->bkd", low, self.U[layer]) + self.cross_bias[layer]
                term = torch.einsum("bk,bkd->bd", gates, x0.unsqueeze(1) * up)  # (batch, D)
            x = tap(term) + x
        deep = self.dnn(x0) if len(self.dnn) else x0
        return self.output(torch.cat([x, deep], dim=1)).squeeze(1)
