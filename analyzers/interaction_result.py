"""The result of scoring the interactions of one model: tidy frames, JSON round-trip.

Every index (permutation FIS, Friedman's H², SII, STII, k-SII, tree SHAP) returns the same
shape of result, so figures, the comparison across models and the app's store treat them alike.
Kept apart from the analyses so readers need not import the engine.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analyzers.rashomon_result import INTERACTION_SEPARATOR
from workbench.errors import ParameterError

INTERACTION_INDICES = ("fis", "h2", "sii", "stii", "ksii", "tree")
AGGREGATES = ("mean_abs", "mean")

_SCORE_COLUMNS = ("model", "index", "pair", "value")
_ERROR_COLUMNS = ("pair", "standard_error")


@dataclass(frozen=True, eq=False)
class InteractionResult:
    """Interaction scores of one model under one index.

    Attributes
    ----------
    model : str
        Name of the model, given by the caller.
    index : str
        One of ``INTERACTION_INDICES``.
    group_names : tuple of str
        The groups scored, in data order.
    scores : DataFrame
        Tidy: model, index, pair, value, and optionally row (int position of the explained
        row for local values; NA, or no column at all, for global values). ``pair`` is the
        groups joined by ``INTERACTION_SEPARATOR`` in group order; triples are joined alike.
    main_effects : DataFrame
        model, index, group, value (global); may be empty.
    settings : dict
        JSON-safe parameters that produced the result (estimator, n_rows, background size...).
    seconds : float
        Wall time of the analysis.
    standard_errors : DataFrame or None
        pair, standard_error of the global mean value, for sampling approximations.
    """

    model: str
    index: str
    group_names: tuple[str, ...]
    scores: pd.DataFrame
    main_effects: pd.DataFrame
    settings: dict[str, Any]
    seconds: float
    standard_errors: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if self.index not in INTERACTION_INDICES:
            raise ParameterError(f"index must be one of {INTERACTION_INDICES}, got {self.index!r}")
        missing = [c for c in _SCORE_COLUMNS if c not in self.scores.columns]
        if missing:
            raise ParameterError(f"scores lacks the columns {missing}")

    @property
    def pairs(self) -> tuple[str, ...]:
        """Labels of the scored interactions (pairs, then triples), in the order computed."""
        return tuple(pd.unique(self.scores["pair"]))

    @property
    def is_local(self) -> bool:
        """Whether the scores hold per-row values."""
        return "row" in self.scores.columns and bool(self.scores["row"].notna().any())

    def global_scores(self, aggregate: str = "mean_abs") -> pd.DataFrame:
        """One value per interaction.

        Parameters
        ----------
        aggregate : {"mean_abs", "mean"}
            Local values: the mean of |value| over rows, or the signed mean. Global values
            (FIS, H²) are returned as |value| or as they are.

        Returns
        -------
        DataFrame
            pair, value; in the order the pairs were computed.
        """
        if aggregate not in AGGREGATES:
            raise ParameterError(f"aggregate must be one of {AGGREGATES}, got {aggregate!r}")
        frame = self.scores
        if self.is_local:
            frame = frame[frame["row"].notna()]
        values = frame["value"].astype(float)
        if aggregate == "mean_abs":
            values = values.abs()
        table = values.groupby(frame["pair"], sort=False).mean()
        return pd.DataFrame({"pair": table.index.astype(str), "value": table.to_numpy()})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN and NA written as None)."""
        frames = {"scores": self.scores, "main_effects": self.main_effects}
        if self.standard_errors is not None:
            frames["standard_errors"] = self.standard_errors
        data: dict[str, Any] = {
            "kind": "interactions",
            "model": self.model,
            "index": self.index,
            "group_names": list(self.group_names),
            "settings": self.settings,
            "seconds": self.seconds,
        }
        for name, frame in frames.items():
            data[name] = _frame_to_dict(frame)
        data.setdefault("standard_errors", None)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InteractionResult:
        """Rebuild a result written by ``to_dict`` (or read back from its JSON)."""
        errors = data.get("standard_errors")
        return cls(
            model=str(data["model"]),
            index=str(data["index"]),
            group_names=tuple(data["group_names"]),
            scores=_frame_from_dict(data["scores"]),
            main_effects=_frame_from_dict(data["main_effects"]),
            settings=dict(data["settings"]),
            seconds=float(data["seconds"]),
            standard_errors=None if errors is None else _frame_from_dict(errors),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> InteractionResult:
        return cls.from_dict(json.loads(text))


def split_pair(label: str) -> tuple[str, ...]:
    """The groups of an interaction label, e.g. ``"a × b"`` -> ``("a", "b")``."""
    return tuple(label.split(INTERACTION_SEPARATOR))


def _frame_to_dict(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "columns": list(frame.columns),
        "dtypes": {c: str(frame[c].dtype) for c in frame.columns},
        "rows": [[_json_value(v) for v in row] for row in frame.itertuples(index=False)],
    }


def _frame_from_dict(data: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(data["rows"], columns=data["columns"])
    for column, dtype in data.get("dtypes", {}).items():
        # JSON writes NaN/NA as null: restore floats, nullable ints and strings.
        if dtype.startswith("float"):
            frame[column] = frame[column].astype(float)
        elif dtype in ("Int64", "int64"):
            frame[column] = frame[column].astype(dtype if frame[column].notna().all() else "Int64")
        elif dtype in ("str", "string", "object"):
            frame[column] = frame[column].astype(dtype if dtype != "string" else "string")
    return frame


def _json_value(value: Any) -> Any:
    if value is pd.NA or value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
