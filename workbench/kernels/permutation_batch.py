"""Permutation losses of many foci per forward pass, for the model itself (the unit mask).

``SubsetLossKernel``'s permutation estimator builds each focus's rows on their own (codes, a
merge into distinct rows, a decode) and runs one small forward pass per focus. On continuous
data almost no perturbed row merges with another, so at hundreds of groups (tens of thousands
of pairs) the time goes to that per-focus host work, not to the model. Here the perturbed rows
of many foci are built together, a few gathers per forward batch, and each focus's losses are
reduced on the device.

The estimator is the same: the rows of focus F under permutation t are the data rows (as the
kernel decodes them) with every group g of F taken from row ``π^g_t(r)``, the draws of
``kernel._permutations(g)`` that the per-focus path uses, and the loss with F replaced is the
mean over those s·n rows. Only the order of summation differs (the per-focus path sums per
distinct row), so values agree to float rounding.

Because permutations depend only on (seed, group), the loss with group i replaced is one
number for every pair that holds i: the main effects are computed once per group, and each pair
costs only its joint rows (s·n, not 3·s·n + n).

Each focus's row losses are summed in fixed blocks of its own rows, in an order that does not
depend on which other foci share the batch: a focus's loss is the same number whether it is
computed alone (a refine) or among all pairs (the full computation), provided the model's output
for a row does not depend on the rows beside it (on the CPU; a CUDA reduction may pick another
order for another batch shape).
"""

from __future__ import annotations

import torch

# Row losses of one focus are summed in blocks of at most this many rows, then the block sums:
# the blocks depend only on the focus's row count, never on its neighbours in the batch.
_BLOCK_ROWS = 4096
# On the CPU a torch model's forward batch holds about this many input bytes: building the
# rows and the model's passes over them then stay in cache (at 200 features, 2.6k-row batches
# ran 3x faster than 65k-row ones), and the per-batch Python overhead stays small.
_CPU_BATCH_BYTES = 1 << 21
_CPU_MIN_BATCH_ROWS = 1024


class PermutationBatch:
    """Losses of the model with the groups of many foci replaced by their permutations.

    Parameters
    ----------
    kernel : SubsetLossKernel
        Supplies the model, the rows and their labels, the permutations (``n_permutations``,
        ``seed``, ``permutation``) and the row budget of one forward pass (``batch_rows``).
    """

    def __init__(self, kernel) -> None:
        self.kernel = kernel
        device = kernel.device
        coding = kernel.coding
        # The data rows as the kernel decodes them (a column in no group reads 0).
        self.inputs = coding.decode(kernel._row_codes[:, : coding.n_groups], device)
        self.rows_per_focus = kernel.n_permutations * kernel.n_rows
        self.batch_rows = kernel.batch_rows
        # Only for torch modules: a CPU callable (a tree ensemble) pays per call, not per byte.
        if kernel.device.type == "cpu" and kernel.adapter.module is not None:
            cached = max(_CPU_MIN_BATCH_ROWS, _CPU_BATCH_BYTES // (4 * max(coding.n_features, 1)))
            self.batch_rows = min(self.batch_rows, cached)
        groups = torch.arange(coding.n_groups, device=device).unsqueeze(1)
        self.group_columns = coding.column_group.to(device).unsqueeze(0) == groups  # (G, F)

    def reference_loss(self) -> float:
        """Mean loss on the rows, nothing replaced."""
        kernel, n = self.kernel, self.kernel.n_rows
        losses = torch.empty(n, dtype=torch.float64, device=kernel.device)  # (rows,)
        for start in range(0, n, self.batch_rows):
            rows = torch.arange(start, min(start + self.batch_rows, n), device=kernel.device)
            losses[start : start + rows.shape[0]] = self._row_losses(self.inputs[rows], rows)
        return float(_focus_sums(losses.unsqueeze(0))[0] / n)

    def replaced_losses(self, focus: torch.Tensor) -> torch.Tensor:
        """(foci,) float64 on the CPU: mean loss with every group of each focus replaced.

        ``focus`` is (foci, k) int64, k >= 1 distinct group indices per row.
        """
        kernel = self.kernel
        foci_per_chunk = max(1, kernel.batch_rows // self.rows_per_focus)
        out = torch.empty(focus.shape[0], dtype=torch.float64, device=kernel.device)
        for first in range(0, focus.shape[0], foci_per_chunk):
            chunk = focus[first : first + foci_per_chunk].to(kernel.device)  # (chunk foci, k)
            losses = self._chunk_row_losses(chunk)  # (chunk foci, s · n)
            out[first : first + chunk.shape[0]] = _focus_sums(losses) / self.rows_per_focus
        return out.cpu()

    def _chunk_row_losses(self, focus: torch.Tensor) -> torch.Tensor:
        """(foci, s · n) float64 row losses of a chunk of foci, in forward batches."""
        kernel, base, per_focus = self.kernel, self.inputs, self.rows_per_focus
        n_foci, k = focus.shape
        groups, slot = torch.unique(focus, return_inverse=True)  # slot: (foci, k) into groups
        # (groups in chunk, s · n): row r under permutation t takes group g from row
        # sources[g's slot, t · n + r]
        sources = torch.stack([kernel._permutations(g) for g in groups.tolist()])
        sources = sources.reshape(groups.shape[0], per_focus)
        single_column = all(kernel.coding.columns[g].numel() == 1 for g in groups.tolist())
        out = torch.empty(n_foci * per_focus, dtype=torch.float64, device=kernel.device)
        for start in range(0, out.shape[0], self.batch_rows):
            flat = torch.arange(start, min(start + self.batch_rows, out.shape[0]))
            flat = flat.to(kernel.device)
            owner, position = flat // per_focus, flat % per_focus  # (batch,): focus, t · n + r
            rows = position % kernel.n_rows
            inputs = base.index_select(0, rows)  # (batch, features)
            for j in range(k):
                source = sources[slot[owner, j], position]  # (batch,) row lending group j
                group = focus[owner, j]  # (batch,)
                if single_column:
                    column = kernel._group_column()[group].unsqueeze(1)  # (batch, 1)
                    inputs.scatter_(1, column, base[source.unsqueeze(1), column])
                else:
                    inputs = torch.where(self.group_columns[group], base[source], inputs)
            out[start : start + flat.shape[0]] = self._row_losses(inputs, rows)
        return out.reshape(n_foci, per_focus)

    def _row_losses(self, inputs: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """(batch,) float64 loss of each input row against the label of data row ``rows``."""
        kernel = self.kernel
        # The unit mask: forward_scaled at scale 1 computes exactly this, at one more pass.
        outputs = kernel.adapter.forward(inputs)  # (batch[, classes])
        # Shaped (variants=1, rows) as the per-focus path passes them, for callable losses.
        outputs = outputs.reshape(1, inputs.shape[0], *outputs.shape[1:])
        labels = None
        if kernel._label_values is not None:
            label_codes = kernel._row_codes[rows, kernel.coding.n_groups]
            labels = kernel._label_values[label_codes].unsqueeze(0)
        basis = kernel.loss.basis(outputs, labels)[0]  # (batch, stats)
        kernel.rows_evaluated += inputs.shape[0]
        return (basis * kernel._row_stats[rows]).sum(dim=1)


def _focus_sums(losses: torch.Tensor) -> torch.Tensor:
    """(foci,) sums of (foci, rows) row losses, block by block (see ``_BLOCK_ROWS``)."""
    n_foci, n_rows = losses.shape
    block = min(n_rows, _BLOCK_ROWS)
    padding = -n_rows % block
    if padding:  # zeros add nothing, exactly
        losses = torch.nn.functional.pad(losses, (0, padding))
    return losses.reshape(n_foci, -1, block).sum(dim=2).sum(dim=1)
