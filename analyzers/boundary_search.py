"""Greedy search for the Rashomon boundary of each group, all groups and directions at once.

FISC Algorithm 1: for group i and direction σ, start at m = 1 and, for each boundary fraction t
in increasing order, walk m ← m + σ·step while the single-group loss increase stays below t·ε;
on a rejection divide the step by 10; after ``n_refinements`` rejections record m as the boundary
m^σ_i(t) and go on to the next t *without resetting m* (so m^σ_i(t) is monotone in t).

The reference code walks one (group, direction) at a time; here every search advances in the
same kernel call. Each search also evaluates several steps ahead at once (``lookahead``
candidates m + σ·step, m + 2σ·step, ... built by the same repeated additions the sequential
walk would make) and keeps the accepted prefix, exactly what the sequential walk would have
accepted, since a candidate's loss does not depend on the path. The lookahead doubles while
every candidate is accepted (up to 64: longer runs of speculation cost more in discarded
candidates past each boundary than they save in calls) and drops to 10 after a rejection (a
step ten times finer fits at most nine times before reaching the point just rejected), so a
walk of hundreds of steps costs a handful of kernel calls instead of hundreds.

Two guards the reference code lacks or gets wrong (fisc.md B8): a search whose accepted losses
stop changing for ``stall_patience`` consecutive steps (the loss is flat along that axis) stops
and marks its remaining boundaries "stall"; a mask further than ``max_mask_distance`` from 1
stops with "mask_limit". Both counters are per search and reset on progress.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

STOP_BOUNDARY, STOP_STALL, STOP_MASK_LIMIT = "boundary", "stall", "mask_limit"
_FIRST_LOOKAHEAD, _REFINED_LOOKAHEAD, _MAX_LOOKAHEAD = 4, 10, 64


@dataclass(frozen=True)
class BoundarySearchResult:
    """Boundary masks of every (group, direction) search.

    Attributes
    ----------
    masks : ndarray
        (searches, thresholds) boundary mask of each search at each threshold.
    loss_increases : ndarray
        (searches, thresholds) single-group loss increase at that boundary mask.
    stops : ndarray
        (searches, thresholds) str: why the walk ended at that threshold.
    trace : list of tuple
        Accepted steps: (search, threshold index, step number, mask, loss increase).
    n_steps : int
        Sequential kernel calls the search took.
    """

    masks: np.ndarray
    loss_increases: np.ndarray
    stops: np.ndarray
    trace: list[tuple[int, int, int, float, float]]
    n_steps: int


def search_boundaries(
    loss_of_masks: Callable[[torch.Tensor], torch.Tensor],
    n_groups: int,
    groups: np.ndarray,
    directions: np.ndarray,
    thresholds: np.ndarray,
    reference_loss: float,
    *,
    initial_step: float = 0.1,
    n_refinements: int = 4,
    stall_patience: int = 20,
    max_mask_distance: float = 1e3,
    on_step: Callable[[int, int], None] | None = None,
) -> BoundarySearchResult:
    """Run every (group, direction) greedy search together.

    Parameters
    ----------
    loss_of_masks : callable
        (variants, n_groups) masks -> (variants,) mean losses (the kernel).
    n_groups : int
        Width of a mask.
    groups, directions : ndarray
        (searches,) group index and direction (+1 or -1) of each search.
    thresholds : ndarray
        Increasing absolute loss-increase budgets t·ε (the first is usually 0).
    reference_loss : float
        L*, the loss at m = 1.
    initial_step, n_refinements : float, int
        First step of every boundary, and the rejections (each dividing the step by 10) that end
        it: 0.1 and 4 give a resolution of 1e-4.
    stall_patience, max_mask_distance : int, float
        Guards against walking forever along a flat loss (see the module docstring).
    on_step : callable, optional
        Called as ``on_step(boundaries_done, boundaries_total)`` after each kernel call.

    Returns
    -------
    BoundarySearchResult
    """
    n_searches, n_thresholds = len(groups), len(thresholds)
    mask = np.ones(n_searches)
    threshold_index = np.zeros(n_searches, dtype=np.int64)
    step = np.full(n_searches, initial_step)
    rejections = np.zeros(n_searches, dtype=np.int64)
    stalled_steps = np.zeros(n_searches, dtype=np.int64)
    last_increase = np.zeros(n_searches)
    lookahead = np.full(n_searches, _FIRST_LOOKAHEAD)
    boundary_masks = np.ones((n_searches, n_thresholds))
    boundary_increases = np.zeros((n_searches, n_thresholds))
    stops = np.full((n_searches, n_thresholds), STOP_BOUNDARY, dtype=object)
    trace: list[tuple[int, int, int, float, float]] = []
    accepted_count = np.zeros(n_searches, dtype=np.int64)
    n_steps = 0
    while True:
        active = np.flatnonzero(threshold_index < n_thresholds)
        if active.size == 0:
            break
        # Candidates of each search: (lookahead,) masks by repeated addition, as the walk would.
        candidates = [
            np.add.accumulate(np.r_[mask[s], np.full(lookahead[s], directions[s] * step[s])])[1:]
            for s in active
        ]
        owners = np.repeat(np.arange(active.size), [len(c) for c in candidates])
        flat = np.concatenate(candidates)
        variants = torch.ones((flat.size, n_groups), dtype=torch.float64)
        variants[torch.arange(flat.size), torch.as_tensor(groups[active][owners])] = (
            torch.as_tensor(flat)
        )
        increases = loss_of_masks(variants).numpy() - reference_loss
        n_steps += 1
        offsets = np.r_[0, np.cumsum([len(c) for c in candidates])]
        for position, s in enumerate(active):
            t = threshold_index[s]
            budget = thresholds[t]
            outcome = "open"
            for candidate, increase in zip(
                candidates[position],
                increases[offsets[position] : offsets[position + 1]],
                strict=True,
            ):
                if abs(candidate - 1.0) > max_mask_distance:
                    outcome = STOP_MASK_LIMIT
                    break
                if not increase < budget:
                    outcome = "rejected"
                    break
                stalled_steps[s] = stalled_steps[s] + 1 if increase == last_increase[s] else 0
                last_increase[s] = increase
                mask[s] = candidate
                accepted_count[s] += 1
                trace.append(
                    (int(s), int(t), int(accepted_count[s]), float(candidate), float(increase))
                )
                if stalled_steps[s] >= stall_patience:
                    outcome = STOP_STALL
                    break
            if outcome in (STOP_STALL, STOP_MASK_LIMIT):
                # The walk cannot locate further boundaries: the loss is flat or the mask ran off.
                boundary_masks[s, t:] = mask[s]
                boundary_increases[s, t:] = last_increase[s]
                stops[s, t:] = outcome
                threshold_index[s] = n_thresholds
                continue
            if outcome == "open":
                lookahead[s] = min(2 * lookahead[s], _MAX_LOOKAHEAD)
                continue
            step[s] /= 10.0
            rejections[s] += 1
            lookahead[s] = _REFINED_LOOKAHEAD
            if rejections[s] >= n_refinements:
                boundary_masks[s, t] = mask[s]
                boundary_increases[s, t] = last_increase[s]
                threshold_index[s] += 1
                step[s] = initial_step
                rejections[s] = 0
                stalled_steps[s] = 0
                lookahead[s] = _FIRST_LOOKAHEAD
        if on_step is not None:
            on_step(int(np.minimum(threshold_index, n_thresholds).sum()), n_searches * n_thresholds)
    return BoundarySearchResult(boundary_masks, boundary_increases, stops, trace, n_steps)
