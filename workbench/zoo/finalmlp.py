"""FinalMLP (Mao et al., AAAI 2023): two gated MLP streams fused by multi-head bilinear pooling.

Follows the equations of the paper; FuxiCTR's Apache-2.0 implementation guided the layout (see
NOTICE). Each stream s multiplies the flattened embedding e by a feature gate
g_s = 2·sigmoid(MLP_s(context_s)) (range (0, 2), 1 = neutral). With an empty context the gate
input is a learned bias repeated over the batch, so the gate is the same for every row (the
FuxiCTR default, documented in docs/ctr-models.md); by default both streams here condition on all
fields. Fusion, per head h: w1·x1h + w2·x2h + x1hᵀ W_h x2h + b, summed over heads.

Sites: ``stream1_gate``, ``stream2_gate`` (field-aligned gates), ``fusion`` (per-head logits).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from workbench.errors import ParameterError
from workbench.zoo.base import CtrModel, check_hidden, mlp


class FinalMLP(CtrModel):
    """FinalMLP with feature gating and multi-head bilinear fusion.

    Parameters
    ----------
    vocab_sizes, field_names, embedding_dim, shared_buckets, hash_seed, field_dims
        As for ``CtrModel``.
    stream1_hidden, stream2_hidden : sequence of int
        Hidden widths of the two MLP streams (the last width feeds the fusion).
    gate_hidden : int
        Hidden width of each gate MLP.
    stream1_context, stream2_context : sequence of str or None
        Fields each gate conditions on; None means all fields, [] a learned constant.
    fusion_heads : int
        Heads of the bilinear fusion; must divide both streams' output widths.
    dropout : float

    Example
    -------
    >>> model = FinalMLP([3, 4], embedding_dim=4, fusion_heads=2)
    >>> model(torch.tensor([[0.0, 3.0]])).shape
    torch.Size([1])
    """

    name = "finalmlp"

    def __init__(
        self,
        vocab_sizes: Sequence[int],
        *,
        field_names: Sequence[str] | None = None,
        embedding_dim: int = 16,
        shared_buckets: int | None = None,
        hash_seed: int = 0,
        field_dims: Sequence[int] | None = None,
        stream1_hidden: Sequence[int] = (64, 64),
        stream2_hidden: Sequence[int] = (64, 64),
        gate_hidden: int = 64,
        stream1_context: Sequence[str] | None = None,
        stream2_context: Sequence[str] | None = None,
        fusion_heads: int = 4,
        dropout: float = 0.0,
    ) -> None:
        hidden1 = check_hidden(stream1_hidden, "stream1_hidden")
        hidden2 = check_hidden(stream2_hidden, "stream2_hidden")
        super().__init__(
            vocab_sizes,
            field_names=field_names,
            embedding_dim=embedding_dim,
            shared_buckets=shared_buckets,
            hash_seed=hash_seed,
            field_dims=field_dims,
            stream1_hidden=hidden1,
            stream2_hidden=hidden2,
            gate_hidden=int(gate_hidden),
            stream1_context=None if stream1_context is None else list(stream1_context),
            stream2_context=None if stream2_context is None else list(stream2_context),
            fusion_heads=int(fusion_heads),
            dropout=float(dropout),
        )
        D, d = self.flat_dim, embedding_dim
        self.context_fields = [
            self._context(stream1_context, "stream1_context"),
            self._context(stream2_context, "stream2_context"),
        ]
        self.context_bias = nn.ParameterList(
            nn.Parameter(torch.zeros(1, d)) if not fields else nn.Parameter(torch.zeros(0))
            for fields in self.context_fields
        )
        dims = self.embedding.dims
        self.gates = nn.ModuleList(
            mlp(sum(dims[f] for f in fields) or d, [gate_hidden], 0.0, out_features=D)
            for fields in self.context_fields
        )
        self.gate_taps = [
            self._add_site(
                f"stream{s}_gate",
                "gate",
                D,
                field_aligned=True,
                open_value=1.0,
                value_range="(0, 2)",
            )
            for s in (1, 2)
        ]
        self.streams = nn.ModuleList([mlp(D, hidden1, dropout), mlp(D, hidden2, dropout)])
        out1, out2, heads = hidden1[-1], hidden2[-1], int(fusion_heads)
        if heads < 1 or out1 % heads or out2 % heads:
            raise ParameterError(
                f"fusion_heads={fusion_heads!r} must divide both stream widths ({out1}, {out2})"
            )
        self.heads = heads
        self.fusion_linear1 = nn.Linear(out1, heads, bias=False)  # applied per head via a mask
        self.fusion_linear2 = nn.Linear(out2, heads, bias=False)
        self.fusion_bilinear = nn.Parameter(torch.empty(heads, out1 // heads, out2 // heads))
        nn.init.xavier_uniform_(self.fusion_bilinear)
        self.fusion_bias = nn.Parameter(torch.zeros(1))
        self.fusion_tap = self._add_site(
            "fusion", "cross", heads, field_aligned=False, open_value=None, value_range="real"
        )
        # Head h of the linear terms sees only its own slice of the stream output.
        self.register_buffer("_head_mask1", _head_mask(out1, heads), persistent=False)
        self.register_buffer("_head_mask2", _head_mask(out2, heads), persistent=False)

    def _context(self, fields: Sequence[str] | None, argument: str) -> list[int]:
        if fields is None:
            return list(range(self.n_fields))
        unknown = [f for f in fields if f not in self.field_names]
        if unknown:
            raise ParameterError(
                f"{argument}: unknown field {unknown[0]!r}; fields: {', '.join(self.field_names)}"
            )
        return [self.field_names.index(f) for f in fields]

    def head(self, emb: torch.Tensor) -> torch.Tensor:
        x1, x2 = self.stream_outputs(emb)  # (batch, out1), (batch, out2)
        return self.fuse(x1, x2)

    def stream_outputs(self, emb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The two gated streams' outputs, the inputs of the bilinear fusion; ``emb`` as for
        ``head`` (its flat (batch, D) form works too)."""
        flat = emb.flatten(1)  # (batch, D)
        streams = []
        for s in range(2):
            fields = self.context_fields[s]
            if fields:
                slices = self.field_slices()
                context = torch.cat([flat[:, slices[f]] for f in fields], dim=1)  # (batch, Σ dims)
            else:
                context = self.context_bias[s].expand(flat.shape[0], -1)  # (batch, dim)
            gate = self.gate_taps[s](2.0 * torch.sigmoid(self.gates[s](context)))  # (batch, D)
            streams.append(self.streams[s](flat * gate))
        return streams[0], streams[1]

    def fuse(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        """Multi-head bilinear fusion of the streams -> (batch,) logits."""
        heads = self.heads
        x1h = x1.view(x1.shape[0], heads, -1)  # (batch, heads, out1/heads)
        x2h = x2.view(x2.shape[0], heads, -1)
        bilinear = torch.einsum("bhi,hij,bhj->bh", x1h, self.fusion_bilinear, x2h)
        linear = (x1 @ (self.fusion_linear1.weight * self._head_mask1).T) + (
            x2 @ (self.fusion_linear2.weight * self._head_mask2).T
        )  # (batch, heads)
        per_head = self.fusion_tap(bilinear + linear)  # (batch, heads)
        return per_head.sum(dim=1) + self.fusion_bias


def _head_mask(width: int, heads: int) -> torch.Tensor:
    """(heads, width) 0/1: head h owns columns h·width/heads .. (h+1)·width/heads - 1."""
    owner = torch.arange(width) // (width // heads)
    return (owner.unsqueeze(0) == torch.arange(heads).unsqueeze(1)).float()
