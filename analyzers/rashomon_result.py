"""The result of a Rashomon-set exploration: frames of plain numbers (the Result protocol).

Kept apart from the search itself so figures, the store and the app can read results without
importing the engine.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
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

    def summary(
        self, include_outside: bool = False, *, in_set_only: bool | None = None
    ) -> pd.DataFrame:
        """Range of the FIS over the Rashomon set, one row per interaction, ranked.

        By default the statistics range over the models **in** the Rashomon set
        (L − L* ≤ ε): the reference model (always in its own set) and the sampled joint models
        inside it. This is the one definition every view uses (FISC page, Compare verdicts, CLI
        report, CSV). ``include_outside=True`` ranges over every sampled joint model instead.

        Rows are ranked by range, widest first. An interaction with fewer than
        ``MIN_IN_SET_MODELS`` sampled joint models inside the set is flagged (``few_models``),
        left unranked (``rank`` is missing) and listed after the ranked ones: its range comes
        from too few models to compare with the others.

        Parameters
        ----------
        include_outside : bool
            Also range over the sampled joint models outside the set (loss > L* + ε).
        in_set_only : bool, optional
            Deprecated spelling of ``not include_outside``.

        Returns
        -------
        DataFrame
            interaction, order, reference_fis, min, max, range, mean, std, n_models (models the
            statistics range over, the reference included), n_in_set (sampled joint models
            inside the set), n_sampled (all sampled joint models), few_models, rank
            (1 = widest range; missing when flagged), ranges_over (in words; also in
            ``frame.attrs["ranges_over"]``).

        Example
        -------
        >>> result.summary().head(3)  # doctest: +SKIP
        """
        include_outside = _include_outside(include_outside, in_set_only)
        cloud = self.fis_cloud
        if not include_outside:
            cloud = cloud[cloud["in_set"].astype(bool)]
        reference = self.reference_fis.set_index("interaction")["fis"]
        stats = _pooled_stats(cloud, "interaction", "fis", reference)
        counts = self.fis_cloud.groupby("interaction", sort=False)["in_set"].agg(["sum", "count"])
        table = self.reference_fis[["interaction", "order", "fis"]].rename(
            columns={"fis": "reference_fis"}
        )
        table = table.join(stats, on="interaction")
        table["n_in_set"] = table["interaction"].map(counts["sum"]).fillna(0).astype(int)
        table["n_sampled"] = table["interaction"].map(counts["count"]).fillna(0).astype(int)
        table["few_models"] = table["n_in_set"] < MIN_IN_SET_MODELS
        table = _ranked(table)
        table["ranges_over"] = _ranges_over(include_outside)
        table.attrs["ranges_over"] = _ranges_over(include_outside)
        return table

    def main_effect_summary(self, include_outside: bool = False) -> pd.DataFrame:
        """Range of each group's main effect over the Rashomon set, one row per group.

        Same definition as ``summary``: the reference model and the single-mask models inside
        the set (all sampled single-mask models with ``include_outside``). Dropped groups were
        never searched: their statistics are missing.

        Returns
        -------
        DataFrame
            group, main_effect (the reference model's), dropped, min, max, mean, std,
            n_models, range, n_in_set, ranges_over (also in ``frame.attrs``).
        """
        cloud = self.main_effect_cloud
        if not include_outside:
            cloud = cloud[cloud["in_set"].astype(bool)]
        searched = self.reference_main_effects[~self.reference_main_effects["dropped"]]
        reference = searched.set_index("group")["main_effect"]
        stats = _pooled_stats(cloud, "group", "main_effect", reference)
        table = self.reference_main_effects.join(stats, on="group")
        table["range"] = table["max"] - table["min"]
        in_set = self.main_effect_cloud.groupby("group", sort=False)["in_set"].sum()
        table["n_in_set"] = table["group"].map(in_set).fillna(0).astype(int)
        table["ranges_over"] = _ranges_over(include_outside)
        table = table.reset_index(drop=True)
        table.attrs["ranges_over"] = _ranges_over(include_outside)
        return table


#: An interaction with fewer sampled joint models inside the set than this is flagged, not
#: ranked. n models drawn from a cloud span on average (n − 1)/(n + 1) of it, so fewer than 5
#: cover less than 2/3 of the in-set cloud: their range says more about which few budget
#: splits stayed inside than about the set (on compas-mlp a pair with 1 in-set model of 36
#: ranked 2nd by range over all models).
MIN_IN_SET_MODELS = 5


def _include_outside(include_outside: bool, in_set_only: bool | None) -> bool:
    if in_set_only is None:
        return bool(include_outside)
    warnings.warn(
        "summary: in_set_only= is replaced by include_outside= (in-set is the default); "
        "in_set_only= will be removed in the next release",
        FutureWarning,
        stacklevel=3,
    )
    return not in_set_only


def _ranges_over(include_outside: bool) -> str:
    if include_outside:
        return "reference + every sampled model (in and outside the set)"
    return "reference + sampled models in the set (L − L* ≤ ε)"


def _pooled_stats(cloud: pd.DataFrame, key: str, value: str, reference: pd.Series) -> pd.DataFrame:
    """min, max, range, mean, std and n_models of ``value`` per ``key``, reference included."""
    # The reference model (all masks 1) is in its own Rashomon set, so it belongs to the range.
    pooled = pd.concat(
        [
            pd.DataFrame({key: reference.index, value: reference.to_numpy(dtype=float)}),
            cloud[[key, value]],
        ],
        ignore_index=True,
    )
    stats = pooled.groupby(key, sort=False)[value].agg(["min", "max", "mean", "std", "count"])
    stats["range"] = stats["max"] - stats["min"]
    stats = stats.rename(columns={"count": "n_models"})
    return stats[["min", "max", "range", "mean", "std", "n_models"]]


def _ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Well-sampled interactions by range (widest first, rank 1), then the flagged ones."""
    table = table.sort_values(["few_models", "range"], ascending=[True, False], kind="stable")
    ranks = pd.Series(np.arange(1, len(table) + 1), index=table.index, dtype="Int64")
    table["rank"] = ranks.mask(table["few_models"].to_numpy(dtype=bool))
    return table.reset_index(drop=True)
