"""Monte-Carlo Shapley interaction indices, for more groups than 2**p coalitions allow.

Each index of an interaction K (|K| = s) is a weighted sum of discrete derivatives

    I(K) = sum_{T ⊆ N \\ K} w(|T|) Δ_K v(T),   Δ_K v(T) = sum_{L ⊆ K} (-1)^{s-|L|} v(T ∪ L).

Drawing a coalition size t with probability W_t / Z (W_t = C(p-s, t) w(t), Z = sum_t W_t) and then
a uniform subset of that size makes Z · Δ_K v(T) an unbiased estimate of I(K); the estimate is
the mean over ``n_samples`` seeded draws and its standard error the sample standard deviation
over sqrt(n_samples). For SII every size is equally likely (Z = 1).

The same draws are used for every explained row (one batched kernel call for all coalitions of
all interactions, deduplicated), so the error of the mean over rows is the standard deviation
over draws of the row-averaged derivative, not the per-row errors pooled.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import torch

from analyzers.interactions.shapley_exact import interactions_of_order

_BERNOULLI = (1.0, -0.5, 1.0 / 6.0, 0.0)


def sampled_indices(
    kernel,
    explained: torch.Tensor,
    n_groups: int,
    index: str,
    order: int,
    n_samples: int,
    seed: int,
) -> tuple[dict[int, torch.Tensor], dict[int, torch.Tensor]]:
    """One Shapley interaction index of every row, for orders 1..order, by sampling coalitions.

    Parameters
    ----------
    kernel : CoalitionValueKernel
    explained : Tensor
        (rows, features) rows to explain.
    n_groups : int
    index : {"sii", "stii", "ksii"}
    order : int
        Highest interaction order.
    n_samples : int
        Coalitions drawn per interaction.
    seed : int

    Returns
    -------
    (values, errors)
        order s -> (rows, C(p, s)) estimates, and order s -> (C(p, s),) standard errors of
        their mean over rows (0 where a term is computed exactly).
    """
    generator = torch.Generator().manual_seed(int(seed))
    if index == "stii":
        values, errors = _exact_lower_orders(kernel, explained, n_groups, order)
        top, top_error = _sampled_derivatives(
            kernel,
            explained,
            n_groups,
            order,
            lambda t: order / (n_groups * math.comb(n_groups - 1, t)),
            n_samples,
            generator,
        )
        values[order], errors[order] = top, top_error
        return values, errors
    sii, sii_errors = {}, {}
    for s in range(1, order + 1):
        sii[s], sii_errors[s] = _sampled_derivatives(
            kernel, explained, n_groups, s, _sii_weight(n_groups, s), n_samples, generator
        )
    if index == "sii":
        return sii, sii_errors
    return _bernoulli_aggregate(sii, sii_errors, n_groups, order)


def _sii_weight(n_groups: int, size: int) -> Callable[[int], float]:
    """SII weight of a coalition of t groups outside an interaction of ``size`` groups."""
    free = n_groups - size
    return lambda t: math.factorial(free - t) * math.factorial(t) / math.factorial(free + 1)


def _sampled_derivatives(
    kernel,
    explained: torch.Tensor,
    n_groups: int,
    size: int,
    weight: Callable[[int], float],
    n_samples: int,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Estimates (rows, sets) and errors of the mean over rows (sets,) for all sets of ``size``."""
    sets = interactions_of_order(n_groups, size)
    free = n_groups - size
    mass = torch.tensor(
        [math.comb(free, t) * weight(t) for t in range(free + 1)], dtype=torch.float64
    )
    total_mass = float(mass.sum())
    n_sets = len(sets)
    member = torch.zeros((n_sets, n_groups), dtype=torch.bool)
    for j, combo in enumerate(sets):
        member[j, list(combo)] = True
    # Uniform subset of the free groups of a drawn size: the `size` smallest random keys.
    sizes = torch.multinomial(mass / total_mass, n_sets * n_samples, True, generator=generator)
    sizes = sizes.reshape(n_sets, n_samples)  # (sets, samples)
    keys = torch.rand((n_sets, n_samples, n_groups), generator=generator, dtype=torch.float64)
    keys = keys.masked_fill(member[:, None, :], float("inf"))
    ranks = keys.argsort(dim=2).argsort(dim=2)  # (sets, samples, groups)
    chosen = ranks < sizes[:, :, None]
    powers = 1 << torch.arange(n_groups, dtype=torch.int64)
    base = (chosen.to(torch.int64) * powers).sum(dim=2)  # (sets, samples) bitmasks of T
    corners, signs = _corners(sets, size)  # (sets, 2**size) bitmasks of L ⊆ K, (2**size,) signs
    coalitions = base[:, :, None] | corners[:, None, :]  # (sets, samples, 2**size)
    unique, inverse = torch.unique(coalitions.reshape(-1), return_inverse=True)
    values = kernel.values(explained, unique)  # (rows, unique coalitions)
    gathered = values[:, inverse].reshape(-1, n_sets, n_samples, corners.shape[1])
    derivatives = total_mass * (gathered * signs).sum(dim=3)  # (rows, sets, samples)
    estimates = derivatives.mean(dim=2)
    row_mean = derivatives.mean(dim=0)  # (sets, samples)
    errors = row_mean.std(dim=1, correction=1) / math.sqrt(n_samples) if n_samples > 1 else None
    if errors is None:
        errors = torch.full((n_sets,), float("nan"), dtype=torch.float64)
    return estimates, errors


def _corners(sets: list[tuple[int, ...]], size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Bitmasks of every subset L of each set, and the sign (-1)^(size - |L|) of each."""
    corners = torch.zeros((len(sets), 1 << size), dtype=torch.int64)
    signs = torch.empty(1 << size, dtype=torch.float64)
    for subset in range(1 << size):
        picked = [j for j in range(size) if subset >> j & 1]
        signs[subset] = (-1.0) ** (size - len(picked))
        for row, combo in enumerate(sets):
            corners[row, subset] = sum(1 << combo[j] for j in picked)
    return corners, signs


def _exact_lower_orders(
    kernel, explained: torch.Tensor, n_groups: int, order: int
) -> tuple[dict[int, torch.Tensor], dict[int, torch.Tensor]]:
    """STII below the top order: the Möbius coefficients m(K), from the subsets of K only."""
    values, errors = {}, {}
    for s in range(1, order):
        sets = interactions_of_order(n_groups, s)
        corners, signs = _corners(sets, s)
        unique, inverse = torch.unique(corners.reshape(-1), return_inverse=True)
        game = kernel.values(explained, unique)[:, inverse].reshape(-1, len(sets), 1 << s)
        values[s] = (game * signs).sum(dim=2)
        errors[s] = torch.zeros(len(sets), dtype=torch.float64)
    return values, errors


def _bernoulli_aggregate(
    sii: dict[int, torch.Tensor], errors: dict[int, torch.Tensor], n_groups: int, order: int
) -> tuple[dict[int, torch.Tensor], dict[int, torch.Tensor]]:
    """k-SII from sampled SII of orders 1..k (errors combined as if independent)."""
    position = {
        s: {combo: j for j, combo in enumerate(interactions_of_order(n_groups, s))}
        for s in range(1, order + 1)
    }
    values, variances = {}, {}
    for s in range(1, order + 1):
        values[s] = sii[s].clone()
        variances[s] = errors[s] ** 2
        for size in range(s + 1, order + 1):
            factor = _BERNOULLI[size - s]
            if factor == 0.0:
                continue
            for combo, j in position[size].items():
                for sub_combo in itertools.combinations(combo, s):
                    i = position[s][sub_combo]
                    values[s][:, i] += factor * sii[size][:, j]
                    variances[s][i] += factor**2 * errors[size][j] ** 2
    return values, {s: v.sqrt() for s, v in variances.items()}
