"""Input-mask Rashomon sets: FISC's model class f_m(x) = f*(m ⊙ x) as a list of models.

The masks are the models FISC's own search and sampling find (``analyzers.rashomon.fisc_models``:
single-group boundary models and the sum-to-one joint models of each pair); each member is the
reference model behind an input scaling (``workbench.models.scaled_inputs``), so any index runs
on it. The halo and the FIS clouds stay with ``explore_rashomon``; here the masks only make a set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from analyzers.model_sets.model_set import ModelSet, ModelSetMember, flag_members
from analyzers.rashomon import EXPLORE_PARAMETERS, fisc_models
from workbench.errors import ParameterError
from workbench.kernels import SubsetLossKernel
from workbench.models import ModelAdapter, wrap_model
from workbench.models.scaled_inputs import scale_inputs
from workbench.progress import ProgressCallback

REFERENCE_MEMBER = "reference"


@dataclass(frozen=True, eq=False)
class MaskSetBuilder:
    """Members: the reference model and a seeded sample of FISC's mask models.

    Parameters
    ----------
    model : ModelAdapter
        The reference model f* (anything ``wrap_model`` takes is wrapped).
    n_members : int
        Members in all, the reference (all masks 1) first; the others are drawn without
        replacement from FISC's distinct masks, seeded by ``seed``.
    groups : sequence of str, optional
        Restrict the search to these groups (as ``explore_rashomon``).
    delta, radii, drop_tolerance
        As ``explore_rashomon``: the boundary grid, the rings and the insensitive groups.
    seed : int
    max_batch_rows : int or None

    Examples
    --------
    >>> model_set = MaskSetBuilder(sample.adapter, n_members=16).build(test, epsilon_rate=0.1)
    >>> model_set.settings["search_stops"]  # all "stall": scaling moves no tree split
    """

    model: Any
    n_members: int = 32
    groups: Sequence[str] | None = None
    delta: float = EXPLORE_PARAMETERS["delta"].default
    radii: Sequence[float] = EXPLORE_PARAMETERS["radii"].default
    drop_tolerance: float = EXPLORE_PARAMETERS["drop_tolerance"].default
    seed: int = 0
    max_batch_rows: int | None = None
    name: ClassVar[str] = "masks"

    def build(
        self,
        dataset,
        *,
        epsilon_rate: float | None = 0.1,
        epsilon: float | None = None,
        progress: ProgressCallback | None = None,
    ) -> ModelSet:
        """Search FISC's boundaries, draw the members and flag those within ε of f*'s loss."""
        if isinstance(self.n_members, bool) or not isinstance(self.n_members, int):
            raise ParameterError(f"n_members must be a positive integer, got {self.n_members!r}")
        if self.n_members < 1:
            raise ParameterError(f"n_members must be a positive integer, got {self.n_members!r}")
        adapter = self._adapter(dataset)
        found = fisc_models(
            adapter,
            dataset,
            epsilon_rate=epsilon_rate,
            epsilon=epsilon,
            groups=self.groups,
            delta=self.delta,
            radii=self.radii,
            drop_tolerance=self.drop_tolerance,
            max_batch_rows=self.max_batch_rows,
            progress=progress,
        )
        chosen = self._chosen(found.masks)
        masks = np.vstack(
            [np.ones((1, dataset.n_groups)), found.masks[chosen]]
        )  # (members, groups)
        kernel = SubsetLossKernel(adapter, dataset, max_batch_rows=self.max_batch_rows)
        losses = kernel.losses(torch.from_numpy(masks)).tolist()
        descriptions = [{"kind": REFERENCE_MEMBER}] + [found.descriptions[i] for i in chosen]
        columns = [g.columns for g in dataset.groups]
        members = [
            ModelSetMember(
                _member_name(description),
                scale_inputs(adapter, _column_scale(mask, columns, dataset.n_features)),
                None,
                {**description, "masks": [round(float(m), 6) for m in mask]},
            )
            for mask, description in zip(masks, descriptions, strict=True)
        ]
        settings = {
            "n_members": int(self.n_members),
            "n_fisc_models": len(found.descriptions),
            "groups": None if self.groups is None else list(self.groups),
            "delta": float(self.delta),
            "radii": [float(r) for r in self.radii],
            "seed": int(self.seed),
            # "stall" everywhere: scaling the inputs does not move the model (trees on binary
            # features), so every member is the reference model.
            "search_stops": found.stops,
        }
        return flag_members(
            self.name,
            members,
            losses,
            losses[0],
            epsilon_rate=epsilon_rate,
            epsilon=epsilon,
            settings=settings,
        )

    def _adapter(self, dataset) -> ModelAdapter:
        if isinstance(self.model, ModelAdapter):
            return self.model
        y = None if dataset.y is None else dataset.y.numpy()
        return wrap_model(self.model, y=y)

    def _chosen(self, masks: np.ndarray) -> np.ndarray:
        """Rows of the distinct non-reference masks drawn, in FISC's order."""
        _, first = np.unique(masks, axis=0, return_index=True)
        distinct = np.sort(first)
        distinct = distinct[~np.all(masks[distinct] == 1.0, axis=1)]
        wanted = min(self.n_members - 1, distinct.size)
        rng = np.random.default_rng(self.seed)
        return np.sort(rng.choice(distinct, size=wanted, replace=False))


def _column_scale(mask: np.ndarray, columns: list, n_features: int) -> torch.Tensor:
    """(features,) each column scaled by its group's mask; columns in no group keep 1."""
    scale = torch.ones(n_features)
    for value, group_columns in zip(mask, columns, strict=True):
        scale[torch.as_tensor(group_columns, dtype=torch.int64)] = float(value)
    return scale


def _member_name(description: dict[str, Any]) -> str:
    kind = description["kind"]
    if kind == REFERENCE_MEMBER:
        return REFERENCE_MEMBER
    ring = f" r={description['radius']:g}"
    if kind == "boundary":
        return f"{description['group']} {description['direction']} t={description['t']:g}" + ring
    return f"{description['interaction']} {description['signs']} {description['split']}" + ring
