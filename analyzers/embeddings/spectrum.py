"""Spectral measures of one embedding table: how many of its dimensions it uses.

All functions take the singular values of the (centred, weighted) table, as returned by
``table_spectrum``, so one SVD serves every measure. Singular values are scaled so that their
squares are the variances along the principal directions. Every measure here survives an
orthogonal map of the table, but not a general invertible one: descriptive across models
(see ``analyzers.embeddings.invariance``).
"""

from __future__ import annotations

import math

import torch

# Cumulative explained variance is compared with a level after float64 sums; a table of exact
# rank r must give dimension r at the 100% level, not r + 1 because of rounding.
_LEVEL_SLACK = 1e-9


def table_spectrum(
    table: torch.Tensor, weights: torch.Tensor | None = None, *, center: bool = True
) -> torch.Tensor:
    """Singular values of a table, largest first, as standard deviations along components.

    Parameters
    ----------
    table : Tensor
        (rows, dim) float64.
    weights : Tensor, optional
        (rows,) non-negative weights (e.g. frequencies): the data-weighted view. None weighs
        every row equally (the table-weighted view).
    center : bool
        Subtract the (weighted) mean row first, so the spectrum is that of the covariance.

    Returns
    -------
    Tensor
        (min(rows, dim),) float64, descending.
    """
    rows = table.shape[0]
    share = (
        torch.full((rows,), 1.0 / rows, dtype=torch.float64)
        if weights is None
        else weights / weights.sum()
    )
    if center:
        table = table - share @ table
    return torch.linalg.svdvals(table * share.sqrt()[:, None])


def effective_rank(singular_values: torch.Tensor) -> float:
    """exp of the entropy of the normalised singular values (Roy & Vetterli 2007)."""
    total = singular_values.sum()
    if total <= 0:
        return math.nan
    p = singular_values[singular_values > 0] / total
    return float(torch.exp(-(p * p.log()).sum()))


def participation_ratio(singular_values: torch.Tensor) -> float:
    """(Σ λ)² / Σ λ² of the variances λ = σ²."""
    variances = singular_values.square()
    denominator = variances.square().sum()
    return math.nan if denominator <= 0 else float(variances.sum().square() / denominator)


def stable_rank(singular_values: torch.Tensor) -> float:
    """‖E‖_F² / σ₁²."""
    top = singular_values[0].square() if singular_values.numel() else torch.tensor(0.0)
    return math.nan if top <= 0 else float(singular_values.square().sum() / top)


def information_abundance(singular_values: torch.Tensor) -> float:
    """‖σ‖₁ / ‖σ‖∞ (Guo et al. 2024): low against the dimension signals collapse."""
    top = singular_values.max() if singular_values.numel() else torch.tensor(0.0)
    return math.nan if top <= 0 else float(singular_values.sum() / top)


def explained_variance_ratio(singular_values: torch.Tensor) -> torch.Tensor:
    """Share of the total variance per component (all NaN for a constant table)."""
    variances = singular_values.square()
    total = variances.sum()
    return variances / total if total > 0 else torch.full_like(variances, math.nan)


def dimension_for(singular_values: torch.Tensor, level: float) -> int:
    """Fewest leading components whose explained variance reaches ``level`` (GDCN's FDO k_f).

    A constant table needs 0 dimensions.
    """
    ratios = explained_variance_ratio(singular_values)
    if torch.isnan(ratios).any():
        return 0
    reached = ratios.cumsum(0) >= level - _LEVEL_SLACK
    return int(reached.to(torch.int64).argmax()) + 1 if reached.any() else int(ratios.numel())


def anisotropy(table: torch.Tensor, weights: torch.Tensor | None = None) -> tuple[float, float]:
    """Mean pairwise cosine of distinct rows and the mean-vector ratio ‖μ‖ / mean ‖e‖.

    Both are ≈ 0 for an isotropic cloud around the origin and 1 when every row points the same
    way. Rows of norm 0 have no direction and are left out of the cosine. With ``weights`` the
    pair (i, j) is drawn by frequency, as pairs of data rows are.

    Returns
    -------
    (mean_pairwise_cosine, mean_vector_ratio)
    """
    norms = table.norm(dim=1)
    share = torch.ones_like(norms) if weights is None else weights.clone()
    total = share.sum()
    mean_norm = (share * norms).sum() / total if total > 0 else torch.tensor(0.0)
    mean_vector = (share @ table) / total if total > 0 else torch.zeros(table.shape[1])
    ratio = float(mean_vector.norm() / mean_norm) if mean_norm > 0 else math.nan
    keep = (norms > 0) & (share > 0)
    share = share[keep] / share[keep].sum() if keep.any() else share[keep]
    units = table[keep] / norms[keep, None]
    self_pairs = share.square().sum()
    if share.numel() < 2 or self_pairs >= 1:
        return math.nan, ratio
    # E_{i≠j} cos = (‖Σ w_i u_i‖² − Σ w_i²) / (1 − Σ w_i²): all pairs minus the diagonal.
    cosine = ((share @ units).square().sum() - self_pairs) / (1 - self_pairs)
    return float(cosine), ratio
