"""OptFS (Lyu et al., WWW 2023): a learned gate per feature value selects the feature set.

Written from the paper and docs/ctr-models.md §1.1; the layout follows OptFS's MIT-licensed
``modules/mask.py`` ``MaskEmbedding`` (see NOTICE). Every feature value x (a level of a field)
has one scalar m_x. The embedding e_x enters the backbone as g_x · e_x with
    search phase:  g_x = σ(τ m_x) / σ(m_0)      (m_0 = ``mask_init``, so g = 1 at the start)
    ticket:        g_x = 1[m_x > 0]             (the retrained model: exactly 0 or 1)
The search adds λ · Σ_x σ(τ m_x) to the loss (``training_penalty``): a sum over values, as
OptFS's ``MaskEmbedding.reg`` (λ is per value, so a larger vocabulary is penalised more, as in
the paper, whose λ of 1e-9..1e-8 over millions of values puts λ·N at 0.01..0.07). τ rises
geometrically from 1 to ``final_temperature`` per step over a fixed-length search (``anneal``;
``workbench.zoo.optfs_search.run_search``, which the zoo's trainer also runs for a search-phase
OptFS, so the gates are hard at its end). ``gate_hardness`` says how hard the gates are;
``ticket()`` derives the 0/1 model, to be retrained with the zoo's trainer.

Assumptions (the paper applies the gates to several backbones): the backbone here is a DNN on
the gated, flattened embedding (no ungated first-order term, so a 0-gated value contributes
nothing); gates are per (field, level) also with a shared hashed table.

Site: ``value_gate`` (kind "gate", field-aligned: each value's gate repeated over its field's
embedding columns, (rows, D)), open value 1.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from workbench.errors import ParameterError
from workbench.zoo.base import CtrModel, check_hidden, mlp

__all__ = ["HARD_TOLERANCE", "OptFS"]

PHASES = ("search", "ticket")
# a gate within this of 0 or 1 counts as hard (``gate_hardness``): |τ m| >= ln(19) ≈ 2.94
HARD_TOLERANCE = 0.05


class OptFS(CtrModel):
    """A DNN whose input embeddings are gated per feature value (OptFS).

    Parameters
    ----------
    vocab_sizes, field_names, embedding_dim, shared_buckets, hash_seed, field_dims
        As for ``CtrModel``.
    hidden : sequence of int
        Widths of the DNN backbone.
    dropout : float
    phase : "search" or "ticket"
        Continuous gates with temperature, or fixed 0/1 gates 1[m > 0].
    mask_init : float
        Initial m of every value (OptFS's ``mask_initial_value``); must be > 0 so every value
        starts selected.
    final_temperature : float
        τ reached at the end of the search (OptFS's ``final_temp``, 200 by default).
    penalty : float
        λ of the sparsity penalty λ · Σ_x σ(τ m_x) (search only; a sum over values, as the
        paper's). The default selects on Adult (160 values): see ``optfs_search``.

    Example
    -------
    >>> searched = OptFS([3, 4], embedding_dim=4)  # train it, then
    >>> ticket = searched.ticket()  # gates 1[m > 0]; retrain with train_ctr_model
    """

    name = "optfs"
    # 2: the penalty became a sum over values (was a mean), with a new default λ
    # 3: train_ctr_model runs OptFS's search (τ per step, no early stopping), not per-epoch τ
    revision = 3

    def __init__(
        self,
        vocab_sizes: Sequence[int],
        *,
        field_names: Sequence[str] | None = None,
        embedding_dim: int = 16,
        shared_buckets: int | None = None,
        hash_seed: int = 0,
        field_dims: Sequence[int] | None = None,
        hidden: Sequence[int] = (64, 64),
        dropout: float = 0.0,
        phase: str = "search",
        mask_init: float = 0.5,
        final_temperature: float = 200.0,
        penalty: float = 1e-4,
    ) -> None:
        widths = check_hidden(hidden, "hidden")
        if phase not in PHASES:
            raise ParameterError(f"phase must be one of {', '.join(PHASES)}, got {phase!r}")
        if not float(mask_init) > 0:
            raise ParameterError(f"mask_init must be > 0 (every value starts on), got {mask_init}")
        if not float(final_temperature) >= 1:
            raise ParameterError(f"final_temperature must be >= 1, got {final_temperature!r}")
        if not float(penalty) >= 0:
            raise ParameterError(f"penalty must be >= 0, got {penalty!r}")
        super().__init__(
            vocab_sizes,
            field_names=field_names,
            embedding_dim=embedding_dim,
            shared_buckets=shared_buckets,
            hash_seed=hash_seed,
            field_dims=field_dims,
            hidden=widths,
            dropout=float(dropout),
            phase=phase,
            mask_init=float(mask_init),
            final_temperature=float(final_temperature),
            penalty=float(penalty),
        )
        vocab = self.embedding.vocab_sizes
        self.mask_weight = nn.Parameter(torch.full((sum(vocab),), float(mask_init)))
        offsets = torch.tensor([0, *itertools.accumulate(vocab)][:-1])  # first value of a field
        self.register_buffer("_value_offsets", offsets, persistent=False)
        dims = torch.tensor(self.embedding.dims)
        columns = torch.repeat_interleave(torch.arange(self.n_fields), dims)  # field per column
        self.register_buffer("_field_of_column", columns, persistent=False)
        # τ is training state, not a weight: a buffer, saved so a reloaded search model agrees
        self.register_buffer("temperature", torch.tensor(1.0))
        self.gate_tap = self._add_site(
            "value_gate",
            "gate",
            self.flat_dim,
            field_aligned=True,
            open_value=1.0,
            value_range="{0, 1}" if phase == "ticket" else f"(0, {1 / _sigmoid(mask_init):.3g})",
        )
        self.dnn = mlp(self.flat_dim, widths, dropout, out_features=1)

    # ------------------------------------------------------------------ gates

    def value_gates(self, X: torch.Tensor) -> torch.Tensor:
        """(rows, n_fields) gate of each row's value in each field."""
        m = self.mask_weight[X.long() + self._value_offsets]
        if self.config["phase"] == "ticket":
            return (m > 0).to(m.dtype)
        return torch.sigmoid(self.temperature * m) / _sigmoid(self.config["mask_init"])

    def kept_values(self) -> torch.Tensor:
        """(sum of vocab,) bool: the values the ticket keeps (m > 0), field after field."""
        return self.mask_weight.detach() > 0

    def ticket(self) -> OptFS:
        """The retrain-phase model: the same weights, gates fixed to 1[m > 0].

        A hard search gate is 1[m > 0] / σ(m_0) (OptFS's ``compute_mask`` scales its ticket
        too); the 1/σ(m_0) goes into the embedding here, so the ticket's gates stay 0/1 and,
        once the search gates are hard, the ticket computes what the searched model does.
        """
        ticket = type(self)(**{**self.config, "phase": "ticket"})
        ticket.load_state_dict(self.state_dict())
        if self.config["phase"] == "search":
            with torch.no_grad():
                for weight in ticket.embedding.parameters():
                    weight.mul_(1 / _sigmoid(self.config["mask_init"]))
        return ticket

    # ------------------------------------------------------------------ training hooks

    def training_penalty(self) -> torch.Tensor | None:
        """λ · Σ over values of σ(τ m) during the search (pushes unneeded gates to 0)."""
        if self.config["phase"] == "ticket" or self.config["penalty"] == 0:
            return None
        return self.config["penalty"] * torch.sigmoid(self.temperature * self.mask_weight).sum()

    def anneal(self, step: int, total_steps: int) -> None:
        """τ = final^(step / (total_steps - 1)) for step 0..total_steps - 1: 1 at the first
        step, ``final_temperature`` at the last (and after it)."""
        share = min(step / max(total_steps - 1, 1), 1.0)
        self.temperature.fill_(self.config["final_temperature"] ** share)

    def gate_hardness(self, tolerance: float = HARD_TOLERANCE) -> float:
        """Share of feature values whose gate σ(τ m) (before the 1/σ(m_0) scaling) lies within
        ``tolerance`` of 0 or 1 at the current τ: 1 when the ticket 1[m > 0] is what the
        searched model computed, lower when the ticket is read from soft gates."""
        if self.config["phase"] == "ticket":
            return 1.0
        gates = torch.sigmoid(self.temperature * self.mask_weight.detach())
        hard = (gates <= tolerance) | (gates >= 1 - tolerance)
        return float(hard.float().mean())

    # ------------------------------------------------------------------ forward

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        flat = self.embed(X)
        flat = flat if self.mixed_dims else flat.flatten(1)  # (rows, D)
        gates = self.value_gates(X)[:, self._field_of_column]  # (rows, D)
        return self.head(flat * self.gate_tap(gates))

    def head(self, emb: torch.Tensor) -> torch.Tensor:
        """The DNN backbone on the (already gated) embedding; ``forward`` applies the gates,
        which are looked up from the codes, not computed from the embedding."""
        return self.dnn(emb.flatten(1)).squeeze(1)


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-float(value)))
