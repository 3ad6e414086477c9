"""The clouds of a Rashomon exploration: φ_i of every single-mask model, and the FIS of every
sum-to-one joint model of each interaction, each computed on that same model.

A joint model of a pair (triple) splits the ε budget of one ring between its groups in whole
units of δ and takes each group's boundary mask at its share, in each sign quadrant.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from analyzers.boundary_search import BoundarySearchResult
from analyzers.fis import subset_effects
from analyzers.rashomon_frames import (
    JointModel,
    boundary_frame,
    empty_fis_frame,
    fis_frame,
    trace_frame,
)
from analyzers.rashomon_result import interaction_label
from workbench.kernels import SubsetLossKernel
from workbench.progress import ProgressCallback

QUADRANT_SIGNS = {k: ["".join(s) for s in itertools.product("+-", repeat=k)] for k in (2, 3)}
_IN_SET_SLACK = 1e-12  # relative slack so a model exactly on the boundary counts as inside
_INTERACTIONS_PER_CALL = 32  # interactions per kernel call: large batches, regular progress
# (interactions, masks (variants, groups), focus (variants, k)) -> (variants, 2**k) float64
# subset losses of the variants ``order_variants`` builds for those interactions
SubsetLosses = Callable[[list, torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class ExplorationContext:
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
            {budget_fraction(j, r, self.units) for r in self.radii for j in range(self.units + 1)}
        )

    def in_set(self, loss: np.ndarray) -> np.ndarray:
        return loss - self.reference_loss <= self.epsilon * (1 + _IN_SET_SLACK)


def budget_fraction(units_of_budget: int, radius: float, units: int) -> float:
    # Rounded so the same fraction reached from different rings is one dictionary key.
    return round(units_of_budget * radius / units, 12)


class Boundaries:
    """Boundary masks m^σ_i(t) of the search, looked up by group, sign and budget fraction."""

    def __init__(
        self,
        search: BoundarySearchResult,
        groups: np.ndarray,
        directions: np.ndarray,
        fractions: list[float],
        units: int,
    ) -> None:
        self.search = search
        self._searched = (search, groups, directions)
        self._fractions = fractions
        self._units = units
        self._search_of = {
            (int(g), "+" if d > 0 else "-"): s
            for s, (g, d) in enumerate(zip(groups, directions, strict=True))
        }
        self._threshold_of = {value: i for i, value in enumerate(fractions)}

    def tables(self, names: list[str], epsilon: float) -> dict[str, pd.DataFrame]:
        """The result's ``boundaries`` and ``trace`` frames."""
        return {
            "boundaries": boundary_frame(*self._searched, names, self._fractions, epsilon),
            "trace": trace_frame(*self._searched, names, self._fractions),
        }

    def mask(self, group: int, sign: str, units_of_budget: int, radius: float) -> float:
        threshold = self._threshold_of[budget_fraction(units_of_budget, radius, self._units)]
        return float(self.search.masks[self._search_of[(group, sign)], threshold])

    def joint_masks(
        self, groups: tuple[int, ...], split: tuple[int, ...], signs: str, radius: float
    ) -> tuple[float, ...]:
        """Masks of a joint model: each group at its share of the ring's budget and sign."""
        return tuple(
            self.mask(g, sign, share, radius)
            for g, share, sign in zip(groups, split, signs, strict=True)
        )


def main_effect_cloud(
    context: ExplorationContext, kept: list[int], boundaries: Boundaries
) -> pd.DataFrame:
    """φ_i of every single-mask boundary model m^σ_i(t·r)."""
    records = single_group_models(context, kept, boundaries)
    context.report("main effects", 0, 1)
    groups = np.array([g for g, *_ in records], dtype=np.int64)
    masks = np.ones((len(records), context.n_groups))  # (models, groups)
    masks[np.arange(len(records)), groups] = [m for *_, m in records]
    focus = torch.from_numpy(groups).reshape(-1, 1)
    losses = context.kernel.subset_losses(torch.from_numpy(masks), focus).numpy()
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


def single_group_models(
    context: ExplorationContext, kept: list[int], boundaries: Boundaries
) -> list[tuple[int, str, float, float, float]]:
    """(group, sign, t, radius, mask) of every single-mask boundary model m^σ_i(t·r)."""
    units = context.units
    return [
        (g, sign, j / units, r, boundaries.mask(g, sign, j, r))
        for g in kept
        for sign in "+-"
        for r in context.radii
        for j in range(units + 1)
    ]


def interaction_clouds(
    context: ExplorationContext,
    wanted: list[tuple[int, ...]],
    boundaries: Boundaries,
    subset_losses: SubsetLosses | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference FIS and the FIS of every sum-to-one joint model, each on its own model.

    The reference model (all masks 1) of each interaction rides in the same kernel call as its
    joint models, so the rows of each focus are built once for both. ``subset_losses(items,
    masks, focus)`` gives the losses: the kernel's by default, or losses computed elsewhere in
    chunks (``analyzers.rashomon_chunks``), which the kernel makes identical per interaction.
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
            if items:
                rows, frame = _clouds_of_order(
                    context, items, k, boundaries, next_id, subset_losses or _kernel_losses(context)
                )
                reference_rows += rows
                frames.append(frame)
                next_id += len(frame)
        context.report("interactions", min(start + _INTERACTIONS_PER_CALL, total), total)
    columns = ["interaction", "order", "group_1", "group_2", "group_3", "joint_effect", "fis"]
    return pd.DataFrame(reference_rows, columns=columns), pd.concat(frames, ignore_index=True)


def _clouds_of_order(
    context: ExplorationContext,
    items: list[tuple[int, ...]],
    k: int,
    boundaries: Boundaries,
    first_id: int,
    subset_losses: SubsetLosses,
) -> tuple[list[dict], pd.DataFrame]:
    """reference_fis rows and fis_cloud rows of interactions of one order, in one kernel call."""
    models, variant_masks, groups = order_variants(context, items, k, boundaries)
    losses = subset_losses(items, torch.from_numpy(variant_masks), torch.from_numpy(groups))
    effects = subset_effects(losses[len(items) :], k)
    frame = fis_frame(
        models,
        effects,
        context.names,
        context.reference_loss,
        context.in_set(effects.loss),
        context.units,
        context.absolute,
        first_id,
    )
    return _reference_rows(context, items, losses[: len(items)], k), frame


def order_variants(
    context: ExplorationContext, items: list[tuple[int, ...]], k: int, boundaries: Boundaries
) -> tuple[list[JointModel], np.ndarray, np.ndarray]:
    """Joint models of interactions of order k, and the masks and focus of the kernel call.

    Variants are the references of ``items`` (all masks 1), then each item's joint models in
    turn: (variants, groups) masks and (variants, k) focus.
    """
    models = joint_models(context, items, k, boundaries)
    groups = np.array(items + [model.groups for model in models], dtype=np.int64).reshape(-1, k)
    # The first len(items) rows are all ones; one scatter sets every joint model's masks (a
    # model's groups are distinct).
    variant_masks = np.ones((groups.shape[0], context.n_groups))
    joint_rows = np.arange(len(items), groups.shape[0])[:, None]
    values = np.array([model.masks for model in models], dtype=np.float64).reshape(-1, k)
    variant_masks[joint_rows, groups[len(items) :]] = values
    return models, variant_masks, groups


def _kernel_losses(context: ExplorationContext) -> SubsetLosses:
    return lambda items, masks, focus: context.kernel.subset_losses(masks, focus)


def joint_models(
    context: ExplorationContext, items: list[tuple[int, ...]], k: int, boundaries: Boundaries
) -> list[JointModel]:
    """Every ring × budget split × sign quadrant of each interaction of order k."""
    return [
        JointModel(item, r, split, quadrant, signs, boundaries.joint_masks(item, split, signs, r))
        for item in items
        for r in context.radii
        for split in _budget_splits(context.units, k)
        for quadrant, signs in enumerate(QUADRANT_SIGNS[k])
    ]


def _budget_splits(units: int, k: int) -> list[tuple[int, ...]]:
    """Splits of the budget into k positive whole shares: (1, 9) ... (9, 1) for pairs."""
    return [c for c in itertools.product(range(1, units), repeat=k) if sum(c) == units]


def _reference_rows(
    context: ExplorationContext, items: list[tuple[int, ...]], subset_losses: torch.Tensor, k: int
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
