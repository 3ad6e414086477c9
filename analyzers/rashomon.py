"""Rashomon-set exploration: the cloud of feature interaction scores (FISC).

Li, Wang, Deng & Barnard, "Exploring the cloud of feature interaction scores in a Rashomon set"
(ICLR 2024); definitions and the reference code's bugs in ``shared/docs/fisc.md``. The model
class is input scaling, f_m(x) = f*(m ⊙ x) with one mask entry per group. For every group and
direction a greedy search finds the masks m^σ_i(t) whose single-group loss increase stays within
t·ε; joint models of a pair (triple) split the ε budget between its groups (9 splits × 4 sign
quadrants per pair, 36 × 8 per triple), and the FIS of each joint model is computed on that same
model: FIS_I(f) = φ_I(f) − Σ_{i∈I} φ_i(f).

Every loss goes through ``workbench.kernels.SubsetLossKernel``; this module only decides which
variants to evaluate and assembles the result.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from analyzers.boundary_search import search_boundaries
from analyzers.fis import subset_effects
from analyzers.rashomon_frames import (
    JointModel,
    boundary_frame,
    empty_fis_frame,
    fis_frame,
    trace_frame,
)
from analyzers.rashomon_result import RashomonResult, interaction_label
from workbench.errors import ParameterError
from workbench.kernels import SubsetLossKernel
from workbench.progress import ProgressCallback

QUADRANT_SIGNS = {k: ["".join(s) for s in itertools.product("+-", repeat=k)] for k in (2, 3)}
_IN_SET_SLACK = 1e-12  # relative slack so a model exactly on the boundary counts as inside
_INTERACTIONS_PER_CALL = 32  # interactions per kernel call: large batches, regular progress


def explore_rashomon(
    model,
    dataset,
    *,
    epsilon_rate: float | None = 0.1,
    epsilon: float | None = None,
    order: int = 2,
    interactions: Sequence[Sequence[str]] | None = None,
    groups: Sequence[str] | None = None,
    estimator: str = "auto",
    n_permutations: int = 30,
    permutation: str = "independent",
    delta: float = 0.1,
    radii: Sequence[float] = (1.0,),
    absolute: bool = False,
    drop_tolerance: float = 1e-9,
    initial_step: float = 0.1,
    n_refinements: int = 4,
    stall_patience: int = 20,
    max_mask_distance: float = 1e3,
    max_batch_rows: int | None = None,
    seed: int = 0,
    progress: ProgressCallback | None = None,
) -> RashomonResult:
    """Sample the Rashomon set of a model and compute the FIS cloud of its interactions.

    Parameters
    ----------
    model : ModelAdapter
        The reference model f* (from ``workbench.wrap_model``).
    dataset : Dataset
        Explanation rows with their target; ``dataset.groups`` are the units masked together.
    epsilon_rate : float or None
        ε relative to the reference loss: ε = epsilon_rate · L*. Ignored when ``epsilon`` is set.
    epsilon : float or None
        Absolute ε (needed when L* = 0, e.g. MSE on noise-free data).
    order : {2, 3}
        Interaction order when ``interactions`` is not given: all pairs or all triples.
    interactions : list of tuples of group names, optional
        Explicit pairs/triples to analyse (orders may mix).
    groups : list of str, optional
        Restrict the analysis to these groups (the others keep mask 1 and are never replaced).
    estimator : {"auto", "exact", "permutation"}
        How permutation effects are estimated (see ``workbench.kernels``).
    n_permutations : int
        Shuffles per group for the permutation estimator (the reference code uses 30).
    permutation : {"independent", "joint"}
        One permutation per replaced group, or one shared by all groups of an interaction.
    delta : float
        Spacing of the boundary grid t ∈ {0, δ, ..., 1}; 1/δ must be a whole number.
    radii : sequence of float
        Rings at r·ε; joint models are built for each ring. 1.0 is the Rashomon boundary.
    absolute : bool
        Report |FIS| (the paper-era convention) instead of the signed score.
    drop_tolerance : float
        Groups with |φ_i| ≤ drop_tolerance · L* are insensitive: dropped, never searched.
    initial_step, n_refinements, stall_patience, max_mask_distance
        Greedy-search settings (Algorithm 1: 0.1 and 4; guards against flat losses).
    max_batch_rows : int or None
        Rows per forward pass; None sizes it from the device.
    seed : int
        Seed of the permutations.
    progress : callable, optional
        ``progress(stage, done, total)`` for stages "reference", "search", "main effects",
        "interactions".

    Returns
    -------
    RashomonResult

    Examples
    --------
    >>> result = explore_rashomon(model, ds, epsilon_rate=0.1, order=2, estimator="exact")
    >>> result.summary().sort_values("range", ascending=False).head()
    """
    started = time.perf_counter()
    units = _grid_units(delta)
    radii = _check_radii(radii)
    report = progress or (lambda stage, done, total: None)
    kernel = SubsetLossKernel(
        model,
        dataset,
        estimator=estimator,
        n_permutations=n_permutations,
        permutation=permutation,
        max_batch_rows=max_batch_rows,
        seed=seed,
    )
    n_groups = dataset.n_groups
    names = list(dataset.group_names)
    selected = _select_groups(names, groups)

    report("reference", 0, 1)
    ones = torch.ones((n_groups, n_groups), dtype=torch.float64)
    single = kernel.subset_losses(ones, torch.arange(n_groups).unsqueeze(1))  # (groups, 2)
    reference_loss = float(single[0, 0])
    main_effects = (single[:, 1] - single[:, 0]).numpy()
    eps = _resolve_epsilon(epsilon_rate, epsilon, reference_loss)
    tolerance = drop_tolerance * reference_loss if reference_loss > 0 else drop_tolerance
    kept = [g for g in selected if abs(main_effects[g]) > tolerance]
    dropped = [g for g in selected if g not in kept]
    wanted, skipped = _interactions(names, kept, dropped, order, interactions)
    context = _Context(kernel, n_groups, names, reference_loss, eps, radii, units, absolute, report)
    report("reference", 1, 1)

    kept_array = np.repeat(np.array(kept, dtype=np.int64), 2)
    directions = np.tile(np.array([1.0, -1.0]), len(kept))
    fractions = context.fractions
    search = search_boundaries(
        kernel.losses,
        n_groups,
        kept_array,
        directions,
        np.array(fractions) * eps,
        reference_loss,
        initial_step=initial_step,
        n_refinements=n_refinements,
        stall_patience=stall_patience,
        max_mask_distance=max_mask_distance,
        on_step=lambda done, total: report("search", done, total),
    )
    boundaries = _Boundaries(search, kept_array, directions, fractions, units)
    main_cloud = _main_effect_cloud(context, kept, boundaries)
    reference_fis, fis_cloud = _interaction_clouds(context, wanted, boundaries)
    settings = {
        "loss": model.loss.name,
        "output_kind": model.output_kind,
        "epsilon_rate": None if epsilon is not None else epsilon_rate,
        "epsilon": epsilon,
        "order": order,
        "estimator": estimator,
        "estimators_used": sorted({kernel.estimator_for(tuple(i)) for i in wanted}) or [],
        "n_permutations": n_permutations,
        "permutation": permutation,
        "delta": delta,
        "radii": list(radii),
        "absolute": absolute,
        "drop_tolerance": drop_tolerance,
        "initial_step": initial_step,
        "n_refinements": n_refinements,
        "stall_patience": stall_patience,
        "max_mask_distance": max_mask_distance,
        "seed": seed,
        "n_rows": dataset.n_rows,
        "n_distinct_rows": kernel.n_patterns,
    }
    return RashomonResult(
        reference_loss=reference_loss,
        epsilon=eps,
        group_names=tuple(names[g] for g in kept),
        dropped_groups=tuple(names[g] for g in dropped),
        settings=settings,
        seconds=time.perf_counter() - started,
        reference_main_effects=pd.DataFrame(
            {
                "group": [names[g] for g in selected],
                "main_effect": [float(main_effects[g]) for g in selected],
                "dropped": [g in dropped for g in selected],
            }
        ),
        reference_fis=reference_fis,
        boundaries=boundary_frame(search, kept_array, directions, names, fractions, eps),
        trace=trace_frame(search, kept_array, directions, names, fractions),
        main_effect_cloud=main_cloud,
        fis_cloud=fis_cloud,
        extra={
            "search_steps": search.n_steps,
            "rows_evaluated": kernel.rows_evaluated,
            # Requested interactions with an insensitive group: no boundary to sample around.
            "skipped_interactions": skipped,
        },
    )


# ---------------------------------------------------------------------------- parameters
def _grid_units(delta: float) -> int:
    if not 0 < delta <= 0.5:
        raise ParameterError(f"delta must be in (0, 0.5], got {delta!r}")
    units = round(1.0 / delta)
    if abs(units * delta - 1.0) > 1e-9:
        raise ParameterError(
            f"delta must divide 1 into whole steps (0.1, 0.2, 0.25...), got {delta}"
        )
    return units


def _check_radii(radii: Sequence[float]) -> list[float]:
    values = [float(r) for r in radii]
    if not values or any(not np.isfinite(r) or r <= 0 for r in values):
        raise ParameterError(f"radii must be positive numbers, got {list(radii)!r}")
    return sorted(set(values))


def _resolve_epsilon(rate: float | None, absolute: float | None, reference_loss: float) -> float:
    if absolute is not None:
        if not np.isfinite(absolute) or absolute <= 0:
            raise ParameterError(f"epsilon must be a positive number, got {absolute!r}")
        return float(absolute)
    if rate is None or not np.isfinite(rate) or rate <= 0:
        raise ParameterError(f"epsilon_rate must be a positive number, got {rate!r}")
    if reference_loss <= 0:
        raise ParameterError(
            f"epsilon_rate={rate} gives an empty Rashomon set because the reference loss is "
            f"{reference_loss:g}; pass an absolute epsilon= instead"
        )
    return float(rate) * reference_loss


def _select_groups(names: list[str], groups: Sequence[str] | None) -> list[int]:
    if groups is None:
        return list(range(len(names)))
    unknown = [g for g in groups if g not in names]
    if unknown:
        raise ParameterError(f"groups: unknown group {unknown[0]!r}; known: {', '.join(names[:8])}")
    return sorted({names.index(g) for g in groups})


def _interactions(
    names: list[str],
    kept: list[int],
    dropped: list[int],
    order: int,
    explicit: Sequence[Sequence[str]] | None,
) -> tuple[list[tuple[int, ...]], list[str]]:
    """Group indices of the interactions to analyse, and labels of requested ones skipped."""
    if explicit is None:
        if order not in (2, 3):
            raise ParameterError(f"order must be 2 or 3, got {order!r}")
        return list(itertools.combinations(kept, order)), []
    chosen, skipped = [], []
    for item in explicit:
        if isinstance(item, str) or len(item) not in (2, 3) or len(set(item)) != len(item):
            raise ParameterError(
                f"interactions: each entry needs 2 or 3 distinct groups, got {item!r}"
            )
        for name in item:
            if name not in names:
                raise ParameterError(f"interactions: unknown group {name!r}")
        index = tuple(sorted(names.index(name) for name in item))
        if any(g in dropped for g in index):
            skipped.append(interaction_label(list(item)))  # no boundary to search around
            continue
        if any(g not in kept for g in index):
            raise ParameterError(f"interactions: {item!r} uses a group outside groups=")
        if index not in chosen:
            chosen.append(index)
    return chosen, skipped


# ---------------------------------------------------------------------------- computations
@dataclass(frozen=True)
class _Context:
    """What every stage of one exploration shares."""

    kernel: SubsetLossKernel
    n_groups: int
    names: list[str]
    reference_loss: float
    epsilon: float
    radii: list[float]
    units: int
    absolute: bool
    report: ProgressCallback

    @property
    def fractions(self) -> list[float]:
        """Every budget fraction searched: boundary t of ring r sits at t·r (times ε)."""
        return sorted(
            {_fraction(j, r, self.units) for r in self.radii for j in range(self.units + 1)}
        )

    def in_set(self, loss: np.ndarray) -> np.ndarray:
        return loss - self.reference_loss <= self.epsilon * (1 + _IN_SET_SLACK)


def _fraction(units_of_budget: int, radius: float, units: int) -> float:
    # Rounded so the same fraction reached from different rings is one dictionary key.
    return round(units_of_budget * radius / units, 12)


class _Boundaries:
    """Boundary masks m^σ_i(t) of the search, looked up by group, sign and budget fraction."""

    def __init__(
        self, search, groups: np.ndarray, directions: np.ndarray, fractions, units: int
    ) -> None:
        self._masks = search.masks
        self._units = units
        self._search_of = {
            (int(g), "+" if d > 0 else "-"): s
            for s, (g, d) in enumerate(zip(groups, directions, strict=True))
        }
        self._threshold_of = {value: i for i, value in enumerate(fractions)}

    def mask(self, group: int, sign: str, units_of_budget: int, radius: float) -> float:
        threshold = self._threshold_of[_fraction(units_of_budget, radius, self._units)]
        return float(self._masks[self._search_of[(group, sign)], threshold])

    def joint_masks(
        self, groups: tuple[int, ...], split: tuple[int, ...], signs: str, radius: float
    ) -> tuple[float, ...]:
        """Masks of a joint model: each group at its share of the ring's budget and sign."""
        return tuple(
            self.mask(g, sign, share, radius)
            for g, share, sign in zip(groups, split, signs, strict=True)
        )


def _reference_rows(
    context: _Context, items: list[tuple[int, ...]], subset_losses: torch.Tensor, k: int
) -> list[dict]:
    """reference_fis rows of interactions of order k from the reference model's subset losses."""
    effects = subset_effects(subset_losses, k)
    rows = []
    for item, j, f in zip(items, effects.joint, effects.fis, strict=True):
        labels = [context.names[g] for g in item]
        rows.append(
            {
                "interaction": interaction_label(labels),
                "order": k,
                "group_1": labels[0],
                "group_2": labels[1],
                "group_3": labels[2] if k == 3 else None,
                "joint_effect": float(j),
                "fis": float(abs(f) if context.absolute else f),
            }
        )
    return rows


def _main_effect_cloud(context: _Context, kept: list[int], boundaries: _Boundaries) -> pd.DataFrame:
    """φ_i of every single-mask boundary model m^σ_i(t·r)."""
    units = context.units
    records = [
        (g, sign, j / units, r, boundaries.mask(g, sign, j, r))
        for g in kept
        for sign in "+-"
        for r in context.radii
        for j in range(units + 1)
    ]
    context.report("main effects", 0, 1)
    masks = torch.ones((len(records), context.n_groups), dtype=torch.float64)
    for v, (g, _, _, _, m) in enumerate(records):
        masks[v, g] = m
    focus = torch.tensor([[g] for g, *_ in records], dtype=torch.int64).reshape(-1, 1)
    losses = context.kernel.subset_losses(masks, focus).numpy()
    context.report("main effects", 1, 1)
    return pd.DataFrame(
        {
            "model_id": np.arange(len(records)),
            "group": [context.names[g] for g, *_ in records],
            "direction": [sign for _, sign, *_ in records],
            "t": [t for _, _, t, _, _ in records],
            "radius": [r for *_, r, _ in records],
            "mask": [m for *_, m in records],
            "loss": losses[:, 0],
            "loss_increase": losses[:, 0] - context.reference_loss,
            "in_set": context.in_set(losses[:, 0]),
            "main_effect": losses[:, 1] - losses[:, 0],
        }
    )


def _budget_splits(units: int, k: int) -> list[tuple[int, ...]]:
    """Splits of the budget into k positive whole shares: (1, 9) ... (9, 1) for pairs."""
    return [c for c in itertools.product(range(1, units), repeat=k) if sum(c) == units]


def _interaction_clouds(
    context: _Context, wanted: list[tuple[int, ...]], boundaries: _Boundaries
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference FIS and the FIS of every sum-to-one joint model, each on its own model.

    The reference model (all masks 1) of each interaction rides in the same kernel call as its
    joint models, so the rows of each focus are built once for both.
    """
    reference_rows: list[dict] = []
    frames = [empty_fis_frame()]
    total = len(wanted)
    context.report("interactions", 0, total)
    next_id = 0
    for start in range(0, total, _INTERACTIONS_PER_CALL):
        block = wanted[start : start + _INTERACTIONS_PER_CALL]
        for k in (2, 3):
            items = [item for item in block if len(item) == k]
            if not items:
                continue
            models = [
                JointModel(
                    item, r, split, quadrant, signs, boundaries.joint_masks(item, split, signs, r)
                )
                for item in items
                for r in context.radii
                for split in _budget_splits(context.units, k)
                for quadrant, signs in enumerate(QUADRANT_SIGNS[k])
            ]
            # (references + joint models, groups): the first len(items) rows are all ones.
            variant_masks = torch.ones(
                (len(items) + len(models), context.n_groups), dtype=torch.float64
            )
            for v, model in enumerate(models, start=len(items)):
                variant_masks[v, list(model.groups)] = torch.tensor(
                    model.masks, dtype=torch.float64
                )
            focus = torch.tensor(items + [model.groups for model in models])
            losses = context.kernel.subset_losses(variant_masks, focus)
            reference_rows += _reference_rows(context, items, losses[: len(items)], k)
            effects = subset_effects(losses[len(items) :], k)
            frames.append(
                fis_frame(
                    models,
                    effects,
                    context.names,
                    context.reference_loss,
                    context.in_set(effects.loss),
                    context.units,
                    context.absolute,
                    next_id,
                )
            )
            next_id += len(models)
        context.report("interactions", min(start + _INTERACTIONS_PER_CALL, total), total)
    columns = ["interaction", "order", "group_1", "group_2", "group_3", "joint_effect", "fis"]
    return pd.DataFrame(reference_rows, columns=columns), pd.concat(frames, ignore_index=True)
