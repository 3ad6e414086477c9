"""A per-call cache of model outputs by distinct row, shared by coalition values and pair games.

``CoalitionValueKernel.values`` and ``pair_games`` build one per call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from workbench.kernels.coding import GroupCoding, MixedRadix

if TYPE_CHECKING:
    from workbench.kernels.coalition_values import CoalitionValueKernel


class _DistinctRowValues:
    """Model outputs of rows given as group codes, each distinct row evaluated once.

    Pair games of discrete data repeat the same inputs many times (across coalitions, pairs
    and batches): rows become mixed-radix keys, and only keys never seen before in this call
    reach the model. When the code space does not fit a key (many continuous levels, where
    repeats are rare anyway) rows are evaluated as they come.
    """

    def __init__(self, kernel: CoalitionValueKernel, coding: GroupCoding) -> None:
        self.kernel = kernel
        self.coding = coding
        self.radix = MixedRadix(coding.n_levels) if MixedRadix.fits(coding.n_levels) else None
        self.keys = torch.empty(0, dtype=torch.int64)  # sorted keys evaluated so far
        self.values = torch.empty(0, dtype=torch.float64)

    def __call__(self, codes: torch.Tensor) -> torch.Tensor:
        """(rows,) float64 CPU outputs for (rows, groups) codes."""
        device = self.kernel.device
        if self.radix is None:
            return self.kernel._evaluate(self.coding.decode(codes, device))
        unique, inverse = torch.unique(self.radix.encode(codes), return_inverse=True)
        position = torch.searchsorted(self.keys, unique).clamp_max(max(len(self.keys) - 1, 0))
        found = self.keys[position] == unique if len(self.keys) else torch.zeros_like(unique).bool()
        values = torch.empty(unique.shape[0], dtype=torch.float64)
        values[found] = self.values[position[found]]
        missing = unique[~found]
        if missing.numel():
            new = self.kernel._evaluate(self.coding.decode(self.radix.decode(missing), device))
            values[~found] = new
            keys = torch.cat([self.keys, missing])
            order = keys.argsort()
            self.keys, self.values = keys[order], torch.cat([self.values, new])[order]
        return values[inverse]
