"""AutoInt (Song et al., CIKM 2019): multi-head self-attention over the fields, with residuals.

Written from the paper's equations (§4.3-4.4); FuxiCTR's Apache-2.0 ``AutoInt`` and
``MultiHeadSelfAttention`` guided the layout (see NOTICE). Per layer l and head h, with e_m the
vector of field m (the field embedding in layer 0):
    α^h_{m,k} = softmax_k(⟨W_Q^h e_m, W_K^h e_k⟩)                 (eq. 5-6)
    ẽ^h_m     = Σ_k α^h_{m,k} W_V^h e_k                            (eq. 7)
    e_m      ← ReLU(ẽ^1_m ⊕ … ⊕ ẽ^H_m + W_Res e_m)                (eq. 8-9)
and the logit is wᵀ(e_1 ⊕ … ⊕ e_F) + b (eq. 10), plus a DNN on the embedding (AutoInt+) when
``hidden`` is not empty. Scores are not divided by √d by default, as in the paper and FuxiCTR's
``use_scale=False``.

FuxiCTR's attention module returns the attention and its caller discards it; here each layer's
α passes a tap. Sites: ``attention{l}`` (kind "attention", (rows, heads, F, F), each row a
simplex over the key fields; ablating it to uniform 1/F is the "no attention" intervention).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from workbench.errors import ParameterError
from workbench.zoo.base import CtrModel, check_hidden, mlp


class InteractingLayer(nn.Module):
    """One multi-head self-attention layer over fields, with its attention tap."""

    def __init__(
        self, width_in: int, head_dim: int, heads: int, scale: bool, attention_tap: nn.Module
    ) -> None:
        super().__init__()
        width_out = head_dim * heads
        self.query = nn.Linear(width_in, width_out, bias=False)
        self.key = nn.Linear(width_in, width_out, bias=False)
        self.value = nn.Linear(width_in, width_out, bias=False)
        self.residual = nn.Linear(width_in, width_out, bias=False)
        self.heads, self.head_dim, self.scale = heads, head_dim, scale
        self.attention_tap = attention_tap

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        rows, fields, _ = e.shape  # (rows, F, width_in)

        def split(x: torch.Tensor) -> torch.Tensor:  # (rows, F, H·d') -> (rows, H, F, d')
            return x.view(rows, fields, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.query(e)), split(self.key(e)), split(self.value(e))
        scores = q @ k.transpose(-1, -2)  # (rows, H, F, F): query field m, key field k
        if self.scale:
            scores = scores / self.head_dim**0.5
        attention = self.attention_tap(torch.softmax(scores, dim=-1))  # (rows, H, F, F)
        mixed = (attention @ v).transpose(1, 2).reshape(rows, fields, -1)  # (rows, F, H·d')
        return torch.relu(mixed + self.residual(e))


class AutoInt(CtrModel):
    """AutoInt (AutoInt+ with a non-empty ``hidden``).

    Parameters
    ----------
    vocab_sizes, field_names, embedding_dim, shared_buckets, hash_seed, field_dims
        As for ``CtrModel``; attention needs one size for every field, so ``field_dims`` must
        hold equal sizes.
    n_layers : int
        Interacting layers.
    heads : int
    head_dim : int
        Size d' of each head's query, key and value.
    scale : bool
        Divide the attention scores by √d' (the paper does not).
    hidden : sequence of int
        DNN on the flattened embedding beside the attention (AutoInt+); empty: plain AutoInt.
    dropout : float
        Dropout of that DNN.

    Example
    -------
    >>> [s.kind for s in AutoInt([3, 4], embedding_dim=4, n_layers=1).gate_sites()]
    ['attention']
    """

    name = "autoint"

    def __init__(
        self,
        vocab_sizes: Sequence[int],
        *,
        field_names: Sequence[str] | None = None,
        embedding_dim: int = 16,
        shared_buckets: int | None = None,
        hash_seed: int = 0,
        field_dims: Sequence[int] | None = None,
        n_layers: int = 2,
        heads: int = 2,
        head_dim: int = 16,
        scale: bool = False,
        hidden: Sequence[int] = (),
        dropout: float = 0.0,
    ) -> None:
        for argument, value in (("n_layers", n_layers), ("heads", heads), ("head_dim", head_dim)):
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
            n_layers=int(n_layers),
            heads=int(heads),
            head_dim=int(head_dim),
            scale=bool(scale),
            hidden=widths,
            dropout=float(dropout),
        )
        if self.mixed_dims:
            raise ParameterError(
                f"field_dims: AutoInt attends across fields, so every field needs the same "
                f"size, got {list(self.embedding.dims)}"
            )
        F, width_out = self.n_fields, int(head_dim) * int(heads)
        layers, width = [], self.embedding.dims[0]
        for layer in range(int(n_layers)):
            attention_tap = self._add_site(
                f"attention{layer}",
                "attention",
                F,
                field_aligned=False,
                open_value=None,
                value_range="simplex",
            )
            layers.append(
                InteractingLayer(width, int(head_dim), int(heads), bool(scale), attention_tap)
            )
            width = width_out
        self.layers = nn.ModuleList(layers)
        self.output = nn.Linear(F * width_out, 1)
        self.dnn = mlp(self.flat_dim, widths, dropout, out_features=1) if widths else None

    def head(self, emb: torch.Tensor) -> torch.Tensor:
        e = emb  # (rows, F, d)
        for block in self.layers:
            e = block(e)  # (rows, F, H·d')
        logit = self.output(e.flatten(1)).squeeze(1)
        if self.dnn is not None:
            logit = logit + self.dnn(emb.flatten(1)).squeeze(1)
        return logit
