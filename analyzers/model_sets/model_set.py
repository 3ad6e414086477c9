"""A Rashomon set as a list of models: members, their losses, L*, ε and who is inside.

Every builder (retrained, fitted, dropout, input masks) yields the same ``ModelSet``,
so any interaction index runs over any set. A member's loss is its mean loss on the explained
rows, computed by ``workbench.kernels.SubsetLossKernel`` (the one path that runs models in
bulk); a member is in the set when L − L* ≤ ε, with ε as FISC defines it
(``analyzers.rashomon_parameters.resolve_epsilon``: absolute, or ``epsilon_rate`` · L*).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd
import torch

from analyzers.rashomon_parameters import resolve_epsilon
from workbench.errors import ParameterError
from workbench.kernels import SubsetLossKernel
from workbench.models import ModelAdapter
from workbench.progress import ProgressCallback


@dataclass(frozen=True, eq=False)
class ModelSetMember:
    """One model of a set.

    Attributes
    ----------
    name : str
        Unique within the set (e.g. ``"seed=3"``, ``"max_depth=2,seed=0"``).
    adapter : ModelAdapter
        The wrapped model every index but "tree" runs on.
    estimator : object or None
        The fitted estimator itself, for the "tree" index (shap reads the trees).
    description : dict
        JSON-safe facts of how the member was made (parameters, seed, bootstrap).
    loss : float
        Mean loss on the explained rows.
    in_set : bool
        L − L* ≤ ε.
    """

    name: str
    adapter: ModelAdapter
    estimator: Any = None
    description: dict[str, Any] = field(default_factory=dict)
    loss: float = float("nan")
    in_set: bool = False


@dataclass(frozen=True, eq=False)
class ModelSet:
    """Members with their losses, L* (``reference_loss``) and the absolute ε.

    ``builder`` names the builder ("retrained", "fitted", "dropout", "masks"); ``settings``
    holds its JSON-safe parameters.
    """

    builder: str
    members: tuple[ModelSetMember, ...]
    reference_loss: float
    epsilon: float
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def in_set(self) -> tuple[ModelSetMember, ...]:
        return tuple(m for m in self.members if m.in_set)

    def to_frame(self) -> pd.DataFrame:
        """member, loss, loss_increase (L − L*), in_set, description (one row per member)."""
        return pd.DataFrame(
            {
                "member": [m.name for m in self.members],
                "loss": [m.loss for m in self.members],
                "loss_increase": [m.loss - self.reference_loss for m in self.members],
                "in_set": [m.in_set for m in self.members],
                "description": [_described(m.description) for m in self.members],
            }
        )


class RashomonSetBuilder(Protocol):
    """What every builder is: explained rows and ε in, a ``ModelSet`` out."""

    def build(
        self,
        dataset,
        *,
        epsilon_rate: float | None,
        epsilon: float | None,
        progress: ProgressCallback | None = None,
    ) -> ModelSet: ...


def assemble_set(
    builder: str,
    members: Sequence[ModelSetMember],
    dataset,
    *,
    epsilon_rate: float | None,
    epsilon: float | None,
    reference: int | None = None,
    settings: dict[str, Any] | None = None,
    max_batch_rows: int | None = None,
) -> ModelSet:
    """Score every member's loss on ``dataset`` and flag the in-set ones.

    L* is the loss of member ``reference`` when given (a user's chosen model), else the best
    member's loss (a retrained set's optimum is its best fit).
    """
    if not members:
        raise ParameterError(f"{builder} set: no member models were given")
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise ParameterError(f"{builder} set: member names must be unique, got {names}")
    losses = [member_loss(m.adapter, dataset, max_batch_rows) for m in members]
    if reference is None:
        reference_loss = min(losses)
    elif 0 <= reference < len(members):
        reference_loss = losses[reference]
    else:
        raise ParameterError(f"reference must be a member position 0..{len(members) - 1}")
    return flag_members(
        builder,
        members,
        losses,
        reference_loss,
        epsilon_rate=epsilon_rate,
        epsilon=epsilon,
        settings=settings,
    )


def flag_members(
    builder: str,
    members: Sequence[ModelSetMember],
    losses: Sequence[float],
    reference_loss: float,
    *,
    epsilon_rate: float | None,
    epsilon: float | None,
    settings: dict[str, Any] | None = None,
) -> ModelSet:
    """The set of members whose losses are already known: in when L − L* ≤ ε.

    For builders that score members in bulk (dropout) and whose L* is not a member's loss.
    """
    resolved = resolve_epsilon(epsilon_rate, epsilon, reference_loss)
    scored = tuple(
        ModelSetMember(
            m.name,
            m.adapter,
            m.estimator,
            m.description,
            float(loss),
            bool(loss - reference_loss <= resolved),
        )
        for m, loss in zip(members, losses, strict=True)
    )
    return ModelSet(builder, scored, float(reference_loss), float(resolved), dict(settings or {}))


def member_loss(adapter: ModelAdapter, dataset, max_batch_rows: int | None = None) -> float:
    """Mean loss of one model on the rows (the unmasked model: every group's scale 1)."""
    kernel = SubsetLossKernel(adapter, dataset, max_batch_rows=max_batch_rows)
    return float(kernel.losses(torch.ones((1, dataset.n_groups)))[0])


def _described(description: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in description.items())
