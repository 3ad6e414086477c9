"""Tables of a Rashomon exploration, built from the search and the kernel's subset losses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyzers.fis import SubsetEffects
from analyzers.rashomon_result import interaction_label

_MAX_ORDER = 3


@dataclass(frozen=True)
class JointModel:
    """One sum-to-one joint model: the masks of an interaction's groups at one budget split."""

    groups: tuple[int, ...]
    radius: float
    split: tuple[int, ...]  # whole budget units per group, summing to 1/δ
    quadrant: int
    signs: str
    masks: tuple[float, ...]


def fis_frame(
    models: list[JointModel],
    effects: SubsetEffects,
    names: list[str],
    reference_loss: float,
    in_set: np.ndarray,
    units: int,
    absolute: bool,
    first_id: int,
) -> pd.DataFrame:
    """The fis_cloud rows of joint models of one order (columns in RashomonResult)."""
    loss, joint, mains, fis = effects.loss, effects.joint, effects.mains, effects.fis

    def per_group(values_of, default):
        return {
            k: [values_of(m)[k] if k < len(m.groups) else default for m in models]
            for k in range(_MAX_ORDER)
        }

    group_names = per_group(lambda m: [names[g] for g in m.groups], None)
    shares = per_group(lambda m: [s / units for s in m.split], np.nan)
    masks = per_group(lambda m: m.masks, np.nan)
    data = {
        "model_id": np.arange(first_id, first_id + len(models)),
        "interaction": [interaction_label([names[g] for g in m.groups]) for m in models],
        "order": [len(m.groups) for m in models],
        "radius": [m.radius for m in models],
        "split": [":".join(str(s) for s in m.split) for m in models],
        "quadrant": [m.quadrant for m in models],
        "signs": [m.signs for m in models],
    }
    for k in range(_MAX_ORDER):
        data[f"group_{k + 1}"] = group_names[k]
    for k in range(_MAX_ORDER):
        data[f"share_{k + 1}"] = np.array(shares[k], dtype=float)
    for k in range(_MAX_ORDER):
        data[f"mask_{k + 1}"] = np.array(masks[k], dtype=float)
    data["loss"] = loss
    data["loss_increase"] = loss - reference_loss
    data["in_set"] = in_set
    data["joint_effect"] = joint
    for k in range(_MAX_ORDER):
        data[f"main_effect_{k + 1}"] = mains[:, k] if k < mains.shape[1] else np.nan
    data["fis"] = np.abs(fis) if absolute else fis
    return pd.DataFrame(data)


def empty_fis_frame() -> pd.DataFrame:
    """A fis_cloud with its columns and no rows (an exploration with no interactions)."""
    return fis_frame(
        [],
        SubsetEffects(loss=np.zeros(0), joint=np.zeros(0), mains=np.zeros((0, 2))),
        [],
        0.0,
        np.zeros(0, dtype=bool),
        1,
        False,
        0,
    )


def boundary_frame(search, groups, directions, names, fractions, epsilon) -> pd.DataFrame:
    """One row per (group, direction, budget fraction): the boundary mask and why it stopped."""
    rows = [
        {
            "group": names[g],
            "direction": "+" if d > 0 else "-",
            "t": fraction,
            "mask": float(search.masks[s, t_index]),
            "loss_increase": float(search.loss_increases[s, t_index]),
            "budget": fraction * epsilon,
            "stop": str(search.stops[s, t_index]),
        }
        for s, (g, d) in enumerate(zip(groups, directions, strict=True))
        for t_index, fraction in enumerate(fractions)
    ]
    columns = ["group", "direction", "t", "mask", "loss_increase", "budget", "stop"]
    return pd.DataFrame(rows, columns=columns)


def trace_frame(search, groups, directions, names, fractions) -> pd.DataFrame:
    """Every accepted greedy step (the search-trace plot)."""
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
