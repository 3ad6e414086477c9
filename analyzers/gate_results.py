"""Results of the gate/mask analyzer: frames of plain numbers under the one Result protocol.

Kept apart from the analyses so figures, the store and the app read results without torch.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from analyzers.result import Diagnostic, Result

__all__ = ["GateAblation", "GateAttributions", "GateReport", "GateStatistics"]


class _RenamedModel:
    """``.model`` of the gate results before the Result protocol: renamed ``model_names``."""

    model_names: tuple[str, ...]

    @property
    def model(self) -> str:
        warnings.warn(
            f"{type(self).__name__}.model is renamed model_names (read .model_name for one "
            "model); .model will be removed in the next release",
            FutureWarning,
            stacklevel=2,
        )
        return self.model_names[0]


@dataclass(frozen=True, eq=False)
class GateStatistics(_RenamedModel, Result):
    """Descriptive statistics of gate/mask values (tier D: not importance by themselves).

    Attributes
    ----------
    model_names : tuple of str
        The one model analysed.
    field_names, sites : tuple of str
    per_field : DataFrame
        site, kind, layer, field, mean, std, q05, q25, median, q75, q95, share_near_zero,
        share_above_half, energy (mean squared value), instance_dependence
        (Var_x ḡ_f / E_x ḡ_f²; 0 means the gate is the same for every row).
    per_level : DataFrame
        site, field, level (code), level_label, rows, mean_gate: the field gate's mean among
        the rows where the field takes that level.
    per_unit_site : DataFrame
        Sites that are not field-aligned (hidden-unit masks, expert gates): site, unit, mean,
        std, share_near_zero.
    settings : dict
    seconds : float
    diagnostics : tuple of Diagnostic
        ``constant_gate_site``: a site whose values are the same for every row (it scales, it
        does not select).
    """

    kind: ClassVar[str] = "gate_statistics"

    model_names: tuple[str, ...]
    field_names: tuple[str, ...]
    sites: tuple[str, ...]
    per_field: pd.DataFrame
    per_level: pd.DataFrame
    per_unit_site: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Per site and field: the gate's distribution over the rows."""
        return self.per_field


@dataclass(frozen=True, eq=False)
class GateAblation(_RenamedModel, Result):
    """Interventional test of the gates: replace one field's gate at one site, measure the loss.

    Attributes
    ----------
    model_names : tuple of str
    field_names, sites : tuple of str
    effects : DataFrame
        site, field, mode ("mean", "open", "zero"), replacement (the value used, mean over the
        field's units), loss_increase, loss_increase_low, loss_increase_high, auc_change,
        auc_change_low, auc_change_high, mean_abs_logit_change. Intervals are paired bootstrap
        percentiles over rows at ``settings["confidence"]``.
    base_loss, base_auc : float
        Of the unedited model on the same rows.
    settings : dict
    forward_passes : int
        Forward passes the kernel ran (edits share passes).
    seconds : float
    diagnostics : tuple of Diagnostic
        ``no_ablation_effect``: a site where no edit moves the loss beyond its bootstrap
        interval (every interval holds 0).
    """

    kind: ClassVar[str] = "gate_ablation"

    model_names: tuple[str, ...]
    field_names: tuple[str, ...]
    sites: tuple[str, ...]
    effects: pd.DataFrame
    base_loss: float
    base_auc: float
    settings: dict[str, Any] = field(default_factory=dict)
    forward_passes: int = 0
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per (site, field, mode): the loss and AUC change with their intervals."""
        return self.effects

    def ranking(self, site: str, mode: str = "mean") -> list[str]:
        """Fields by loss increase at one site and mode, largest first (whole-site row left out)."""
        effects = self.effects
        rows = effects[
            (effects["site"] == site) & (effects["mode"] == mode) & (effects["field"] != "(all)")
        ]
        return rows.sort_values("loss_increase", ascending=False)["field"].tolist()


@dataclass(frozen=True, eq=False)
class GateAttributions(_RenamedModel, Result):
    """captum attributions per field, beside the gate statistics and ablation.

    Attributes
    ----------
    model_names : tuple of str
    field_names : tuple of str
    per_field : DataFrame
        method, site, field, mean_abs_attribution, mean_attribution.
    completeness : DataFrame
        method, site, max_abs_gap, mean_abs_output_change: for integrated gradients on the
        embeddings, the largest |Σ attributions − (f(x) − f(baseline))| over rows.
    rank_agreement : DataFrame
        method, site, reference_site, against ("gate_mean" or "ablation": zero-ablation loss
        increase), spearman, n_fields.
    settings : dict
    seconds : float
    diagnostics : tuple of Diagnostic
    """

    kind: ClassVar[str] = "gate_attributions"

    model_names: tuple[str, ...]
    field_names: tuple[str, ...]
    per_field: pd.DataFrame
    completeness: pd.DataFrame
    rank_agreement: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per (method, site, field): the mean (absolute) attribution."""
        return self.per_field


@dataclass(frozen=True, eq=False)
class GateReport(Result):
    """Gates and field interactions of one model on one page.

    Attributes
    ----------
    model_names : tuple of str
    statistics : GateStatistics
    ablation : GateAblation
    attributions : GateAttributions or None
    interactions : DataFrame
        field_1, field_2, fis (loss scale), main_effect_1, main_effect_2, source (which
        analyzer produced it).
    settings : dict
        The parameters of ``analyze_gates``.
    seconds : float
        Wall time of the whole report.
    diagnostics : tuple of Diagnostic
        Those of its parts, in the order statistics, ablation, attributions.
    """

    kind: ClassVar[str] = "gate_report"

    model_names: tuple[str, ...]
    statistics: GateStatistics
    ablation: GateAblation
    attributions: GateAttributions | None
    interactions: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The ablation effects: the faithful test of what each gate means."""
        return self.ablation.effects
