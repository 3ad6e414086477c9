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
_OPEN, _REJECTED = "open", "rejected"  # how a batch of candidates ended short of a stop


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

    Examples
    --------
    >>> search = search_boundaries(kernel.losses, 3, np.array([0, 0]), np.array([1.0, -1.0]),
    ...                            np.array([0.0, 0.05]), reference_loss=0.5)
    >>> search.masks  # (searches, thresholds)
    """
    walks = _Walks(
        directions,
        np.asarray(thresholds),
        initial_step=initial_step,
        n_refinements=n_refinements,
        stall_patience=stall_patience,
        max_mask_distance=max_mask_distance,
    )
    n_steps = 0
    while (active := walks.active()).size:
        candidates = walks.candidates(active)
        increases = _loss_increases(
            loss_of_masks, n_groups, groups[active], candidates, reference_loss
        )
        n_steps += 1
        for s, tried, increase in zip(active, candidates, increases, strict=True):
            walks.advance(int(s), tried, increase)
        if on_step is not None:
            on_step(walks.boundaries_done(), walks.n_searches * walks.n_thresholds)
    return BoundarySearchResult(
        walks.boundary_masks, walks.boundary_increases, walks.stops, walks.trace, n_steps
    )


def _loss_increases(
    loss_of_masks: Callable[[torch.Tensor], torch.Tensor],
    n_groups: int,
    groups: np.ndarray,
    candidates: list[np.ndarray],
    reference_loss: float,
) -> list[np.ndarray]:
    """Loss increase of every candidate mask, all searches in one kernel call, split per search."""
    sizes = [len(c) for c in candidates]
    owners = np.repeat(np.arange(len(candidates)), sizes)
    flat = np.concatenate(candidates)
    variants = torch.ones((flat.size, n_groups), dtype=torch.float64)  # (candidates, groups)
    variants[torch.arange(flat.size), torch.as_tensor(groups[owners])] = torch.as_tensor(flat)
    increases = loss_of_masks(variants).numpy() - reference_loss
    return np.split(increases, np.cumsum(sizes)[:-1])


class _Walks:
    """State of every (group, direction) walk: where it stands, and what it has found.

    One row per search in every array; ``advance`` applies one kernel call's verdicts to one
    search exactly as the sequential walk of Algorithm 1 would.
    """

    def __init__(
        self,
        directions: np.ndarray,
        thresholds: np.ndarray,
        *,
        initial_step: float,
        n_refinements: int,
        stall_patience: int,
        max_mask_distance: float,
    ) -> None:
        self.directions, self.thresholds = np.asarray(directions), thresholds
        self.initial_step, self.n_refinements = initial_step, n_refinements
        self.stall_patience, self.max_mask_distance = stall_patience, max_mask_distance
        n = self.n_searches = len(directions)
        self.n_thresholds = len(thresholds)
        self.mask = np.ones(n)
        self.threshold_index = np.zeros(n, dtype=np.int64)
        self.step = np.full(n, initial_step)
        self.rejections = np.zeros(n, dtype=np.int64)
        self.stalled_steps = np.zeros(n, dtype=np.int64)
        self.last_increase = np.zeros(n)
        self.lookahead = np.full(n, _FIRST_LOOKAHEAD)
        self.accepted_count = np.zeros(n, dtype=np.int64)
        self.boundary_masks = np.ones((n, self.n_thresholds))  # (searches, thresholds)
        self.boundary_increases = np.zeros((n, self.n_thresholds))
        self.stops = np.full((n, self.n_thresholds), STOP_BOUNDARY, dtype=object)
        self.trace: list[tuple[int, int, int, float, float]] = []

    def active(self) -> np.ndarray:
        """Searches with a boundary still to find."""
        return np.flatnonzero(self.threshold_index < self.n_thresholds)

    def boundaries_done(self) -> int:
        return int(np.minimum(self.threshold_index, self.n_thresholds).sum())

    def candidates(self, active: np.ndarray) -> list[np.ndarray]:
        """(lookahead,) masks of each active search, by repeated addition as the walk would.

        One row-wise running sum for all searches (each row adds left to right, as the walk
        does), then each search takes its own lookahead: no array built per search.
        """
        lookahead = self.lookahead[active]
        steps = np.empty((active.size, int(lookahead.max()) + 1))
        steps[:, 0] = self.mask[active]
        steps[:, 1:] = (self.directions[active] * self.step[active])[:, None]
        walked = np.add.accumulate(steps, axis=1)[:, 1:]
        return [row[:n] for row, n in zip(walked, lookahead.tolist(), strict=True)]

    def advance(self, s: int, candidates: np.ndarray, increases: np.ndarray) -> None:
        """Accept the prefix of candidates the walk would accept, then act on how it ended."""
        outcome = self._accept(s, candidates, increases)
        if outcome in (STOP_STALL, STOP_MASK_LIMIT):
            self._stop(s, outcome)
        elif outcome == _OPEN:
            self.lookahead[s] = min(2 * self.lookahead[s], _MAX_LOOKAHEAD)
        else:
            self._refine(s)

    def _accept(self, s: int, candidates: np.ndarray, increases: np.ndarray) -> str:
        """Walk through the candidates in order; how the walk ended (or ``_OPEN``)."""
        # The walk runs on Python floats and writes its state back once: numpy scalar access
        # per candidate was most of this loop's cost.
        t = int(self.threshold_index[s])
        budget = float(self.thresholds[t])
        stalled, count = int(self.stalled_steps[s]), int(self.accepted_count[s])
        last, mask = float(self.last_increase[s]), float(self.mask[s])
        outcome = _OPEN
        for candidate, increase in zip(candidates.tolist(), increases.tolist(), strict=True):
            if abs(candidate - 1.0) > self.max_mask_distance:
                outcome = STOP_MASK_LIMIT
                break
            if not increase < budget:
                outcome = _REJECTED
                break
            stalled = stalled + 1 if increase == last else 0
            last, mask, count = increase, candidate, count + 1
            self.trace.append((s, t, count, candidate, increase))
            if stalled >= self.stall_patience:
                outcome = STOP_STALL
                break
        self.stalled_steps[s], self.accepted_count[s] = stalled, count
        self.last_increase[s], self.mask[s] = last, mask
        return outcome

    def _stop(self, s: int, outcome: str) -> None:
        """The walk cannot locate further boundaries: the loss is flat or the mask ran off."""
        t = self.threshold_index[s]
        self.boundary_masks[s, t:] = self.mask[s]
        self.boundary_increases[s, t:] = self.last_increase[s]
        self.stops[s, t:] = outcome
        self.threshold_index[s] = self.n_thresholds

    def _refine(self, s: int) -> None:
        """A rejection: a ten times finer step, or the boundary after ``n_refinements`` of them."""
        self.step[s] /= 10.0
        self.rejections[s] += 1
        self.lookahead[s] = _REFINED_LOOKAHEAD
        if self.rejections[s] < self.n_refinements:
            return
        t = self.threshold_index[s]
        self.boundary_masks[s, t] = self.mask[s]
        self.boundary_increases[s, t] = self.last_increase[s]
        self.threshold_index[s] += 1
        self.step[s] = self.initial_step
        self.rejections[s] = 0
        self.stalled_steps[s] = 0
        self.lookahead[s] = _FIRST_LOOKAHEAD
