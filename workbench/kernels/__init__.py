"""Batched perturbation kernels: the only place that runs the model in bulk."""

from workbench.kernels.coding import GroupCoding
from workbench.kernels.subset_losses import ESTIMATORS, PERMUTATIONS, FocusRows, SubsetLossKernel

__all__ = ["ESTIMATORS", "PERMUTATIONS", "FocusRows", "GroupCoding", "SubsetLossKernel"]
