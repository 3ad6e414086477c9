"""The perturbation kernel: mean loss of many model variants, with subsets of groups replaced.

A *variant* is a model-class member, here an input-scaling mask ``m`` over groups
(``f_m(x) = f(m ⊙ x)``), together with a *focus*: a small tuple of groups whose values are
replaced by draws from the data. For each variant the kernel returns the mean loss for every
subset of its focus being replaced, so one call gives L(f_m), L with i replaced, with j
replaced and with both replaced: everything a main effect, a joint effect or an interaction
score of that model needs, evaluated on shared rows.

Where replacement values come from (``estimator``):
- "exact": the expectation over a uniform random row permutation equals the average over the
  group's empirical marginal (the product of marginals for independent permutations, the joint
  empirical distribution for a joint one). Each row is evaluated at every level of the focus
  groups, with no sampling noise. For a binary pair that is 4 evaluations per distinct row.
- "permutation": Monte-Carlo over ``n_permutations`` seeded row permutations per group. The
  permutations depend only on (seed, group), so every variant that replaces a group uses the
  same draws (common random numbers): differences such as FIS carry less noise, and results do
  not depend on how variants are batched.
- "auto": exact where the focus groups have few levels, permutation otherwise.

The rows to evaluate for a focus do not depend on the mask, so they are built once per focus,
reduced to distinct rows (label statistics summed, see ``workbench.losses``), and then every
mask of that focus runs over them in large batches. Building those rows is
``workbench.kernels.focus_rows`` (mixed into the kernel); this module evaluates them.
"""

from __future__ import annotations

from collections import OrderedDict

import torch

from workbench.errors import DataError, ParameterError
from workbench.kernels.batching import estimate_bytes_per_row, resolve_batch_rows
from workbench.kernels.coding import GroupCoding, MixedRadix
from workbench.kernels.focus_rows import (
    _FOCUS_CACHE_SIZE,
    _PERMUTATION_NEEDS_ROWS,
    FocusRowBuilder,
    FocusRows,
)
from workbench.kernels.permutation_batch import PermutationBatch

ESTIMATORS = ("auto", "exact", "permutation")
PERMUTATIONS = ("independent", "joint")


class SubsetLossKernel(FocusRowBuilder):
    """Mean losses of masked model variants with subsets of groups replaced.

    Parameters
    ----------
    adapter : ModelAdapter
        The model (``forward``, ``loss``, ``device``).
    dataset : Dataset
        Explanation rows with a target; groups define what a mask scales and what is replaced.
    estimator : {"auto", "exact", "permutation"}
        Source of replacement values (see the module docstring).
    n_permutations : int
        Permutations per group for the Monte-Carlo estimator.
    permutation : {"independent", "joint"}
        Replace several groups with one permutation each, or with one shared permutation.
    max_exact_levels : int
        "auto" uses the exact estimator when every focus group has at most this many levels
        and their product is at most ``max_exact_levels ** 2``.
    max_batch_rows : int or None
        Rows per forward pass; None sizes it from the device.
    seed : int
        Seed of the permutations.

    Examples
    --------
    >>> kernel = SubsetLossKernel(adapter, dataset, estimator="exact")
    >>> ones = torch.ones(1, dataset.n_groups)
    >>> kernel.subset_losses(ones, torch.tensor([[0, 1]]))  # L, L(0 replaced), L(1), L(0, 1)
    """

    def __init__(
        self,
        adapter,
        dataset,
        *,
        estimator: str = "auto",
        n_permutations: int = 30,
        permutation: str = "independent",
        max_exact_levels: int = 64,
        max_batch_rows: int | None = None,
        seed: int = 0,
    ) -> None:
        if estimator not in ESTIMATORS:
            raise ParameterError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
        if permutation not in PERMUTATIONS:
            raise ParameterError(f"permutation must be one of {PERMUTATIONS}, got {permutation!r}")
        if int(n_permutations) < 1:
            raise ParameterError(f"n_permutations must be >= 1, got {n_permutations!r}")
        if dataset.y is None:
            raise DataError("dataset has no target column; losses need one (pass target=...)")
        if adapter.n_features is not None and adapter.n_features != dataset.n_features:
            raise DataError(
                f"dataset has {dataset.n_features} feature columns but the model expects "
                f"{adapter.n_features}"
            )
        self.adapter = adapter
        self.dataset = dataset
        self.estimator = estimator
        self.n_permutations = int(n_permutations)
        self.permutation = permutation
        self.max_exact_levels = int(max_exact_levels)
        self.seed = int(seed)
        self.device = adapter.device
        self.loss = adapter.loss
        # (rows,) int64 rows each row stands for, when the data are distinct rows with counts.
        self._row_counts = getattr(dataset, "counts", None)
        if self._row_counts is not None and estimator == "permutation":
            what = "estimator='permutation'"
            raise ParameterError("dataset " + _PERMUTATION_NEEDS_ROWS.format(what=what))
        self.coding = GroupCoding.from_matrix(
            dataset.X, [g.columns for g in dataset.groups], self._row_counts
        )
        self.n_rows = dataset.n_rows
        self.batch_rows = resolve_batch_rows(
            max_batch_rows,
            self.device,
            estimate_bytes_per_row(adapter.module, dataset.n_features),
            # The chunk size binds CPU callables only; a torch module takes the whole batch,
            # so on a GPU the budget comes from device memory.
            adapter.max_rows_per_call if adapter.module is None else None,
        )
        # Masks scale columns through one gather by group; a column in no group keeps scale 1.
        self._column_group = self.coding.column_group
        self._prepare_labels(dataset.y)
        self._focus_cache: OrderedDict[tuple[int, ...], FocusRows] = OrderedDict()
        self._permutation_cache: dict[int, torch.Tensor] = {}
        self._marginals: tuple[torch.Tensor, torch.Tensor] | None = None
        self._bits: dict[int, torch.Tensor] = {}
        self._decoded_base: torch.Tensor | None = None
        self._first_columns: torch.Tensor | None = None
        self._combos: dict[tuple[int, ...], torch.Tensor] = {}
        self._permutation_batch: PermutationBatch | None = None
        self.rows_evaluated = 0

    # ------------------------------------------------------------------ data preparation
    def _prepare_labels(self, y: torch.Tensor) -> None:
        # Everything a focus is built from lives on the model's device, so building the rows
        # of a focus there costs kernel launches, not host copies.
        device = self.device
        codes = self.coding.codes.to(device)
        self._radices = self.coding.n_levels
        counts = self._row_counts
        if self.loss.compressible:
            stats = self.loss.label_stats(y)  # (rows, stats)
            if counts is not None:  # integer-valued for class labels: the sums stay exact
                stats = stats * counts.to(torch.float64).unsqueeze(1)
            self._row_stats = stats.to(device)
            self._label_values = None
        else:
            # A callable loss needs each evaluated row's own label: labels become one more
            # code column, so rows that differ only in label are kept apart.
            values, label_codes = torch.unique(y, return_inverse=True)
            codes = torch.cat([codes, label_codes.unsqueeze(1).to(device)], dim=1)
            self._radices = (*self._radices, values.shape[0])
            ones = torch.ones((y.shape[0], 1), dtype=torch.float64)
            weights = ones if counts is None else counts.to(torch.float64).unsqueeze(1)
            self._row_stats = weights.to(device)
            self._label_values = values.to(device)
        self._row_codes = codes  # (rows, groups [+ label])
        # Keys let perturbed rows be built and merged as integers; None when they do not fit.
        fits = MixedRadix.fits(self._radices)
        self._radix = MixedRadix(self._radices, device) if fits else None
        if self._radix is not None:
            self._row_keys = self._radix.encode(codes)  # (rows,)
        # Distinct data rows with their summed label statistics: the base every focus perturbs.
        distinct, inverse = self._merge(codes if self._radix is None else self._row_keys)
        stats = torch.zeros(
            (distinct.shape[0], self._row_stats.shape[1]), dtype=torch.float64, device=device
        )
        stats.index_add_(0, inverse, self._row_stats)
        self._base_codes = distinct  # (patterns, groups [+ label])
        self._base_stats = stats  # (patterns, stats)
        if self._radix is not None:
            self._base_keys = self._radix.encode(distinct)  # (patterns,)

    def _merge(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Distinct rows (as codes) of keys (rows,) or codes (rows, G'), and each row's index.

        Keys need one 1-D sort; codes, used when the code space does not fit a key, a row-wise
        unique.
        """
        if rows.ndim == 1:
            keys, inverse = torch.unique(rows, return_inverse=True)
            return self._radix.decode(keys), inverse
        return torch.unique(rows, dim=0, return_inverse=True)

    @property
    def n_patterns(self) -> int:
        """Distinct rows of the explanation data (as seen by the loss)."""
        return self._base_codes.shape[0]

    # ------------------------------------------------------------------ public API
    def losses(self, masks: torch.Tensor) -> torch.Tensor:
        """(variants,) float64 mean loss of each masked model on the unperturbed data."""
        empty = torch.empty((masks.shape[0], 0), dtype=torch.int64)
        return self.subset_losses(masks, empty)[:, 0]

    def subset_losses(self, masks: torch.Tensor, focus: torch.Tensor) -> torch.Tensor:
        """Mean loss of each variant for every subset of its focus groups replaced.

        Parameters
        ----------
        masks : Tensor
            (variants, groups) scaling of each group's columns.
        focus : Tensor
            (variants, k) int64 group indices, distinct within a row (k may be 0).

        Returns
        -------
        Tensor
            (variants, 2**k) float64 on the CPU; column ``b`` is the mean loss with the focus
            groups whose bit is set in ``b`` replaced (bit j for ``focus[:, j]``). Column 0 is
            the loss of the masked model itself.
        """
        masks, focus = self._check_variants(masks, focus)
        n_subsets = 1 << focus.shape[1]
        out = torch.empty((masks.shape[0], n_subsets), dtype=torch.float64)
        if masks.shape[0] == 0:
            return out
        if focus.shape[1] == 0:
            return self._evaluate(self._column_masks(masks), self._rows_for_focus(())).cpu()
        distinct_focus, focus_index = self._distinct_focus(focus)
        # Variants sorted by focus (stably, so each focus keeps its variants' order and batches):
        # the masks reach the device in one copy, each focus takes a slice, and the losses come
        # back in one copy, the call's only wait on the device.
        order = torch.argsort(focus_index, stable=True)
        column_masks = self._column_masks(masks[order])
        sizes = torch.bincount(focus_index, minlength=distinct_focus.shape[0]).tolist()
        foci = [tuple(f) for f in distinct_focus.tolist()]
        parts, start = [], 0
        for first in range(0, len(foci), _FOCUS_CACHE_SIZE):
            # Foci in blocks: each block's rows are built together, then evaluated in order.
            block = foci[first : first + _FOCUS_CACHE_SIZE]
            for rows, size in zip(self._rows_for_foci(block), sizes[first:], strict=False):
                parts.append(self._evaluate(column_masks[start : start + size], rows))
                start += size
        out[order] = torch.cat(parts).cpu()
        return out

    def reference_loss(self) -> float:
        """Mean loss of the model itself (the unit mask) on the rows, nothing replaced."""
        return self._batched().reference_loss()

    def replaced_losses(self, focus: torch.Tensor) -> torch.Tensor:
        """Mean loss of the model itself with all groups of each focus replaced, by permutations.

        The permutation estimator's value (whatever ``estimator`` says), computed for many foci
        per forward pass (``workbench.kernels.permutation_batch``): equal, to float rounding,
        to the last column of ``subset_losses`` at the unit mask, and for one focus the same
        number however many foci share the call.

        Parameters
        ----------
        focus : Tensor
            (foci, k) int64 group indices, k >= 1, distinct within a row.

        Returns
        -------
        Tensor
            (foci,) float64 on the CPU.
        """
        _, focus = self._check_variants(torch.ones((len(focus), self.coding.n_groups)), focus)
        ordered = focus.sort(dim=1).values
        if focus.shape[1] == 0 or bool((ordered[:, 1:] == ordered[:, :-1]).any()):
            raise ParameterError("focus must hold at least one group, distinct within a row")
        return self._batched().replaced_losses(focus)

    def _batched(self) -> PermutationBatch:
        if self._permutation_batch is None:
            self._permutation_batch = PermutationBatch(self)
        return self._permutation_batch

    def _distinct_focus(self, focus: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``torch.unique(focus, dim=0, return_inverse=True)`` by one 1-D sort of row keys.

        A focus row read as digits base n_groups orders as the row does, so the distinct keys
        come out in the same (lexicographic) order as the row-wise unique would give them.
        """
        n, k = self.coding.n_groups, focus.shape[1]
        place = torch.tensor([n ** (k - 1 - j) for j in range(k)], dtype=torch.int64)
        keys, inverse = torch.unique((focus * place).sum(dim=1), return_inverse=True)
        return (keys.unsqueeze(1) // place) % n, inverse

    # ------------------------------------------------------------------ evaluation
    def _evaluate(self, column_masks: torch.Tensor, rows: FocusRows) -> torch.Tensor:
        """(variants, subsets) float64 on the device, for (variants, features) column masks."""
        n_rows, n_variants = rows.inputs.shape[0], column_masks.shape[0]
        totals = torch.zeros(
            (n_variants, rows.weights.shape[0]), dtype=torch.float64, device=self.device
        )  # (variants, subsets)
        row_chunk = min(n_rows, self.batch_rows)
        variant_chunk = max(1, self.batch_rows // row_chunk)
        for r0 in range(0, n_rows, row_chunk):
            inputs = rows.inputs[r0 : r0 + row_chunk]  # (chunk rows, features)
            weights = rows.weights[:, r0 : r0 + row_chunk]  # (subsets, chunk rows, stats)
            labels = None if rows.labels is None else rows.labels[r0 : r0 + row_chunk]
            for v0 in range(0, n_variants, variant_chunk):
                scale = column_masks[v0 : v0 + variant_chunk]  # (v, features)
                outputs = self.adapter.forward_scaled(scale, inputs)  # (v * chunk rows[, classes])
                outputs = outputs.reshape(scale.shape[0], inputs.shape[0], *outputs.shape[1:])
                batch_labels = None if labels is None else labels.expand(scale.shape[0], -1)
                basis = self.loss.basis(outputs, batch_labels)  # (v, chunk rows, stats)
                totals[v0 : v0 + variant_chunk] += torch.einsum("vrs,qrs->vq", basis, weights)
                self.rows_evaluated += scale.shape[0] * inputs.shape[0]
        return totals

    def _column_masks(self, masks: torch.Tensor) -> torch.Tensor:
        """(variants, features) float32 on the device: each column scaled by its group's mask.

        One gather on the host (a trailing column of ones serves columns in no group), then
        one copy to the device.
        """
        padded = torch.cat([masks, torch.ones((masks.shape[0], 1), dtype=masks.dtype)], dim=1)
        return padded.to(torch.float32)[:, self._column_group].to(self.device)

    def _check_variants(
        self, masks: torch.Tensor, focus: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        masks = torch.as_tensor(masks, dtype=torch.float64, device="cpu")
        focus = torch.as_tensor(focus, dtype=torch.int64, device="cpu")
        n_groups = self.coding.n_groups
        if masks.ndim != 2 or masks.shape[1] != n_groups:
            raise ParameterError(
                f"masks must have shape (variants, {n_groups}), got {tuple(masks.shape)}"
            )
        if focus.ndim != 2 or focus.shape[0] != masks.shape[0]:
            raise ParameterError(
                f"focus must have shape ({masks.shape[0]}, k), got {tuple(focus.shape)}"
            )
        if not torch.isfinite(masks).all():
            raise ParameterError("masks contain NaN or infinite values")
        if focus.numel() and (focus.min() < 0 or focus.max() >= n_groups):
            raise ParameterError(f"focus holds a group index outside 0..{n_groups - 1}")
        return masks, focus
