"""The stages FISC's two entry points share: the reference model and the boundary search.

``explore_rashomon`` (``analyzers.rashomon``) and ``fisc_models`` (``analyzers.fisc_models``)
both start from the reference model f* (its loss L*, ε, and the groups it is sensitive to) and
search both directions of every kept group for its Rashomon boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from analyzers.boundary_search import search_boundaries
from analyzers.rashomon_clouds import Boundaries, ExplorationContext
from analyzers.rashomon_parameters import resolve_epsilon
from workbench.kernels import SubsetLossKernel


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class _Reference:
    """The reference model f* (all masks 1): its loss, ε, and which groups it is sensitive to."""

    loss: float
    epsilon: float
    main_effects: np.ndarray  # (groups,) φ_i of f*
    names: list[str]
    selected: list[int]
    kept: list[int]
    dropped: list[int]

    def result_fields(self) -> dict:
        """The fields of RashomonResult that describe the reference model."""
        names, selected = self.names, self.selected
        return {
            "reference_loss": self.loss,
            "epsilon": self.epsilon,
            "group_names": tuple(names[g] for g in self.kept),
            "dropped_groups": tuple(names[g] for g in self.dropped),
            "reference_main_effects": pd.DataFrame(
                {
                    "group": [names[g] for g in selected],
                    "main_effect": [float(self.main_effects[g]) for g in selected],
                    "dropped": [g in self.dropped for g in selected],
                }
            ),
        }


def _reference_model(
    kernel: SubsetLossKernel,
    names: list[str],
    selected: list[int],
    epsilon_rate: float | None,
    epsilon: float | None,
    drop_tolerance: float,
) -> _Reference:
    """L*, ε and φ_i of f*; groups with |φ_i| ≤ drop_tolerance · L* are dropped."""
    n_groups = len(names)
    ones = torch.ones((n_groups, n_groups), dtype=torch.float64)
    single = kernel.subset_losses(ones, torch.arange(n_groups).unsqueeze(1))  # (groups, 2)
    loss = float(single[0, 0])
    main_effects = (single[:, 1] - single[:, 0]).numpy()
    resolved = resolve_epsilon(epsilon_rate, epsilon, loss)
    tolerance = drop_tolerance * loss if loss > 0 else drop_tolerance
    kept = [g for g in selected if abs(main_effects[g]) > tolerance]
    dropped = [g for g in selected if g not in kept]
    return _Reference(loss, resolved, main_effects, names, selected, kept, dropped)


def _search(context: ExplorationContext, kept: list[int], walk: dict) -> Boundaries:
    """Both directions of every kept group, searched together (``search_boundaries``)."""
    groups = np.repeat(np.array(kept, dtype=np.int64), 2)
    directions = np.tile(np.array([1.0, -1.0]), len(kept))
    fractions = context.fractions
    search = search_boundaries(
        context.kernel.losses,
        context.n_groups,
        groups,
        directions,
        np.array(fractions) * context.epsilon,
        context.reference_loss,
        on_step=lambda done, total: context.report("search", done, total),
        **walk,
    )
    return Boundaries(search, groups, directions, fractions, context.units)
