"""Batched perturbation kernels: the only place that runs the model in bulk."""

from workbench.kernels.coalition_values import CoalitionValueKernel, all_coalitions
from workbench.kernels.coding import GroupCoding
from workbench.kernels.subset_losses import ESTIMATORS, PERMUTATIONS, FocusRows, SubsetLossKernel

__all__ = [
    "ESTIMATORS",
    "PERMUTATIONS",
    "CoalitionValueKernel",
    "FocusRows",
    "GroupCoding",
    "SubsetLossKernel",
    "all_coalitions",
]
