"""The rows a focus is evaluated on: its distinct perturbed rows and their label statistics.

For one focus (a small tuple of groups) the ``SubsetLossKernel`` needs, for every subset of the
focus replaced, the rows the model sees and how much of each subset's mean loss each row carries.
The rows do not depend on the mask, so they are built once per focus and cached. "exact" puts
every distinct data row at every level combination of the focus groups, weighted by the
groups' marginals (or their joint distribution); "permutation" takes the focus groups from seeded
row permutations. Either way identical rows are merged, their label statistics summed.

``FocusRowBuilder`` is mixed into ``SubsetLossKernel``, whose ``__init__`` sets every attribute
read here (coding, row codes and statistics, caches); ``workbench.kernels.exact_batch`` builds
the exact rows of many foci at once, with the same result.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch

from workbench.errors import ParameterError
from workbench.kernels.exact_batch import batch_size, exact_rows_batch

_FOCUS_CACHE_SIZE = 64
# Data read in chunks (workbench.data.chunked) keeps distinct rows and their counts, which the
# exact estimator needs; a permutation moves single rows, so it needs every row.
_PERMUTATION_NEEDS_ROWS = (
    "holds the distinct rows of data read in chunks, so only estimator='exact' can run on it "
    "(a permutation moves single rows); load the data whole (Dataset.from_parquet) for {what}"
)

# (subset index, rows of the stacked code matrix, label statistics of those rows), or (slice of
# subsets, rows, (subsets, rows, stats) statistics) for many subsets at once
Contribution = tuple[int | slice, slice, torch.Tensor]


@dataclass(frozen=True, eq=False)
class FocusRows:
    """The distinct rows evaluated for one focus, and how they add up to each subset's loss.

    Attributes
    ----------
    codes : Tensor
        (rows, groups [+ label]) int64 codes of the distinct perturbed rows.
    inputs : Tensor
        (rows, features) float32 decoded inputs on the model's device.
    weights : Tensor
        (subsets, rows, stats) float64 on the device: label statistics of the data rows that map
        to each distinct row under each subset's replacement, divided by the number of data rows.
    labels : Tensor or None
        (rows,) label of each row, only for losses that cannot be regrouped.
    estimator : str
        "exact" or "permutation", whichever built these rows.
    """

    codes: torch.Tensor
    inputs: torch.Tensor
    weights: torch.Tensor
    labels: torch.Tensor | None
    estimator: str


class FocusRowBuilder:
    """Builds, caches and merges the rows of each focus; mixed into ``SubsetLossKernel``."""

    def _base_inputs(self) -> torch.Tensor:
        """(patterns, features) decoded distinct data rows on the device (built once)."""
        if self._decoded_base is None:
            codes = self._base_codes[:, : self.coding.n_groups]
            self._decoded_base = self.coding.decode(codes, self.device)
        return self._decoded_base

    def _group_column(self) -> torch.Tensor:
        """(groups,) on the device: a one-column group's column (the first for wider groups)."""
        if self._first_columns is None:
            first = [int(c[0]) if c.numel() else 0 for c in self.coding.columns]
            self._first_columns = torch.tensor(first, dtype=torch.int64).to(self.device)
        return self._first_columns

    def _rows_for_foci(self, foci: list[tuple[int, ...]]) -> list[FocusRows]:
        """Rows of each focus; the uncached exact ones of one level signature built together."""
        found = {focus: self._focus_cache.get(focus) for focus in foci}
        together: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
        for focus, rows in found.items():
            # Cached rows, a focus that _rows_for_focus rejects, or rows without keys: one by one.
            if rows is None and self._radix is not None and len(set(focus)) == len(focus):
                if self._estimator_for(focus) == "exact":
                    levels = tuple(self.coding.n_levels[g] for g in focus)
                    together.setdefault(levels, []).append(focus)
        for levels, group in together.items():
            size = batch_size(self, math.prod(levels), 1 << len(levels))
            for first in range(0, len(group), size):
                part = group[first : first + size]
                for focus, rows in zip(part, exact_rows_batch(self, part, FocusRows), strict=True):
                    found[focus] = rows
                    self._remember(focus, rows)
        return [found[focus] or self._rows_for_focus(focus) for focus in foci]

    def _remember(self, focus: tuple[int, ...], rows: FocusRows) -> None:
        self._focus_cache[focus] = rows
        if len(self._focus_cache) > _FOCUS_CACHE_SIZE:
            self._focus_cache.popitem(last=False)

    def _rows_for_focus(self, focus: tuple[int, ...]) -> FocusRows:
        cached = self._focus_cache.get(focus)
        if cached is not None:
            self._focus_cache.move_to_end(focus)
            return cached
        if len(set(focus)) != len(focus):
            raise ParameterError(f"focus groups must be distinct, got {focus}")
        estimator = self._estimator_for(focus)
        if not focus:
            base = self._base_codes if self._radix is None else self._base_keys
            codes, contributions = base, [(0, slice(None), self._base_stats)]
        elif estimator == "exact":
            codes, contributions = self._exact_rows(focus)
        else:
            codes, contributions = self._permutation_rows(focus)
        rows = self._distinct(codes, contributions, 1 << len(focus), estimator)
        self._remember(focus, rows)
        return rows

    def estimator_for(self, focus: tuple[int, ...]) -> str:
        """Which estimator a focus uses ("exact" or "permutation")."""
        return self._estimator_for(tuple(focus))

    def _estimator_for(self, focus: tuple[int, ...]) -> str:
        if not focus or self.estimator == "permutation":
            return "exact" if not focus else "permutation"
        levels = [self.coding.n_levels[g] for g in focus]
        small = max(levels) <= self.max_exact_levels and math.prod(levels) <= (
            self.max_exact_levels**2
        )
        if self.estimator == "exact":
            if math.prod(levels) * self.n_patterns > 50_000_000:
                name = self.dataset.groups[focus[levels.index(max(levels))]].name
                raise ParameterError(
                    f"estimator='exact' needs {math.prod(levels)} evaluations per row for group "
                    f"{name!r} ({max(levels)} distinct values); "
                    "use estimator='permutation' or 'auto'"
                )
            return "exact"
        if not small and self._row_counts is not None:
            name = self.dataset.groups[focus[levels.index(max(levels))]].name
            what = f"group {name!r} ({max(levels)} distinct values, too many for 'auto')"
            raise ParameterError("dataset " + _PERMUTATION_NEEDS_ROWS.format(what=what))
        return "exact" if small else "permutation"

    def _exact_rows(self, focus: tuple[int, ...]) -> tuple[torch.Tensor, list[Contribution]]:
        """Every distinct data row at every level combination of the focus groups.

        One contribution holds all subsets: a few tensor ops per focus, not a loop over subsets
        and focus members (the per-focus host work is what bounds a GPU run).
        """
        base, stats = self._base_codes, self._base_stats  # (patterns, G'), (patterns, stats)
        combos = self._level_combos(tuple(self.coding.n_levels[g] for g in focus))  # (combos, k)
        n_patterns, n_combos = base.shape[0], combos.shape[0]
        index = torch.tensor(focus, dtype=torch.int64).to(self.device)  # (k,)
        own_codes = base[:, index]  # (patterns, k)
        # As codes, whether or not the rows fit a key: foci of keyed data are built in batches
        # (exact_batch) and come here only as that path's reference; codes merge into the same
        # rows in the same (lexicographic) order as keys do.
        rows = base.unsqueeze(1).repeat(1, n_combos, 1)  # (patterns, combos, G')
        rows[:, :, index] = combos.unsqueeze(0).expand(n_patterns, -1, -1)
        rows = rows.reshape(n_patterns * n_combos, -1)
        bits = self._subset_bits(len(focus))  # (subsets, k): whether group j is replaced
        own = combos.unsqueeze(0) == own_codes.unsqueeze(1)  # (patterns, combos, k)
        # A kept group must keep the row's own level; a replaced one weighs its combo level.
        kept = (own.unsqueeze(0) | bits[:, None, None, :]).all(dim=-1)  # (subsets, patterns, c.)
        weight = kept * self._replaced_weights(focus, index, combos, bits).unsqueeze(1)
        weighted = weight.unsqueeze(-1) * stats[None, :, None, :]  # (subsets, p., combos, s.)
        n_stats = stats.shape[1]
        return rows, [(slice(None), slice(None), weighted.reshape(len(bits), -1, n_stats))]

    def _subset_bits(self, k: int) -> torch.Tensor:
        """(2**k, k) bool on the device: bit j of each subset index."""
        bits = self._bits.get(k)
        if bits is None:
            subsets = torch.arange(1 << k).unsqueeze(1)
            bits = (subsets >> torch.arange(k).unsqueeze(0)) & 1 == 1
            bits = self._bits[k] = bits.to(self.device)
        return bits

    def _replaced_weights(
        self, focus: tuple[int, ...], index: torch.Tensor, combos: torch.Tensor, bits: torch.Tensor
    ) -> torch.Tensor:
        """(subsets, combos) float64: probability of each combo's levels of the replaced groups.

        Independent replacement multiplies the groups' marginals (1 for a kept group); a joint
        one reads the replaced groups' joint distribution.
        """
        n_subsets, n_combos = bits.shape[0], combos.shape[0]
        if self.permutation != "joint" or len(focus) < 2:
            table, offsets = self._marginal_table()
            marginal = table[combos + offsets[index]]  # (combos, k)
            ones = torch.ones((), dtype=torch.float64, device=self.device)
            return torch.where(bits.unsqueeze(1), marginal.unsqueeze(0), ones).prod(dim=-1)
        weights = [torch.ones(n_combos, dtype=torch.float64, device=self.device)]
        for subset in range(1, n_subsets):
            replaced = [j for j in range(len(focus)) if subset >> j & 1]
            joint = self.coding.joint(tuple(focus[j] for j in replaced)).to(self.device)
            weights.append(joint[tuple(combos[:, j] for j in replaced)])
        return torch.stack(weights)

    def _level_combos(self, level_counts: tuple[int, ...]) -> torch.Tensor:
        """(combos, k) int64 on the device: every level combination, in itertools.product order."""
        combos = self._combos.get(level_counts)
        if combos is None:
            combos = torch.tensor(
                list(itertools.product(*[range(n) for n in level_counts])), dtype=torch.int64
            ).reshape(math.prod(level_counts), len(level_counts))
            combos = self._combos[level_counts] = combos.to(self.device)
        return combos

    def _marginal_table(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Every group's marginal end to end on the device, and where each group's starts."""
        if self._marginals is None:
            marginals = [self.coding.marginal(g) for g in range(self.coding.n_groups)]
            sizes = torch.tensor([0] + [m.shape[0] for m in marginals], dtype=torch.int64)
            table = torch.cat(marginals) if marginals else torch.zeros(0, dtype=torch.float64)
            self._marginals = (table.to(self.device), sizes.cumsum(0)[:-1].to(self.device))
        return self._marginals

    def _permutation_rows(self, focus: tuple[int, ...]) -> tuple[torch.Tensor, list[Contribution]]:
        """Data rows with the focus groups taken from seeded permuted rows, per subset.

        Returns keys (rows,) when the code space fits a key, codes (rows, G') otherwise.
        """
        codes, stats = self._row_codes, self._row_stats  # (n, G'), (n, stats)
        n, s = codes.shape[0], self.n_permutations
        use_keys = self._radix is not None
        blocks = [self._row_keys if use_keys else codes]
        contributions: list[Contribution] = [(0, slice(0, n), stats)]
        shuffled_stats = stats.repeat(s, 1) / s  # each of the s copies of a row counts 1/s
        offset = n
        for subset in range(1, 1 << len(focus)):
            if use_keys:
                block = self._row_keys.unsqueeze(0).repeat(s, 1)  # (permutations, n)
            else:
                block = codes.unsqueeze(0).repeat(s, 1, 1)  # (permutations, n, G')
            for j, g in enumerate(focus):
                if subset >> j & 1:
                    column = codes[:, g]
                    source = self._permutations(g)  # (permutations, n)
                    if use_keys:
                        block += (column[source] - column.unsqueeze(0)) * self._radix.places[g]
                    else:
                        block[:, :, g] = column[source]
            blocks.append(block.reshape(s * n) if use_keys else block.reshape(s * n, -1))
            contributions.append((subset, slice(offset, offset + s * n), shuffled_stats))
            offset += s * n
        return torch.cat(blocks), contributions

    def _permutations(self, group: int) -> torch.Tensor:
        """(permutations, rows) seeded row permutations used whenever ``group`` is replaced."""
        key = -1 if self.permutation == "joint" else group
        cached = self._permutation_cache.get(key)
        if cached is None:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + key + 1)
            draws = [
                torch.randperm(self.n_rows, generator=generator) for _ in range(self.n_permutations)
            ]
            # Drawn on the host (the same draws on every device), kept on the device.
            cached = torch.stack(draws).to(self.device)
            self._permutation_cache[key] = cached
        return cached

    def _distinct(
        self, codes: torch.Tensor, contributions: list[Contribution], n_subsets: int, estimator: str
    ) -> FocusRows:
        """Merge identical rows, summing each subset's label statistics; drop unused rows.

        ``codes`` holds keys (rows,) when the code space fits a key, codes (rows, G') otherwise.
        """
        distinct, inverse = self._merge(codes)
        n_stats = self._row_stats.shape[1]
        weights = torch.zeros(
            (n_subsets, distinct.shape[0], n_stats), dtype=torch.float64, device=self.device
        )  # (subsets, rows, stats)
        for subsets, rows, stats in contributions:
            # stats is (rows, stats) for one subset, (subsets, rows, stats) for a slice of them
            weights[subsets].index_add_(stats.ndim - 2, inverse[rows], stats)
        used = weights.abs().sum(dim=(0, 2)) > 0
        distinct, weights = distinct[used], weights[:, used] / self.n_rows
        n_groups = self.coding.n_groups
        labels = None
        if self._label_values is not None:
            labels = self._label_values[distinct[:, n_groups]]
        inputs = self.coding.decode(distinct[:, :n_groups], self.device)
        return FocusRows(distinct, inputs, weights, labels, estimator)
