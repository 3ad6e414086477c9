"""Results of the gate/mask analyzer: frames of plain numbers with an exact JSON round trip.

Kept apart from the analyses so figures, the store and the app read results without torch.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

__all__ = ["GateAblation", "GateAttributions", "GateReport", "GateStatistics"]


def frame_to_dict(frame: pd.DataFrame) -> dict[str, Any]:
    """Columns, float columns and rows of plain values (NaN as None)."""
    return {
        "columns": list(frame.columns),
        "float_columns": [c for c in frame.columns if frame[c].dtype.kind == "f"],
        "rows": [[_json_value(v) for v in row] for row in frame.itertuples(index=False)],
    }


def frame_from_dict(data: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(data["rows"], columns=data["columns"])
    for column in data.get("float_columns", []):
        frame[column] = frame[column].astype(float)
    return frame


def _json_value(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class _FramesResult:
    """Shared to_dict/from_dict for results made of named frames plus plain fields."""

    kind: ClassVar[str]
    frames: ClassVar[tuple[str, ...]]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        for name, value in vars(self).items():
            data[name] = frame_to_dict(value) if name in self.frames else _plain(value)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        values = {k: v for k, v in data.items() if k != "kind"}
        for name in cls.frames:
            values[name] = frame_from_dict(values[name])
        for name in ("field_names", "sites"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str):
        return cls.from_dict(json.loads(text))


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return _json_value(value)


@dataclass(frozen=True, eq=False)
class GateStatistics(_FramesResult):
    """Descriptive statistics of gate/mask values (tier D: not importance by themselves).

    Attributes
    ----------
    model : str
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
    """

    kind: ClassVar[str] = "gate_statistics"
    frames: ClassVar[tuple[str, ...]] = ("per_field", "per_level", "per_unit_site")

    model: str
    field_names: tuple[str, ...]
    sites: tuple[str, ...]
    per_field: pd.DataFrame
    per_level: pd.DataFrame
    per_unit_site: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True, eq=False)
class GateAblation(_FramesResult):
    """Interventional test of the gates: replace one field's gate at one site, measure the loss.

    Attributes
    ----------
    model : str
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
    """

    kind: ClassVar[str] = "gate_ablation"
    frames: ClassVar[tuple[str, ...]] = ("effects",)

    model: str
    field_names: tuple[str, ...]
    sites: tuple[str, ...]
    effects: pd.DataFrame
    base_loss: float
    base_auc: float
    settings: dict[str, Any] = field(default_factory=dict)
    forward_passes: int = 0
    seconds: float = 0.0

    def ranking(self, site: str, mode: str = "mean") -> list[str]:
        """Fields by loss increase at one site and mode, largest first (whole-site row left out)."""
        effects = self.effects
        rows = effects[
            (effects["site"] == site) & (effects["mode"] == mode) & (effects["field"] != "(all)")
        ]
        return rows.sort_values("loss_increase", ascending=False)["field"].tolist()


@dataclass(frozen=True, eq=False)
class GateAttributions(_FramesResult):
    """captum attributions per field, beside the gate statistics and ablation.

    Attributes
    ----------
    model : str
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
    """

    kind: ClassVar[str] = "gate_attributions"
    frames: ClassVar[tuple[str, ...]] = ("per_field", "completeness", "rank_agreement")

    model: str
    field_names: tuple[str, ...]
    per_field: pd.DataFrame
    completeness: pd.DataFrame
    rank_agreement: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True, eq=False)
class GateReport:
    """Gates and field interactions of one model on one page.

    Attributes
    ----------
    statistics : GateStatistics
    ablation : GateAblation
    attributions : GateAttributions or None
    interactions : DataFrame
        field_1, field_2, fis (loss scale), main_effect_1, main_effect_2, source (which
        analyzer produced it).
    """

    statistics: GateStatistics
    ablation: GateAblation
    attributions: GateAttributions | None
    interactions: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "gate_report",
            "statistics": self.statistics.to_dict(),
            "ablation": self.ablation.to_dict(),
            "attributions": None if self.attributions is None else self.attributions.to_dict(),
            "interactions": frame_to_dict(self.interactions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateReport:
        attributions = data.get("attributions")
        return cls(
            statistics=GateStatistics.from_dict(data["statistics"]),
            ablation=GateAblation.from_dict(data["ablation"]),
            attributions=None if attributions is None else GateAttributions.from_dict(attributions),
            interactions=frame_from_dict(data["interactions"]),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> GateReport:
        return cls.from_dict(json.loads(text))
