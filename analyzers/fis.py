"""The feature interaction score (FIS), written once.

FIS_I(f) = φ_I(f) − Σ_{i∈I} φ_i(f): the loss increase when the groups of I are replaced
together, minus the sum of the increases when each is replaced alone, **all terms on the same
model** (``../shared/docs/fisc.md``). The Rashomon analysis, permutation FIS of the interactions
analyzer and the gates page's field interactions all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class SubsetEffects:
    """Effects of the groups of one interaction of order k, for many models at once.

    Attributes
    ----------
    loss : ndarray (variants,)
        Loss of each model with nothing replaced.
    joint : ndarray (variants,)
        φ_I: loss increase with every group of I replaced.
    mains : ndarray (variants, k)
        φ_i: loss increase with group i alone replaced.
    """

    loss: np.ndarray
    joint: np.ndarray
    mains: np.ndarray

    @property
    def fis(self) -> np.ndarray:
        """FIS_I = φ_I − Σ φ_i per model, (variants,)."""
        return self.joint - self.mains.sum(axis=1)


def subset_effects(subset_losses: torch.Tensor, k: int) -> SubsetEffects:
    """Effects from (variants, 2**k) subset losses.

    Column b of ``subset_losses`` holds the loss with the groups whose bit is set in b replaced
    (``SubsetLossKernel.subset_losses``); every row is one model.
    """
    losses = subset_losses.numpy()
    base = losses[:, 0]
    joint = losses[:, (1 << k) - 1] - base
    mains = np.stack([losses[:, 1 << j] - base for j in range(k)], axis=1)  # (variants, k)
    return SubsetEffects(loss=base, joint=joint, mains=mains)
