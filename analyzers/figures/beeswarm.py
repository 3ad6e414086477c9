"""Deterministic beeswarm layout: vertical offsets that keep nearby points of one row apart."""

from __future__ import annotations

import numpy as np

from workbench.errors import ParameterError


def beeswarm_offsets(
    values: np.ndarray | list[float],
    width: float = 0.4,
    *,
    min_gap: float | None = None,
    layers: int = 6,
) -> np.ndarray:
    """Vertical offsets for the points of one swarm row, spreading overlapping points.

    Points are visited from the smallest value up; each takes the first free layer among offsets
    0, +step, -step, +2 step, -2 step, ... (step = ``width / layers``), where a layer is taken
    when a point closer than ``min_gap`` along x already sits in it. When every layer is taken the
    point joins the layer whose nearest neighbour is farthest away. Each run of overlapping points
    is then centred on 0, so a pile of equal values is symmetric about the row. No randomness:
    the same values always give the same offsets.

    Parameters
    ----------
    values : array-like of float
        The x positions of the row's points; non-finite values get offset 0.
    width : float
        Largest offset either side of the row, in row units.
    min_gap : float, optional
        Two points closer than this along x would overlap. Default: 1/50 of the value span
        (1 when all values are equal).
    layers : int
        Layers on each side of the row.

    Returns
    -------
    numpy.ndarray
        Offsets in [-width, width], one per value, in the order of ``values``.

    Example
    -------
    >>> beeswarm_offsets([0.0, 0.0, 0.0, 5.0], width=0.4, min_gap=1.0, layers=2).tolist()
    [0.0, 0.2, -0.2, 0.0]
    """
    x = np.asarray(values, dtype=float).reshape(-1)
    if not np.isfinite(width) or width < 0:
        raise ParameterError(f"width must be a finite number >= 0; got {width!r}")
    if isinstance(layers, bool) or not isinstance(layers, int | np.integer) or layers < 1:
        raise ParameterError(f"layers must be an integer >= 1; got {layers!r}")
    finite = np.flatnonzero(np.isfinite(x))
    offsets = np.zeros(x.shape[0])
    if finite.size == 0 or width == 0:
        return offsets
    if min_gap is None:
        span = float(x[finite].max() - x[finite].min())
        min_gap = span / 50 if span > 0 else 1.0
    elif not np.isfinite(min_gap) or min_gap <= 0:
        raise ParameterError(f"min_gap must be a positive number; got {min_gap!r}")

    step = width / layers
    candidates = np.array([0] + [s * k for k in range(1, layers + 1) for s in (1, -1)])
    order = finite[np.argsort(x[finite], kind="stable")]
    slots = np.zeros(x.shape[0], dtype=int)
    window_start = 0
    for position, index in enumerate(order):
        while x[order[window_start]] <= x[index] - min_gap:
            window_start += 1
        neighbours = order[window_start:position]
        slots[index] = _free_slot(candidates, slots[neighbours], x[index] - x[neighbours])

    # Centring each run of overlapping points moves them together, so they stay apart from each
    # other; different runs are at least min_gap apart along x and cannot overlap anyway.
    run_starts = np.flatnonzero(np.diff(x[order]) >= min_gap) + 1
    for run in np.split(order, run_starts):
        centre = (slots[run].max() + slots[run].min()) / 2
        offsets[run] = (slots[run] - centre) * step
    return offsets


def _free_slot(candidates: np.ndarray, taken: np.ndarray, distances: np.ndarray) -> int:
    """The first candidate layer not taken by a neighbour, else the one with the farthest one."""
    nearest = np.full(candidates.shape[0], np.inf)
    for slot, distance in zip(taken, distances, strict=True):
        where = candidates == slot
        nearest[where] = np.minimum(nearest[where], abs(distance))
    free = np.flatnonzero(np.isinf(nearest))
    if free.size:
        return int(candidates[free[0]])
    return int(candidates[np.argmax(nearest)])
