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
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from analyzers.boundary_search import search_boundaries
from analyzers.rashomon_result import RashomonResult, interaction_label
from workbench.errors import ParameterError
from workbench.kernels import SubsetLossKernel

ProgressCallback = Callable[[str, int, int], None]
QUADRANT_SIGNS = {k: ["".join(s) for s in itertools.product("+-", repeat=k)] for k in (2, 3)}
_IN_SET_SLACK = 1e-12  # relative slack so a model exactly on the boundary counts as inside


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
    wanted = _interactions(names, kept, dropped, order, interactions)
    reference_fis = _reference_fis(kernel, n_groups, wanted, names, absolute)
    report("reference", 1, 1)

    # One threshold list covers every ring: boundary fraction t of ring r sits at t·r·ε.
    fractions = sorted({round(j * r / units, 12) for r in radii for j in range(units + 1)})
    threshold_of = {value: i for i, value in enumerate(fractions)}
    kept_array = np.repeat(np.array(kept, dtype=np.int64), 2)
    directions = np.tile(np.array([1.0, -1.0]), len(kept))
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
    search_index = {
        (int(g), "+" if d > 0 else "-"): s
        for s, (g, d) in enumerate(zip(kept_array, directions, strict=True))
    }

    def boundary(group: int, sign: str, fraction: float) -> float:
        return float(search.masks[search_index[(group, sign)], threshold_of[round(fraction, 12)]])

    main_cloud = _main_effect_cloud(
        kernel,
        n_groups,
        kept,
        names,
        search,
        search_index,
        fractions,
        reference_loss,
        eps,
        radii,
        units,
        report,
    )
    fis_cloud = _fis_cloud(
        kernel,
        n_groups,
        wanted,
        names,
        boundary,
        radii,
        units,
        reference_loss,
        eps,
        absolute,
        report,
    )
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
        boundaries=_boundary_frame(search, kept_array, directions, names, fractions, eps),
        trace=_trace_frame(search, kept_array, directions, names, fractions),
        main_effect_cloud=main_cloud,
        fis_cloud=fis_cloud,
        extra={"search_steps": search.n_steps, "rows_evaluated": kernel.rows_evaluated},
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
) -> list[tuple[int, ...]]:
    if explicit is None:
        if order not in (2, 3):
            raise ParameterError(f"order must be 2 or 3, got {order!r}")
        return list(itertools.combinations(kept, order))
    chosen = []
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
            continue  # an insensitive group has no boundary to search; listed in dropped_groups
        if any(g not in kept for g in index):
            raise ParameterError(f"interactions: {item!r} uses a group outside groups=")
        if index not in chosen:
            chosen.append(index)
    return chosen


# ---------------------------------------------------------------------------- computations
def _effects(subset_losses: torch.Tensor, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss, joint effect φ_I and per-group main effects φ_i from (variants, 2**k) losses."""
    losses = subset_losses.numpy()
    base = losses[:, 0]
    joint = losses[:, (1 << k) - 1] - base
    mains = np.stack([losses[:, 1 << j] - base for j in range(k)], axis=1)  # (variants, k)
    return base, joint, mains


def _reference_fis(kernel, n_groups, wanted, names, absolute) -> pd.DataFrame:
    rows = []
    for k in (2, 3):
        items = [i for i in wanted if len(i) == k]
        if not items:
            continue
        masks = torch.ones((len(items), n_groups), dtype=torch.float64)
        _, joint, mains = _effects(kernel.subset_losses(masks, torch.tensor(items)), k)
        fis = joint - mains.sum(axis=1)
        for item, j, f in zip(items, joint, fis, strict=True):
            labels = [names[g] for g in item]
            rows.append(
                {
                    "interaction": interaction_label(labels),
                    "order": k,
                    "group_1": labels[0],
                    "group_2": labels[1],
                    "group_3": labels[2] if k == 3 else None,
                    "joint_effect": float(j),
                    "fis": float(abs(f) if absolute else f),
                }
            )
    columns = ["interaction", "order", "group_1", "group_2", "group_3", "joint_effect", "fis"]
    return pd.DataFrame(rows, columns=columns)


def _main_effect_cloud(
    kernel,
    n_groups,
    kept,
    names,
    search,
    search_index,
    fractions,
    reference_loss,
    eps,
    radii,
    units,
    report,
) -> pd.DataFrame:
    """φ_i of every single-mask boundary model m^σ_i(t·r)."""
    records = []
    for g in kept:
        for sign in "+-":
            s = search_index[(g, sign)]
            for r in radii:
                for j in range(units + 1):
                    t_index = fractions.index(round(j * r / units, 12))
                    records.append((g, sign, j / units, r, float(search.masks[s, t_index])))
    report("main effects", 0, 1)
    masks = torch.ones((len(records), n_groups), dtype=torch.float64)
    for v, (g, _, _, _, m) in enumerate(records):
        masks[v, g] = m
    focus = torch.tensor([[g] for g, *_ in records], dtype=torch.int64).reshape(-1, 1)
    losses = kernel.subset_losses(masks, focus).numpy() if records else np.zeros((0, 2))
    report("main effects", 1, 1)
    frame = pd.DataFrame(
        {
            "model_id": np.arange(len(records)),
            "group": [names[g] for g, *_ in records],
            "direction": [sign for _, sign, *_ in records],
            "t": [t for _, _, t, _, _ in records],
            "radius": [r for *_, r, _ in records],
            "mask": [m for *_, m in records],
            "loss": losses[:, 0],
            "loss_increase": losses[:, 0] - reference_loss,
            "in_set": losses[:, 0] - reference_loss <= eps * (1 + _IN_SET_SLACK),
            "main_effect": losses[:, 1] - losses[:, 0],
        }
    )
    return frame


def _budget_splits(units: int, k: int) -> list[tuple[int, ...]]:
    """Splits of the budget into k positive whole shares: (1, 9) ... (9, 1) for pairs."""
    return [c for c in itertools.product(range(1, units), repeat=k) if sum(c) == units]


def _fis_cloud(
    kernel,
    n_groups,
    wanted,
    names,
    boundary,
    radii,
    units,
    reference_loss,
    eps,
    absolute,
    report,
) -> pd.DataFrame:
    """FIS of every sum-to-one joint model, on that same model."""
    frames = []
    chunk = 32
    total = len(wanted)
    report("interactions", 0, total)
    next_id = 0
    for start in range(0, total, chunk):
        block = wanted[start : start + chunk]
        for k in (2, 3):
            items = [i for i in block if len(i) == k]
            if not items:
                continue
            records, masks, focus = [], [], []
            for item in items:
                for r in radii:
                    for split in _budget_splits(units, k):
                        for quadrant, signs in enumerate(QUADRANT_SIGNS[k]):
                            mask = np.ones(n_groups)
                            group_masks = []
                            for g, share, sign in zip(item, split, signs, strict=True):
                                mask[g] = boundary(g, sign, share * r / units)
                                group_masks.append(mask[g])
                            records.append((item, r, split, quadrant, signs, group_masks))
                            masks.append(mask)
                            focus.append(item)
            losses = kernel.subset_losses(torch.tensor(np.array(masks)), torch.tensor(focus))
            loss, joint, mains = _effects(losses, k)
            fis = joint - mains.sum(axis=1)
            frames.append(
                _fis_frame(
                    records,
                    loss,
                    joint,
                    mains,
                    fis,
                    names,
                    reference_loss,
                    eps,
                    units,
                    absolute,
                    next_id,
                )
            )
            next_id += len(records)
        report("interactions", min(start + chunk, total), total)
    if not frames:
        return _fis_frame(
            [],
            np.zeros(0),
            np.zeros(0),
            np.zeros((0, 2)),
            np.zeros(0),
            names,
            reference_loss,
            eps,
            units,
            absolute,
            0,
        )
    return pd.concat(frames, ignore_index=True)


def _fis_frame(
    records, loss, joint, mains, fis, names, reference_loss, eps, units, absolute, first_id
) -> pd.DataFrame:
    def column(values_of_record, k_index, default=None):
        return [
            values_of_record(rec)[k_index] if len(rec[0]) > k_index else default for rec in records
        ]

    data = {
        "model_id": np.arange(first_id, first_id + len(records)),
        "interaction": [interaction_label([names[g] for g in rec[0]]) for rec in records],
        "order": [len(rec[0]) for rec in records],
        "radius": [rec[1] for rec in records],
        "split": [":".join(str(s) for s in rec[2]) for rec in records],
        "quadrant": [rec[3] for rec in records],
        "signs": [rec[4] for rec in records],
    }
    for k in range(3):
        data[f"group_{k + 1}"] = column(lambda rec: [names[g] for g in rec[0]], k)
    for k in range(3):
        data[f"share_{k + 1}"] = column(lambda rec: [s / units for s in rec[2]], k, np.nan)
    for k in range(3):
        data[f"mask_{k + 1}"] = column(lambda rec: rec[5], k, np.nan)
    data["loss"] = loss
    data["loss_increase"] = loss - reference_loss
    data["in_set"] = loss - reference_loss <= eps * (1 + _IN_SET_SLACK)
    data["joint_effect"] = joint
    for k in range(3):
        data[f"main_effect_{k + 1}"] = [
            mains[v, k] if k < mains.shape[1] else np.nan for v in range(len(records))
        ]
    data["fis"] = np.abs(fis) if absolute else fis
    return pd.DataFrame(data)


def _boundary_frame(search, groups, directions, names, fractions, eps) -> pd.DataFrame:
    rows = []
    for s, (g, d) in enumerate(zip(groups, directions, strict=True)):
        for t_index, fraction in enumerate(fractions):
            rows.append(
                {
                    "group": names[g],
                    "direction": "+" if d > 0 else "-",
                    "t": fraction,
                    "mask": float(search.masks[s, t_index]),
                    "loss_increase": float(search.loss_increases[s, t_index]),
                    "budget": fraction * eps,
                    "stop": str(search.stops[s, t_index]),
                }
            )
    columns = ["group", "direction", "t", "mask", "loss_increase", "budget", "stop"]
    return pd.DataFrame(rows, columns=columns)


def _trace_frame(search, groups, directions, names, fractions) -> pd.DataFrame:
    rows = [
        {
            "group": names[groups[s]],
            "direction": "+" if directions[s] > 0 else "-",
            "t": fractions[t_index],
            "step": step,
            "mask": mask,
            "loss_increase": increase,
        }
        for s, t_index, step, mask, increase in search.trace
    ]
    return pd.DataFrame(rows, columns=["group", "direction", "t", "step", "mask", "loss_increase"])
