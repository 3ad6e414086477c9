"""Data as level codes per feature group, so perturbations are cheap integer substitutions.

Every group (a column, a one-hot block, an embedded field) takes a finite set of distinct
value patterns in the data: its *levels*. A row is then a vector of level codes, one per group,
and any perturbation the kernels need (replace a group by another row's value, or by each of its
levels in turn) is a substitution of codes. Codes also make identical rows easy to find: the
kernels evaluate each distinct perturbed row once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import torch

# Mixed-radix keys must fit a signed 64-bit integer; beyond this we fall back to row-wise unique.
_MAX_KEY_BITS = 62


@dataclass(frozen=True, eq=False)
class GroupCoding:
    """Level codes of a data set's groups.

    Attributes
    ----------
    codes : Tensor
        (rows, groups) int64: the level of each group in each row.
    levels : tuple of Tensor
        Per group, (levels, group columns) float32: the distinct value patterns.
    columns : tuple of Tensor
        Per group, the column indices (int64) it covers in the feature matrix.
    n_features : int
        Width of the decoded feature matrix.
    counts : Tensor or None
        (rows,) int64: how many data rows each row stands for, when the rows are the distinct
        rows of a larger data set (``workbench.data.chunked``); None: each row is one row.
    """

    codes: torch.Tensor
    levels: tuple[torch.Tensor, ...]
    columns: tuple[torch.Tensor, ...]
    n_features: int
    counts: torch.Tensor | None = None
    # Per device: the decode table (see ``_decode_table``), built once and reused by every call.
    _tables: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_matrix(
        cls,
        X: torch.Tensor,
        group_columns: list[tuple[int, ...]],
        counts: torch.Tensor | None = None,
    ) -> GroupCoding:
        codes = torch.empty((X.shape[0], len(group_columns)), dtype=torch.int64)  # (rows, groups)
        levels = []
        for g, cols in enumerate(group_columns):
            block = X[:, list(cols)]  # (rows, group columns)
            patterns, inverse = torch.unique(block, dim=0, return_inverse=True)
            levels.append(patterns.contiguous())
            codes[:, g] = inverse
        columns = tuple(torch.tensor(cols, dtype=torch.int64) for cols in group_columns)
        return cls(codes, tuple(levels), columns, X.shape[1], counts)

    @property
    def n_groups(self) -> int:
        return self.codes.shape[1]

    @cached_property
    def n_levels(self) -> tuple[int, ...]:
        # Cached: the kernels ask for it per focus, and the levels never change.
        return tuple(level.shape[0] for level in self.levels)

    @cached_property
    def column_group(self) -> torch.Tensor:
        """(features,) int64: the group of each column, ``n_groups`` for a column in none."""
        column_group = torch.full((self.n_features,), self.n_groups, dtype=torch.int64)
        for g, cols in enumerate(self.columns):
            column_group[cols] = g
        return column_group

    @cached_property
    def n_data_rows(self) -> int:
        """Rows of the data set the codes stand for (the sum of ``counts`` when given)."""
        return self.codes.shape[0] if self.counts is None else int(self.counts.sum())

    def _row_weights(self) -> torch.Tensor:
        """(rows,) float64 rows per code row; integer-valued, so every sum of them is exact and
        a distribution from counts equals the one from the rows, bit for bit."""
        if self.counts is None:
            return torch.ones(self.codes.shape[0], dtype=torch.float64)
        return self.counts.to(torch.float64)

    def marginal(self, group: int) -> torch.Tensor:
        """(levels,) float64: the empirical distribution of a group's levels."""
        if self.counts is None:
            counts = torch.bincount(self.codes[:, group], minlength=self.n_levels[group])
            return counts.to(torch.float64) / self.codes.shape[0]
        counts = torch.bincount(
            self.codes[:, group], weights=self._row_weights(), minlength=self.n_levels[group]
        )
        return counts / self.n_data_rows

    def joint(self, groups: tuple[int, ...]) -> torch.Tensor:
        """(L_g1, ..., L_gk) float64: the empirical joint distribution of several groups."""
        shape = [self.n_levels[g] for g in groups]
        flat = torch.zeros(math.prod(shape), dtype=torch.float64)
        index = torch.zeros(self.codes.shape[0], dtype=torch.int64)
        for g, size in zip(groups, shape, strict=True):
            index = index * size + self.codes[:, g]
        flat.index_add_(0, index, self._row_weights())
        return (flat / self.n_data_rows).reshape(shape)

    def decode(self, codes: torch.Tensor, device: torch.device) -> torch.Tensor:
        """(rows, features) float32 on ``device`` for (rows, groups) codes.

        One gather for all groups: column c of a row is ``table[offset[c] + code * width[c]]``,
        the code being the row's level of c's group. Columns in no group decode to 0.
        """
        table, group, offset, width = self._decode_table(torch.device(device))
        codes = codes.to(device)
        if codes.shape[1] == 0:  # no groups: every column is in none
            return torch.zeros(
                (codes.shape[0], self.n_features), dtype=torch.float32, device=device
            )
        return table[offset + codes[:, group] * width]

    def _decode_table(self, device: torch.device) -> tuple[torch.Tensor, ...]:
        """(flat level values, group, offset, width) on ``device``, cached per device.

        The levels of group g, a (levels, w) matrix, sit row-major in the flat table from
        ``base[g]``, so level l of g's j-th column is at ``base[g] + j + l * w``. A column in no
        group reads a trailing 0 with width 0 (and group 0's code, which it ignores).
        """
        key = (device.type, device.index)
        cached = self._tables.get(key)
        if cached is not None:
            return cached
        n = self.n_features
        group = torch.zeros(n, dtype=torch.int64)
        offset = torch.zeros(n, dtype=torch.int64)
        width = torch.zeros(n, dtype=torch.int64)
        chunks, base = [], 0
        for g, (levels, cols) in enumerate(zip(self.levels, self.columns, strict=True)):
            w = levels.shape[1]
            group[cols], width[cols] = g, w
            offset[cols] = base + torch.arange(w, dtype=torch.int64)
            chunks.append(levels.reshape(-1).to(torch.float32))
            base += levels.numel()
        outside = self.column_group == self.n_groups
        offset[outside], width[outside] = base, 0
        table = torch.cat([*chunks, torch.zeros(1, dtype=torch.float32)])
        cached = tuple(t.to(device) for t in (table, group, offset, width))
        self._tables[key] = cached
        return cached


class MixedRadix:
    """Rows of codes as single int64 keys, when the code space fits 62 bits.

    A key changes by ``(new - old) * place[g]`` when one code changes, so perturbed rows get
    their keys without building their code matrix: one 1-D sort then finds distinct rows.
    """

    def __init__(self, radices: tuple[int, ...], device: torch.device | str = "cpu") -> None:
        self.radices = torch.tensor(radices, dtype=torch.int64, device=device)
        place = [1] * len(radices)
        for column in range(len(radices) - 2, -1, -1):
            place[column] = place[column + 1] * max(radices[column + 1], 1)
        self.places = tuple(place)  # Python ints: a per-group step costs no tensor indexing
        self.place = torch.tensor(place, dtype=torch.int64, device=device)  # (columns,)

    @staticmethod
    def fits(radices: tuple[int, ...]) -> bool:
        return sum(math.log2(max(r, 1)) for r in radices) < _MAX_KEY_BITS

    def encode(self, codes: torch.Tensor) -> torch.Tensor:
        """(rows,) keys of (rows, columns) codes."""
        return (codes * self.place).sum(dim=1)

    def decode(self, keys: torch.Tensor) -> torch.Tensor:
        """(rows, columns) codes of (rows,) keys."""
        return (keys.unsqueeze(1) // self.place) % self.radices
