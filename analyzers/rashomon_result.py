"""The result of a Rashomon-set exploration: frames of plain numbers (the Result protocol).

Kept apart from the search itself so figures, the store and the app can read results without
importing the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from analyzers.result import Diagnostic, Result
from workbench.errors import ParameterError

INTERACTION_SEPARATOR = " × "


def interaction_label(groups: tuple[str, ...] | list[str]) -> str:
    """The label of an interaction between groups, e.g. ``"age × prior"``."""
    return INTERACTION_SEPARATOR.join(groups)


@dataclass(frozen=True, eq=False)
class RashomonResult(Result):
    """Feature-interaction score clouds over a sampled Rashomon set (FISC).

    ``to_frame()`` is the FIS cloud (one row per sampled joint model and interaction);
    ``summary()`` condenses it to one row per interaction.

    Attributes
    ----------
    model_names : tuple of str
        The one reference model explored (``model_name`` of ``explore_rashomon``).
    settings : dict
        Every parameter that produced the result (loss, approximator, shuffles, delta, radii, ...).
    seconds : float
        Wall time of the analysis.
    reference_loss : float
        L*, the mean loss of the reference model on the explanation rows.
    epsilon : float
        The absolute Rashomon tolerance: a model is in the set when L - L* <= epsilon.
    group_names : tuple of str
        Groups that were analysed (insensitive groups removed).
    dropped_groups : tuple of str
        Groups whose reference main effect was within the tolerance of 0, never searched.
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
    extra : dict
        Counters of the run: search_steps, rows_evaluated, skipped_interactions.
    diagnostics : tuple of Diagnostic
        What makes the result degenerate (see ``analyzers.rashomon_diagnostics``).
    """

    kind = "rashomon"

    model_names: tuple[str, ...]
    settings: dict[str, Any]
    seconds: float
    reference_loss: float
    epsilon: float
    group_names: tuple[str, ...]
    dropped_groups: tuple[str, ...]
    reference_main_effects: pd.DataFrame
    reference_fis: pd.DataFrame
    boundaries: pd.DataFrame
    trace: pd.DataFrame
    main_effect_cloud: pd.DataFrame
    fis_cloud: pd.DataFrame
    extra: dict[str, Any] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The FIS cloud: one row per sampled joint model and interaction."""
        return self.fis_cloud

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
