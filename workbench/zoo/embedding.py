"""Field embeddings shared by the CTR models: a table per field, or one hashed shared table.

The shared ("unified", Coleman et al. 2023) variant multiplexes every field's levels into one
table of ``shared_buckets`` rows; level ``v`` of field ``f`` goes to bucket ``h(seed, f, v)``.
The hash is a seeded SplitMix64 finaliser computed once with numpy's wrapping uint64 arithmetic
(not Python's ``hash()``, which is salted per process), so bucket assignments are the same on
every machine and run. The bucket of every (field, level) is stored in a buffer, so the forward
pass is a plain gather.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from workbench.errors import DataError, ParameterError

__all__ = ["FieldEmbedding", "hash_bucket"]

_INIT_STD = 0.05  # small random rows: trains quickly under Adam without saturating the gates
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def hash_bucket(seed: int, field: int, levels: np.ndarray, n_buckets: int) -> np.ndarray:
    """Bucket of each level of one field: SplitMix64 of (seed, field, level) modulo n_buckets.

    Parameters
    ----------
    seed, field : int
        Salt of the hash; different fields get independent bucket assignments.
    levels : ndarray of int
        Level codes.
    n_buckets : int
        Rows of the shared table.

    Returns
    -------
    ndarray of int64, same shape as ``levels``.

    Example
    -------
    >>> hash_bucket(0, 1, np.arange(3), 100).tolist()  # the same list on every run and machine
    """
    with np.errstate(over="ignore"):
        z = np.asarray(levels, dtype=np.uint64)
        z = z + np.uint64(seed) * _GOLDEN + np.uint64(field + 1) * np.uint64(0xD1B54A32D192ED03)
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(n_buckets)).astype(np.int64)


class FieldEmbedding(nn.Module):
    """Embeds integer field codes: one table per field, or one hashed table shared by all.

    Parameters
    ----------
    vocab_sizes : sequence of int
        Levels per field; codes of field ``f`` are 0..vocab_sizes[f]-1.
    dim : int
        Embedding size of every field (unless ``field_dims`` is given).
    field_names : sequence of str, optional
        Default ``field0, field1, ...``.
    shared_buckets : int, optional
        Use one shared table with this many rows (hashed multiplexing) instead of a table per
        field.
    hash_seed : int
        Salt of the bucket hash (shared table only).
    field_dims : sequence of int, optional
        Per-field sizes (per-field tables only). Then ``forward`` is unavailable, use ``flat``.

    Attributes
    ----------
    field_names, vocab_sizes, dims : tuple
    is_shared : bool
    n_rows_total : int
        Rows in the table(s).
    shared_weight : Parameter or None
        (shared_buckets, dim) when shared.

    Example
    -------
    >>> emb = FieldEmbedding([3, 5], dim=4, shared_buckets=6)
    >>> emb(torch.tensor([[0, 4], [2, 1]])).shape
    torch.Size([2, 2, 4])
    """

    def __init__(
        self,
        vocab_sizes: Sequence[int],
        dim: int = 16,
        *,
        field_names: Sequence[str] | None = None,
        shared_buckets: int | None = None,
        hash_seed: int = 0,
        field_dims: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        vocab = _positive_ints(vocab_sizes, "vocab_sizes")
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ParameterError(f"dim must be a positive integer, got {dim!r}")
        dims = (
            (dim,) * len(vocab) if field_dims is None else _positive_ints(field_dims, "field_dims")
        )
        if len(dims) != len(vocab):
            raise ParameterError(
                f"field_dims has {len(dims)} sizes but vocab_sizes has {len(vocab)} fields"
            )
        names = (
            tuple(f"field{i}" for i in range(len(vocab)))
            if field_names is None
            else tuple(str(n) for n in field_names)
        )
        if len(names) != len(vocab):
            raise ParameterError(
                f"field_names has {len(names)} names but vocab_sizes has {len(vocab)} fields"
            )
        if shared_buckets is not None and field_dims is not None:
            raise ParameterError("field_dims needs a table per field; drop shared_buckets")
        self.field_names: tuple[str, ...] = names
        self.vocab_sizes: tuple[int, ...] = vocab
        self.dims: tuple[int, ...] = dims
        self.is_shared: bool = shared_buckets is not None
        self.hash_seed = int(hash_seed)
        offsets = np.concatenate([[0], np.cumsum(vocab)[:-1]]).astype(np.int64)
        self.register_buffer("_offsets", torch.from_numpy(offsets), persistent=False)
        if self.is_shared:
            if isinstance(shared_buckets, bool) or not isinstance(shared_buckets, int):
                raise ParameterError(f"shared_buckets must be an integer, got {shared_buckets!r}")
            if shared_buckets < 1:
                raise ParameterError(f"shared_buckets must be >= 1, got {shared_buckets}")
            buckets = np.concatenate(
                [
                    hash_bucket(self.hash_seed, f, np.arange(v), shared_buckets)
                    for f, v in enumerate(vocab)
                ]
            )  # (sum vocab,)
            self.register_buffer("_bucket_of", torch.from_numpy(buckets), persistent=False)
            self.shared_weight: nn.Parameter | None = nn.Parameter(
                torch.randn(shared_buckets, dim) * _INIT_STD
            )
            # No child modules: wrap_model reads the input width from the first leaf layer, and
            # an empty ModuleList would let it skip to the model's first Linear.
            self.tables: nn.ModuleList | None = None
            self.n_rows_total: int = shared_buckets
        else:
            self.shared_weight = None
            self.tables = nn.ModuleList(
                nn.Embedding(v, d) for v, d in zip(vocab, dims, strict=True)
            )
            for table in self.tables:
                nn.init.normal_(table.weight, std=_INIT_STD)
            self.n_rows_total = int(sum(vocab))

    @property
    def n_fields(self) -> int:
        return len(self.vocab_sizes)

    @property
    def total_dim(self) -> int:
        """Width of the flattened embedding (sum of the field dims)."""
        return int(sum(self.dims))

    def field_slices(self) -> tuple[slice, ...]:
        """Where each field sits along the flattened embedding axis."""
        ends = np.cumsum(self.dims)
        return tuple(slice(int(end - d), int(end)) for end, d in zip(ends, self.dims, strict=True))

    def row_index(self, field: int, codes: torch.Tensor) -> torch.Tensor:
        """Row of each code: a bucket of the shared table, or the code itself (per-field table)."""
        self._check_field(field)
        codes = codes.long()
        self._check_codes(codes, field)
        if not self.is_shared:
            return codes
        return self._bucket_of[self._offsets[field] + codes]

    def field_table(self, field: int) -> torch.Tensor:
        """(vocab_f, dim_f): the vector each level of the field gets."""
        self._check_field(field)
        if not self.is_shared:
            return self.tables[field].weight
        levels = torch.arange(self.vocab_sizes[field], device=self._offsets.device)
        return self.shared_weight[self.row_index(field, levels)]

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """(batch, n_fields) integer codes -> (batch, n_fields, dim) embeddings."""
        if len(set(self.dims)) > 1:
            raise ParameterError("fields have different dims; use FieldEmbedding.flat")
        codes = self._checked(codes)
        if self.is_shared:
            return self.shared_weight[self._bucket_of[codes + self._offsets]]
        return torch.stack([table(codes[:, f]) for f, table in enumerate(self.tables)], dim=1)

    def flat(self, codes: torch.Tensor) -> torch.Tensor:
        """(batch, n_fields) codes -> (batch, sum of dims): the fields' vectors side by side."""
        if len(set(self.dims)) == 1:
            return self.forward(codes).flatten(1)
        codes = self._checked(codes)
        return torch.cat([table(codes[:, f]) for f, table in enumerate(self.tables)], dim=1)

    def extra_repr(self) -> str:
        kind = f"shared_buckets={self.n_rows_total}" if self.is_shared else "per-field tables"
        return f"fields={self.n_fields}, dims={self.dims}, {kind}"

    # ------------------------------------------------------------------- validation

    def check_codes(self, codes: torch.Tensor) -> None:
        """A one-line DataError unless ``codes`` (rows, n_fields) are whole numbers inside each
        field's vocabulary (what every forward pass checks, for a caller to check first)."""
        self._checked(codes)

    def _checked(self, codes: torch.Tensor) -> torch.Tensor:
        if not isinstance(codes, torch.Tensor) or codes.ndim != 2:
            shape = tuple(codes.shape) if isinstance(codes, torch.Tensor) else type(codes).__name__
            raise DataError(f"codes must be a (batch, n_fields) tensor, got {shape}")
        if codes.shape[1] != self.n_fields:
            raise DataError(
                f"codes has {codes.shape[1]} columns but the model has {self.n_fields} fields"
            )
        if codes.is_floating_point():
            # .long() would truncate 2.5 to 2: a silently different category
            fractional = codes != codes.round()
            if bool(fractional.any()):
                column = int(torch.nonzero(fractional.any(dim=0))[0])
                value = float(codes[:, column][fractional[:, column]][0])
                raise DataError(
                    f"field {self.field_names[column]!r}: code {value:g} is not a whole number; "
                    "fields hold integer category codes"
                )
        codes = codes.long()
        self._check_codes(codes, None)
        return codes

    def _check_codes(self, codes: torch.Tensor, field: int | None) -> None:
        if codes.numel() == 0:
            return
        vocab = torch.as_tensor(self.vocab_sizes, device=codes.device)
        limit = vocab[field] if field is not None else vocab  # () or (n_fields,)
        bad = (codes < 0) | (codes >= limit)
        if bool(bad.any()):
            column = field if field is not None else int(torch.nonzero(bad.any(dim=0))[0])
            value, top = int(codes[bad][0]), self.vocab_sizes[column] - 1
            raise DataError(f"field {self.field_names[column]!r}: code {value} outside 0..{top}")

    def _check_field(self, field: int) -> None:
        if isinstance(field, bool) or not isinstance(field, int) or not 0 <= field < self.n_fields:
            raise ParameterError(
                f"field must be an integer in 0..{self.n_fields - 1}, got {field!r}"
            )


def _positive_ints(values: Sequence[int], argument: str) -> tuple[int, ...]:
    try:
        result = tuple(int(v) for v in values)
    except (TypeError, ValueError):
        raise ParameterError(f"{argument} must be a sequence of integers, got {values!r}") from None
    if not result:
        raise ParameterError(f"{argument} is empty; it needs one entry per field")
    if any(v < 1 for v in result) or any(
        float(v) != float(o) for v, o in zip(result, values, strict=True)
    ):
        raise ParameterError(f"{argument} must hold positive integers, got {list(values)!r}")
    return result
