"""OptInter (Lyu et al., ICDE 2022): memorize, factorize or be naive, chosen per field pair.

Written from the paper ("Memorize, Factorize, or be Naive: Learning Optimal Feature Interaction
Methods for CTR Prediction") and docs/ctr-models.md §1.1. For each field pair (i, j) the pair
term o_ij is one of
    memorize:  m_ij = E_cross[bucket(i, j, x_i, x_j)]   (an embedding of the cross-product value)
    factorize: e_i ⊙ e_j                                (Hadamard product of the field vectors)
    naive:     nothing                                  (the pair gets no explicit term)
In the search phase o_ij = Σ_k softmax(α_ij / τ)_k op_k with architecture weights α (P, 3)
trained jointly with the other weights (one-level, as the zoo's trainer trains every parameter;
the paper also describes a Gumbel-softmax relaxation). ``derive()`` takes argmax_k α_ij and
builds the retrain model, whose naive pairs are dropped. The logit is a DNN on
[e_1, …, e_F, o_12, …, o_{F-1,F}].

Cross-product values are numbered per pair (x_i · n_j + x_j after the earlier pairs' values);
with more of them than ``memorize_buckets`` they are hashed into that many rows with the seeded
SplitMix64 hash of ``workbench.zoo.embedding`` (collisions share a row), else each value has
its own row.

The chosen operation is the model's own interaction statement: ``operation_weights`` (P, 3)
and ``choices``; ``analyzers.intrinsic_weights`` compares it with measured interactions.
Site: ``pair_terms`` (kind "cross", (rows, active pairs · d), not field-aligned).

Switch: ``operation_override`` (None, or (P,) / (rows, P) operation indices, -1 = as the model
runs) replaces a pair's operation in ``forward`` without touching a weight, so "what if this
pair memorized / factorized / were naive" is an intervention (``forced_operations``;
``analyzers.operation_switches`` measures the loss change). A retrained model has no DNN
columns for the pairs it chose naive: those can only be forced to naive.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import nn

from workbench.errors import ParameterError
from workbench.zoo.base import CtrModel, check_hidden, mlp
from workbench.zoo.embedding import _INIT_STD, hash_bucket

__all__ = ["OPERATIONS", "OptInter"]

OPERATIONS = ("memorize", "factorize", "naive")
_MAX_CROSS_VALUES = 5_000_000  # the bucket of every cross value is a stored buffer


class OptInter(CtrModel):
    """A DNN on the field embeddings plus one searched interaction term per field pair.

    Parameters
    ----------
    vocab_sizes, field_names, embedding_dim, shared_buckets, hash_seed, field_dims
        As for ``CtrModel``; the Hadamard product needs one size for every field.
    hidden : sequence of int
        DNN widths.
    dropout : float
    choices : sequence of str, optional
        One of "memorize", "factorize", "naive" per field pair (pairs in
        ``itertools.combinations`` order): the retrain model. None: the search model.
    memorize_buckets : int
        Rows of the cross-product table (hashed when there are more cross values).
    temperature : float
        τ of softmax(α / τ) in the search.

    Example
    -------
    >>> searched = OptInter([3, 4, 5], embedding_dim=4)  # train it, then
    >>> retrain = searched.derive()  # argmax per pair; train it again
    """

    name = "optinter"

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
        choices: Sequence[str] | None = None,
        memorize_buckets: int = 10_000,
        temperature: float = 1.0,
    ) -> None:
        widths = check_hidden(hidden, "hidden")
        n_pairs = len(vocab_sizes) * (len(vocab_sizes) - 1) // 2
        if choices is not None:
            choices = [str(c) for c in choices]
            if len(choices) != n_pairs or not set(choices) <= set(OPERATIONS):
                raise ParameterError(
                    f"choices must hold {n_pairs} of {', '.join(OPERATIONS)} (one per field "
                    f"pair), got {choices!r}"
                )
        if isinstance(memorize_buckets, bool) or int(memorize_buckets) < 1:
            raise ParameterError(f"memorize_buckets must be >= 1, got {memorize_buckets!r}")
        if not float(temperature) > 0:
            raise ParameterError(f"temperature must be > 0, got {temperature!r}")
        super().__init__(
            vocab_sizes,
            field_names=field_names,
            embedding_dim=embedding_dim,
            shared_buckets=shared_buckets,
            hash_seed=hash_seed,
            field_dims=field_dims,
            hidden=widths,
            dropout=float(dropout),
            choices=choices,
            memorize_buckets=int(memorize_buckets),
            temperature=float(temperature),
        )
        if self.mixed_dims:
            raise ParameterError(
                f"field_dims: OptInter multiplies field vectors, so every field needs the same "
                f"size, got {list(self.embedding.dims)}"
            )
        self.pairs = tuple(itertools.combinations(range(self.n_fields), 2))
        self.searching = choices is None
        self.active = tuple(p for p, c in enumerate(choices or ()) if c != "naive")
        if self.searching:
            self.active = tuple(range(len(self.pairs)))
            self.alpha = nn.Parameter(torch.zeros(len(self.pairs), len(OPERATIONS)))
        self._build_cross_table(int(memorize_buckets))
        d = self.embedding.dims[0]
        width = len(self.active) * d
        self.pair_tap = None
        if width:
            self.pair_tap = self._add_site(
                "pair_terms",
                "cross",
                width,
                field_aligned=False,
                open_value=None,
                value_range="real",
            )
        self.dnn = mlp(self.flat_dim + width, widths, dropout, out_features=1)
        # an intervention, not a weight: a plain attribute, never in the state_dict
        self.operation_override: torch.Tensor | None = None

    def _build_cross_table(self, buckets: int) -> None:
        vocab = np.asarray(self.embedding.vocab_sizes, dtype=np.int64)
        sizes = [int(vocab[i] * vocab[j]) for i, j in self.pairs]
        total = sum(sizes)
        if total > _MAX_CROSS_VALUES:
            raise ParameterError(
                f"vocab_sizes: {total} cross-product values over all field pairs (more than "
                f"{_MAX_CROSS_VALUES}); OptInter needs smaller vocabularies"
            )
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        self.register_buffer("_pair_start", torch.from_numpy(starts), persistent=False)
        if total <= buckets:
            rows, bucket_of = total, np.arange(total, dtype=np.int64)  # one row per value
        else:
            seed = self.config["hash_seed"]
            parts = [hash_bucket(seed, p, np.arange(n), buckets) for p, n in enumerate(sizes)]
            rows, bucket_of = buckets, np.concatenate(parts)
        self.register_buffer("_cross_bucket", torch.from_numpy(bucket_of), persistent=False)
        self.cross = nn.Embedding(max(rows, 1), self.embedding.dims[0])
        nn.init.normal_(self.cross.weight, std=_INIT_STD)

    # ------------------------------------------------------------------ the interaction statement

    def operation_weights(self) -> torch.Tensor:
        """(pairs, 3) weight of memorize, factorize, naive per pair: softmax(α / τ) in the
        search, one-hot of the choice after."""
        if self.searching:
            return torch.softmax(self.alpha / self.config["temperature"], dim=1)
        index = torch.tensor([OPERATIONS.index(c) for c in self.config["choices"]])
        return nn.functional.one_hot(index, len(OPERATIONS)).float()

    def choices(self) -> list[str]:
        """The operation per field pair: the argmax of α in the search, the fixed choice after."""
        if not self.searching:
            return list(self.config["choices"])
        # ties go to the later operation, so an untrained pair (α all 0) claims nothing (naive)
        last = self.alpha.detach().flip(1).argmax(dim=1)
        return [OPERATIONS[len(OPERATIONS) - 1 - k] for k in last.tolist()]

    def derive(self) -> OptInter:
        """The retrain model of the current choices (fresh weights, the paper retrains)."""
        return type(self)(**{**self.config, "choices": self.choices()})

    # ------------------------------------------------------------------ the switch

    def check_override(self, override: torch.Tensor) -> torch.Tensor:
        """``override`` as a long tensor, (P,) or (rows, P), of -1 (as the model runs) or an
        index into ``OPERATIONS``; refuses forcing a retrained model's naive pair to a term."""
        override = torch.as_tensor(override)
        n_pairs = len(self.pairs)
        if override.ndim not in (1, 2) or override.shape[-1] != n_pairs:
            raise ParameterError(
                f"operation_override must be ({n_pairs},) or (rows, {n_pairs}), got shape "
                f"{tuple(override.shape)}"
            )
        override = override.long()
        if bool(((override < -1) | (override >= len(OPERATIONS))).any()):
            raise ParameterError(
                "operation_override holds -1 or 0, 1, 2 (memorize, factorize, naive)"
            )
        dropped = torch.ones(n_pairs, dtype=torch.bool, device=override.device)
        dropped[list(self.active)] = False
        refused = (override >= 0) & (override != OPERATIONS.index("naive")) & dropped
        if bool(refused.any()):
            first = int(refused.nonzero()[0, -1])
            raise ParameterError(
                f"operation_override: pair {self.pairs[first]} was retrained naive, so the DNN "
                "has no input for a term; it can only be forced to naive"
            )
        return override

    @contextlib.contextmanager
    def forced_operations(self, override: torch.Tensor) -> Iterator[OptInter]:
        """Run ``forward`` with pairs switched to other operations, then restore.

        >>> ops = torch.full((len(model.pairs),), -1)
        >>> ops[model.pairs.index((1, 3))] = OPERATIONS.index("naive")
        >>> with model.forced_operations(ops):
        ...     logits = model(X)
        """
        previous = self.operation_override
        self.operation_override = self.check_override(override)
        try:
            yield self
        finally:
            self.operation_override = previous

    # ------------------------------------------------------------------ forward

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        codes = X.long()
        return self.head(self.embed(codes), codes)

    def head(self, emb: torch.Tensor, codes: torch.Tensor | None = None) -> torch.Tensor:
        """DNN on [embeddings, pair terms]. Memorized terms look up the codes, so ``codes`` is
        needed whenever a pair memorizes (every pair in the search)."""
        parts = [emb.flatten(1)]
        if self.active:
            terms = self.pair_terms(emb, codes)  # (rows, active, d)
            parts.append(self.pair_tap(terms.flatten(1)))
        return self.dnn(torch.cat(parts, dim=1)).squeeze(1)

    def pair_terms(self, emb: torch.Tensor, codes: torch.Tensor | None) -> torch.Tensor:
        """(rows, active pairs, d): each active pair's term o_ij."""
        left = torch.tensor([self.pairs[p][0] for p in self.active], device=emb.device)
        right = torch.tensor([self.pairs[p][1] for p in self.active], device=emb.device)
        factorized = emb[:, left] * emb[:, right]
        ops = self.choices() if not self.searching else None
        override = self._active_override(emb.shape[0], emb.device)  # (rows or 1, active)
        if override is None and not self.searching and "memorize" not in ops:
            return factorized
        if codes is None:
            raise ParameterError("codes: OptInter's memorized pairs look up the field codes")
        vocab = torch.tensor(self.embedding.vocab_sizes, device=emb.device)
        index = torch.tensor(self.active, device=emb.device)
        ids = self._pair_start[index] + codes[:, left] * vocab[right] + codes[:, right]
        memorized = self.cross(self._cross_bucket[ids])  # (rows, active, d)
        if self.searching:
            w = self.operation_weights()[:, :, None]  # (pairs, 3, 1); naive adds 0
            terms = w[:, 0] * memorized + w[:, 1] * factorized
        else:
            memorize = torch.tensor([ops[p] == "memorize" for p in self.active], device=emb.device)
            terms = torch.where(memorize[None, :, None], memorized, factorized)
        if override is None:
            return terms
        op = override[:, :, None]  # (rows or 1, active, 1)
        # selections, not one-hot products: a pair forced to what it runs keeps its exact term
        forced = torch.where(op == 0, memorized, torch.where(op == 1, factorized, 0.0))
        return torch.where(op < 0, terms, forced)

    def _active_override(self, rows: int, device: torch.device) -> torch.Tensor | None:
        """The override's active-pair columns, (1 or rows, active), or None."""
        override = self.operation_override
        if override is None:
            return None
        override = override.to(device)
        if override.ndim == 1:
            override = override[None]
        elif override.shape[0] != rows:
            raise ParameterError(
                f"operation_override has {override.shape[0]} rows, the batch {rows}"
            )
        return override[:, list(self.active)]
