"""The result of a Rashomon-set exploration: frames of plain numbers, JSON round-trip.

Kept apart from the search itself so figures, the store and the app can read results without
importing the engine.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench.errors import ParameterError

INTERACTION_SEPARATOR = " × "

_FRAMES = (
    "reference_main_effects",
    "reference_fis",
    "boundaries",
    "trace",
    "main_effect_cloud",
    "fis_cloud",
)


def interaction_label(groups: tuple[str, ...] | list[str]) -> str:
    """The label of an interaction between groups, e.g. ``"age × prior"``."""
    return INTERACTION_SEPARATOR.join(groups)


@dataclass(frozen=True, eq=False)
class RashomonResult:
    """Feature-interaction score clouds over a sampled Rashomon set (FISC).

    Attributes
    ----------
    reference_loss : float
        L*, the mean loss of the reference model on the explanation rows.
    epsilon : float
        The absolute Rashomon tolerance: a model is in the set when L - L* <= epsilon.
    group_names : tuple of str
        Groups that were analysed (insensitive groups removed).
    dropped_groups : tuple of str
        Groups whose reference main effect was within the tolerance of 0, never searched.
    settings : dict
        Every parameter that produced the result (loss, estimator, shuffles, delta, radii, ...).
    seconds : float
        Wall time of the analysis.
    reference_main_effects : DataFrame
        group, main_effect, dropped.
    reference_fis : DataFrame
        interaction, order, group_1, group_2, group_3, joint_effect, fis.
    boundaries : DataFrame
        group, direction ("+"/"-"), t (fraction of the search tolerance), mask,
        loss_increase, stop ("boundary", "stall" or "mask_limit").
    trace : DataFrame
        Accepted greedy steps: group, direction, t, step, mask, loss_increase.
    main_effect_cloud : DataFrame
        One row per single-mask model: model_id, group, direction, t, radius, mask, loss,
        loss_increase, in_set, main_effect.
    fis_cloud : DataFrame
        One row per joint model and interaction: model_id, interaction, order, radius, split,
        quadrant, signs, group_1..3, share_1..3, mask_1..3, loss, loss_increase, in_set,
        joint_effect, main_effect_1..3, fis.
    """

    reference_loss: float
    epsilon: float
    group_names: tuple[str, ...]
    dropped_groups: tuple[str, ...]
    settings: dict[str, Any]
    seconds: float
    reference_main_effects: pd.DataFrame
    reference_fis: pd.DataFrame
    boundaries: pd.DataFrame
    trace: pd.DataFrame
    main_effect_cloud: pd.DataFrame
    fis_cloud: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def interactions(self) -> tuple[str, ...]:
        """Labels of the analysed interactions, in the order they were computed."""
        return tuple(self.reference_fis["interaction"])

    def interaction_of(self, groups: str | tuple[str, ...] | list[str]) -> str:
        """The stored label for a pair/triple given in any order, or a one-line error."""
        if isinstance(groups, str):
            wanted = tuple(part.strip() for part in groups.split(INTERACTION_SEPARATOR.strip()))
        else:
            wanted = tuple(groups)
        for label in self.interactions:
            if sorted(label.split(INTERACTION_SEPARATOR)) == sorted(wanted):
                return label
        shown = ", ".join(self.interactions[:6]) + (" ..." if len(self.interactions) > 6 else "")
        raise ParameterError(
            f"interaction {interaction_label(wanted)!r} is not in this result; analysed: {shown}"
        )

    def summary(self, in_set_only: bool = False) -> pd.DataFrame:
        """Range of the FIS over the sampled models, one row per interaction.

        Columns: interaction, order, reference_fis, min, max, range, mean, std, n_models,
        n_in_set. With ``in_set_only`` the statistics use only models inside the set.
        """
        cloud = self.fis_cloud
        if in_set_only:
            cloud = cloud[cloud["in_set"]]
        stats = cloud.groupby("interaction", sort=False)["fis"].agg(
            ["min", "max", "mean", "std", "count"]
        )
        in_set = self.fis_cloud.groupby("interaction", sort=False)["in_set"].sum()
        table = self.reference_fis[["interaction", "order", "fis"]].rename(
            columns={"fis": "reference_fis"}
        )
        table = table.join(stats, on="interaction")
        table = table.join(in_set.rename("n_in_set"), on="interaction")
        table["range"] = table["max"] - table["min"]
        table = table.rename(columns={"count": "n_models"})
        columns = ["interaction", "order", "reference_fis", "min", "max", "range", "mean", "std"]
        return table[[*columns, "n_models", "n_in_set"]].reset_index(drop=True)

    def main_effect_summary(self) -> pd.DataFrame:
        """Range of each group's main effect over the single-mask models."""
        stats = self.main_effect_cloud.groupby("group", sort=False)["main_effect"].agg(
            ["min", "max", "mean", "std", "count"]
        )
        table = self.reference_main_effects.join(stats, on="group")
        table["range"] = table["max"] - table["min"]
        return table.rename(columns={"count": "n_models"}).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN written as None)."""
        data: dict[str, Any] = {
            "kind": "rashomon",
            "reference_loss": self.reference_loss,
            "epsilon": self.epsilon,
            "group_names": list(self.group_names),
            "dropped_groups": list(self.dropped_groups),
            "settings": self.settings,
            "seconds": self.seconds,
            "extra": self.extra,
        }
        for name in _FRAMES:
            frame = getattr(self, name)
            data[name] = {
                "columns": list(frame.columns),
                "float_columns": [c for c in frame.columns if frame[c].dtype.kind == "f"],
                "rows": [[_json_value(v) for v in row] for row in frame.itertuples(index=False)],
            }
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RashomonResult:
        """Rebuild a result written by ``to_dict`` (or read back from its JSON)."""
        frames = {}
        for name in _FRAMES:
            frame = pd.DataFrame(data[name]["rows"], columns=data[name]["columns"])
            # JSON writes NaN as null: float columns come back as floats, gaps as NaN.
            for column in data[name].get("float_columns", []):
                frame[column] = frame[column].astype(float)
            frames[name] = frame
        return cls(
            reference_loss=float(data["reference_loss"]),
            epsilon=float(data["epsilon"]),
            group_names=tuple(data["group_names"]),
            dropped_groups=tuple(data["dropped_groups"]),
            settings=dict(data["settings"]),
            seconds=float(data["seconds"]),
            extra=dict(data.get("extra", {})),
            **frames,
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> RashomonResult:
        return cls.from_dict(json.loads(text))


def _json_value(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
