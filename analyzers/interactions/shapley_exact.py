"""Exact Shapley interaction indices from the values of all 2**p coalitions.

Every index here is a weighted sum of Möbius coefficients (Harsanyi dividends)
m(T) = sum_{S ⊆ T} (-1)^{|T|-|S|} v(S) over the supersets T of the interaction K:

- SII (Grabisch & Roubens):  SII(K) = sum_{T ⊇ K} m(T) / (|T| - |K| + 1); order 1 is the
  Shapley value.
- STII (Sundararajan et al.), order k: STII(K) = sum_{T ⊇ K} m(T) / C(|T|, k) for |K| = k, and
  m(K) for |K| < k.
- k-SII (Bordt & von Luxburg): kSII(S) = sum_{T ⊇ S, |T| <= k} B_{|T|-|S|} SII(T), with the
  Bernoulli numbers B (B_1 = -1/2), as in shapiq.

Both the Möbius transform and the sums over supersets are fast subset transforms (p passes over
a (rows, 2**p) array), so all interactions of all rows come out of a few vectorised passes.
"""

from __future__ import annotations

import itertools
import math

import torch

SHAPLEY_INDICES = ("sii", "stii", "ksii")

# Bernoulli numbers B_0..B_3 with B_1 = -1/2 (scipy's and shapiq's convention).
_BERNOULLI = (1.0, -0.5, 1.0 / 6.0, 0.0)


def moebius_transform(values: torch.Tensor) -> torch.Tensor:
    """(rows, 2**p) Möbius coefficients m(T) of (rows, 2**p) game values v(S)."""
    out = values.clone()
    n = out.shape[1]
    bit = 1
    while bit < n:
        view = out.view(out.shape[0], -1, 2, bit)  # (rows, blocks, bit clear/set, low bits)
        view[:, :, 1, :] -= view[:, :, 0, :]
        bit <<= 1
    return out


def superset_sums(values: torch.Tensor) -> torch.Tensor:
    """(rows, 2**p): entry K holds the sum of ``values`` over all supersets T ⊇ K."""
    out = values.clone()
    n = out.shape[1]
    bit = 1
    while bit < n:
        view = out.view(out.shape[0], -1, 2, bit)
        view[:, :, 0, :] += view[:, :, 1, :]
        bit <<= 1
    return out


def coalition_sizes(n_groups: int) -> torch.Tensor:
    """(2**p,) int64 number of groups in each bitmask."""
    masks = torch.arange(1 << n_groups, dtype=torch.int64)
    sizes = torch.zeros_like(masks)
    for g in range(n_groups):
        sizes += (masks >> g) & 1
    return sizes


def interactions_of_order(n_groups: int, order: int) -> list[tuple[int, ...]]:
    """All groups tuples of one size, in lexicographic order (the order of every frame)."""
    return list(itertools.combinations(range(n_groups), order))


def exact_indices(
    values: torch.Tensor, n_groups: int, index: str, order: int
) -> dict[int, torch.Tensor]:
    """One Shapley interaction index of every row, for orders 1..order, exactly.

    Parameters
    ----------
    values : Tensor
        (rows, 2**p) float64 game values, column = coalition bitmask.
    n_groups : int
        p.
    index : {"sii", "stii", "ksii"}
    order : int
        Highest interaction order (2 or 3).

    Returns
    -------
    dict
        order s -> (rows, C(p, s)) float64, columns in ``interactions_of_order(p, s)`` order.
    """
    if values.shape[1] != 1 << n_groups:
        raise ValueError(f"values must have 2**{n_groups} columns, got {values.shape[1]}")
    moebius = moebius_transform(values.to(torch.float64))
    sizes = coalition_sizes(n_groups).to(values.device)
    if index == "sii":
        return {s: _read(_sii_sums(moebius, sizes, s), n_groups, s) for s in range(1, order + 1)}
    if index == "stii":
        out = {s: _read(moebius, n_groups, s) for s in range(1, order)}
        weights = 1.0 / _binomial(sizes, order)
        out[order] = _read(superset_sums(moebius * weights), n_groups, order)
        return out
    if index == "ksii":
        sii_by_size = {
            s: _sii_sums(moebius, sizes, s) * (sizes == s) for s in range(1, order + 1)
        }  # SII(T) placed at its own bitmask T, one array per |T|
        out = {}
        for s in range(1, order + 1):
            total = torch.zeros_like(moebius)
            for size in range(s, order + 1):
                total += _BERNOULLI[size - s] * superset_sums(sii_by_size[size])
            out[s] = _read(total, n_groups, s)
        return out
    raise ValueError(f"index must be one of {SHAPLEY_INDICES}, got {index!r}")


def exact_indices_from_pair_games(
    kernel, explained: torch.Tensor, n_groups: int, index: str, order: int
) -> dict[int, torch.Tensor]:
    """Exact indices of v_x = mean_b g_{x,b}, from the kernel's per-pair games.

    Each (row, background row) game lives on the d groups where the two rows differ; all
    three indices are linear in the game and give null players nothing (their weights depend on
    coalition sizes only), so the index of v_x is the mean over b of each small game's index,
    placed at the global groups of its players. Same numbers as ``exact_indices`` on the full
    2**p values, with 2**d model rows per pair instead of 2**p.

    Returns
    -------
    dict
        order s -> (rows, C(p, s)) float64, as ``exact_indices``.
    """
    n_rows = explained.shape[0]
    out = {
        s: torch.zeros((n_rows, math.comb(n_groups, s)), dtype=torch.float64)
        for s in range(1, order + 1)
    }
    lookup = {s: _set_ids(n_groups, s) for s in range(1, order + 1)}
    for games in kernel.pair_games(explained):
        local = exact_indices(games.values, games.n_players, index, order)
        for s, values in local.items():
            combos = interactions_of_order(games.n_players, s)
            if not combos:
                continue
            members = games.players[:, torch.tensor(combos, dtype=torch.int64)]  # (pairs, sets, s)
            ids = lookup[s][tuple(members.unbind(dim=2))]  # (pairs, sets)
            rows = games.rows[:, None].expand_as(ids)
            out[s].index_put_((rows, ids), values, accumulate=True)
    return {s: v / kernel.n_background for s, v in out.items()}


def _set_ids(n_groups: int, size: int) -> torch.Tensor:
    """(p,)*size int64 tensor: position of each ascending tuple in interactions_of_order."""
    ids = torch.full((n_groups,) * size, -1, dtype=torch.int64)
    for j, combo in enumerate(interactions_of_order(n_groups, size)):
        ids[combo] = j
    return ids


def _sii_sums(moebius: torch.Tensor, sizes: torch.Tensor, order: int) -> torch.Tensor:
    """SII of order ``order`` at every bitmask of that size (other entries meaningless)."""
    weights = 1.0 / (sizes - order + 1).clamp_min(1).to(torch.float64)
    return superset_sums(moebius * torch.where(sizes >= order, weights, 0.0))


def _binomial(sizes: torch.Tensor, k: int) -> torch.Tensor:
    table = torch.tensor(
        [float(math.comb(int(n), k)) for n in range(int(sizes.max()) + 1)], dtype=torch.float64
    )
    return table.to(sizes.device)[sizes].clamp_min(1.0)


def _read(array: torch.Tensor, n_groups: int, order: int) -> torch.Tensor:
    masks = [sum(1 << g for g in combo) for combo in interactions_of_order(n_groups, order)]
    return array[:, torch.tensor(masks, dtype=torch.int64, device=array.device)]
