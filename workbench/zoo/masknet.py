"""MaskNet (Wang et al., DLP-KDD 2021): instance-guided masks in serial or parallel MaskBlocks.

Written from the paper's equations; FuxiCTR's Apache-2.0 code guided the layout (see NOTICE).
Every block computes its mask from the raw flattened embedding V_emb:
    V_mask = W2 · ReLU(W1 · V_emb + b1) + b2        (unbounded, no sigmoid)
    out    = ReLU(LN(W_h · (V_mask ⊙ V_in)))
Serial: block 0 masks LN_EMB(V_emb), block k > 0 masks block k-1's output (hidden units, not
field-aligned). Parallel: every block masks LN_EMB(V_emb); outputs concatenated into an MLP.
LN_EMB normalises each field on its own (paper eq. 9):
    LN_EMB(V_emb) = concat(LN(e_1), ..., LN(e_F))
with one LayerNorm (own gain and bias) per field, so a field with large embeddings cannot
shrink the others' share of the mask input as one LayerNorm over the concatenation would.

Sites: ``block{k}_mask`` (field-aligned when the block masks the embedding).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from workbench.errors import ParameterError
from workbench.zoo.base import CtrModel, check_hidden, mlp

MASKNET_MODES = ("serial", "parallel")


class MaskBlock(nn.Module):
    """One instance-guided mask block; ``tap`` sits on the mask."""

    def __init__(self, mask_from: int, width_in: int, width_out: int, reduction: float, tap):
        super().__init__()
        self.mask_layer = nn.Sequential(
            nn.Linear(mask_from, max(1, int(width_in * reduction))),
            nn.ReLU(),
            nn.Linear(max(1, int(width_in * reduction)), width_in),
        )
        self.hidden = nn.Linear(width_in, width_out, bias=False)
        self.norm = nn.LayerNorm(width_out)
        self.tap = tap

    def forward(self, v_emb: torch.Tensor, v_in: torch.Tensor) -> torch.Tensor:
        mask = self.tap(self.mask_layer(v_emb))  # (batch, width_in)
        return torch.relu(self.norm(self.hidden(mask * v_in)))


class MaskNet(CtrModel):
    """Serial or parallel MaskNet.

    Parameters
    ----------
    vocab_sizes, field_names, embedding_dim, shared_buckets, hash_seed, field_dims
        As for ``CtrModel``.
    mode : {"serial", "parallel"}
    n_blocks : int
    block_width : int
        Output width of every block.
    reduction : float
        Hidden width of the mask MLP relative to the masked width (the paper's ratio r).
    hidden : sequence of int
        MLP after the blocks (parallel) or on the last block (serial).
    dropout : float

    Example
    -------
    >>> MaskNet([3, 4], embedding_dim=4, mode="parallel", n_blocks=2).gate_sites()[1].name
    'block1_mask'
    """

    name = "masknet"
    revision = 2  # 2: per-field LayerNorm (eq. 9); weights of revision 1 do not fit

    def __init__(
        self,
        vocab_sizes: Sequence[int],
        *,
        field_names: Sequence[str] | None = None,
        embedding_dim: int = 16,
        shared_buckets: int | None = None,
        hash_seed: int = 0,
        field_dims: Sequence[int] | None = None,
        mode: str = "serial",
        n_blocks: int = 3,
        block_width: int = 64,
        reduction: float = 1.0,
        hidden: Sequence[int] = (64,),
        dropout: float = 0.0,
    ) -> None:
        if mode not in MASKNET_MODES:
            raise ParameterError(f"mode must be one of {MASKNET_MODES}, got {mode!r}")
        if int(n_blocks) < 1:
            raise ParameterError(f"n_blocks must be >= 1, got {n_blocks!r}")
        widths = check_hidden(hidden, "hidden")
        super().__init__(
            vocab_sizes,
            field_names=field_names,
            embedding_dim=embedding_dim,
            shared_buckets=shared_buckets,
            hash_seed=hash_seed,
            field_dims=field_dims,
            mode=mode,
            n_blocks=int(n_blocks),
            block_width=int(block_width),
            reduction=float(reduction),
            hidden=widths,
            dropout=float(dropout),
        )
        D = self.flat_dim
        self.mode = mode
        # eq. 9: one LayerNorm per field (each over that field's own dims)
        self.field_norms = nn.ModuleList(nn.LayerNorm(dim) for dim in self.embedding.dims)
        blocks = []
        for k in range(int(n_blocks)):
            on_embedding = mode == "parallel" or k == 0
            width_in = D if on_embedding else int(block_width)
            tap = self._add_site(
                f"block{k}_mask",
                "mask",
                width_in,
                field_aligned=on_embedding,
                open_value=1.0,
                value_range="real",
            )
            blocks.append(MaskBlock(D, width_in, int(block_width), float(reduction), tap))
        self.blocks = nn.ModuleList(blocks)
        head_in = int(block_width) * (int(n_blocks) if mode == "parallel" else 1)
        self.output_mlp = mlp(head_in, widths, dropout, out_features=1)

    def normalise_fields(self, v_emb: torch.Tensor) -> torch.Tensor:
        """LN_EMB of eq. 9: (batch, D) -> (batch, D), each field's columns layer-normed alone."""
        parts = [
            norm(v_emb[:, columns])
            for norm, columns in zip(self.field_norms, self.field_slices(), strict=True)
        ]
        return torch.cat(parts, dim=1)

    def head(self, emb: torch.Tensor) -> torch.Tensor:
        v_emb = emb.flatten(1)  # (batch, D)
        normed = self.normalise_fields(v_emb)  # (batch, D)
        if self.mode == "parallel":
            out = torch.cat([block(v_emb, normed) for block in self.blocks], dim=1)
        else:
            out = normed
            for block in self.blocks:
                out = block(v_emb, out)  # (batch, block_width)
        return self.output_mlp(out).squeeze(1)
