"""The result of comparing the interaction scores of several models: tidy frames, JSON round-trip.

Kept apart from the comparison itself so figures, the store and the app can read results without
importing the engine.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench.errors import ParameterError

AGREEMENT_MEASURES = ("spearman", "kendall", "top_k_overlap")
INSIDE_VERDICT = "explained by the Rashomon set"
OUTSIDE_VERDICT = "a real difference"
NOT_ANALYSED_VERDICT = "not analysed"

_FRAMES = ("table", "models_summary", "agreement", "disagreement", "rashomon")


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """Interaction scores of several models under one index, aligned and compared.

    Attributes
    ----------
    index : str
        The interaction index every compared result used (``INTERACTION_INDICES``).
    models : tuple of str
        Model names, in the order given.
    pairs : tuple of str
        Interactions scored by every model (pairs, then triples), in the first model's order.
    table : DataFrame
        The aligned pair × model table, long: pair, model, value (the global value under
        ``settings["aggregate"]``), strength (|value|), share (value / the model's total
        strength; 0 for a model without interactions) and rank (1 = the model's strongest pair;
        pairs below ``settings["zero_tolerance"]`` × the model's total tie at the last rank).
    models_summary : DataFrame
        model, total_strength (sum of strengths over the aligned pairs), has_interactions
        (total_strength above ``settings["zero_tolerance"]`` times the largest total).
    agreement : DataFrame
        One row per two models: model_a, model_b, spearman, kendall (tau-b), top_k_overlap
        (shared pairs among each model's top k, over k), n_pairs. Ranks are of strength, with
        strengths below the zero tolerance tied at 0.
        NaN when a model has no interactions or fewer than two pairs are aligned.
    disagreement : DataFrame
        One row per pair, largest first: pair, disagreement (max − min share over the models),
        value_range (max − min raw value), model_high, model_low (the models at the two ends).
    rashomon : DataFrame
        Empty unless FISC results were given. One row per reference model, other model and
        pair: reference_model, model, pair, value (the other model's signed FIS, or |FIS| when
        the FISC result is absolute), reference_fis, fis_min, fis_max (the reference model's
        FIS range over its Rashomon set, the reference model included), inside, distance
        (0 inside, else the gap to the nearer end of the range), verdict.
    settings : dict
        aggregate, top_k, zero_tolerance, in_set_only, dataset_fingerprint (when known), and the
        settings of each compared result under ``"results"``.
    seconds : float
        Wall time of the comparison (scoring included when it ran through ``compare_models``).
    """

    index: str
    models: tuple[str, ...]
    pairs: tuple[str, ...]
    table: pd.DataFrame
    models_summary: pd.DataFrame
    agreement: pd.DataFrame
    disagreement: pd.DataFrame
    rashomon: pd.DataFrame
    settings: dict[str, Any]
    seconds: float

    def to_frame(self) -> pd.DataFrame:
        """The aligned pair × model table, long (a copy of ``table``)."""
        return self.table.copy()

    def wide_table(self, column: str = "share") -> pd.DataFrame:
        """The pair × model table of one column ("value", "strength", "share" or "rank").

        Returns
        -------
        DataFrame
            Index: pair (in ``pairs`` order); columns: models (in ``models`` order).
        """
        if column not in ("value", "strength", "share", "rank"):
            raise ParameterError(
                f"column must be one of value, strength, share, rank; got {column!r}"
            )
        wide = self.table.pivot(index="pair", columns="model", values=column)
        return wide.loc[list(self.pairs), list(self.models)]

    def agreement_matrix(self, measure: str = "spearman") -> pd.DataFrame:
        """A symmetric model × model matrix of one agreement measure (1 on the diagonal).

        Parameters
        ----------
        measure : {"spearman", "kendall", "top_k_overlap"}

        Returns
        -------
        DataFrame
            Index and columns: models, in ``models`` order.
        """
        if measure not in AGREEMENT_MEASURES:
            raise ParameterError(f"measure must be one of {AGREEMENT_MEASURES}; got {measure!r}")
        models = list(self.models)
        matrix = pd.DataFrame(float("nan"), index=models, columns=models)
        for model in models:
            matrix.loc[model, model] = 1.0
        for row in self.agreement.itertuples(index=False):
            value = float(getattr(row, measure))
            matrix.loc[row.model_a, row.model_b] = value
            matrix.loc[row.model_b, row.model_a] = value
        return matrix

    def top_disagreements(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` pairs the models disagree on most (rows of ``disagreement``)."""
        if not isinstance(n, int) or n < 1:
            raise ParameterError(f"n must be a positive integer; got {n!r}")
        return self.disagreement.head(n).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN written as None)."""
        data: dict[str, Any] = {
            "kind": "comparison",
            "index": self.index,
            "models": list(self.models),
            "pairs": list(self.pairs),
            "settings": self.settings,
            "seconds": self.seconds,
        }
        for name in _FRAMES:
            data[name] = _frame_to_dict(getattr(self, name))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ComparisonResult:
        """Rebuild a result written by ``to_dict`` (or read back from its JSON)."""
        return cls(
            index=str(data["index"]),
            models=tuple(data["models"]),
            pairs=tuple(data["pairs"]),
            settings=dict(data["settings"]),
            seconds=float(data["seconds"]),
            **{name: _frame_from_dict(data[name]) for name in _FRAMES},
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> ComparisonResult:
        return cls.from_dict(json.loads(text))


def _frame_to_dict(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "columns": list(frame.columns),
        "dtypes": [str(frame[c].dtype) for c in frame.columns],
        "rows": [[_json_value(v) for v in row] for row in frame.itertuples(index=False)],
    }


def _frame_from_dict(data: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(data["rows"], columns=data["columns"])
    # JSON loses dtypes (null for NaN, nothing at all for an empty frame): restore each column's.
    for column, dtype in zip(data["columns"], data["dtypes"], strict=True):
        frame[column] = frame[column].astype(float if dtype.startswith("float") else dtype)
    return frame


def _json_value(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
