"""The result of comparing the interaction scores of several models: tidy frames, JSON round-trip.

Kept apart from the comparison itself so figures, the store and the app can read results without
importing the engine. It follows the Result protocol (``analyzers.result``).
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from analyzers.result import Diagnostic, Result
from workbench.errors import ParameterError

AGREEMENT_MEASURES = ("spearman", "kendall", "top_k_overlap")
INSIDE_VERDICT = "explained by the Rashomon set"
OUTSIDE_VERDICT = "a real difference"
NOT_ANALYSED_VERDICT = "not analysed"

#: the columns and types of ``ComparisonResult.rashomon``
VERDICT_COLUMNS = {
    "reference_model": str,
    "model": str,
    "pair": str,
    "index": str,
    "range_source": str,
    "value": float,
    "reference_value": float,
    "range_low": float,
    "range_high": float,
    "inside": bool,
    "distance": float,
    "verdict": str,
    "few_models": bool,
}
#: the names comparisons stored before the range columns were named by what they hold: they
#: said "fis" even when the range was a model set's SII or H² (read back under the new names)
_OLD_RANGE_COLUMNS = {
    "reference_fis": "reference_value",
    "fis_min": "range_low",
    "fis_max": "range_high",
}


def range_source_text(source: dict[str, Any] | None) -> str:
    """What a range is over, short, for a table cell: "fisc" or "model set: dropout, 8 members"
    (``source`` is ``compare_rashomon.range_source``'s; None, from before sources were kept,
    was always FISC)."""
    if not source or source.get("kind") != "model_set":
        return "fisc"
    members = source["n_members"]
    return f"model set: {source['builder']}, {members} member{'s' * (members != 1)}"


def upgrade_verdicts(frame: pd.DataFrame, index: str, sources: dict[str, Any]) -> pd.DataFrame:
    """A verdict frame stored under the old column names, in today's columns: the range
    columns renamed, ``index`` and ``range_source`` filled from the comparison's settings."""
    if not set(_OLD_RANGE_COLUMNS) & set(frame.columns):
        return frame
    frame = frame.rename(columns=_OLD_RANGE_COLUMNS)
    frame["index"] = index
    frame["range_source"] = [
        range_source_text(sources.get(model)) for model in frame["reference_model"]
    ]
    return frame[list(VERDICT_COLUMNS)].astype(VERDICT_COLUMNS)


@dataclass(frozen=True, eq=False)
class ComparisonResult(Result):
    """Interaction scores of several models under one index, aligned and compared.

    Attributes
    ----------
    index : str
        The interaction index every compared result used (``INTERACTION_INDICES``).
    model_names : tuple of str
        The compared models' names, in the order given.
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
        Empty unless a Rashomon range (FISC result or model set) was given. One row per
        reference model, other model and pair: reference_model, model, pair, index (the
        comparison's index, the range's too), range_source ("fisc" or "model set: dropout,
        8 members": ``range_source_text``), value (the other model's value: signed FIS, or
        |FIS| when the FISC result is absolute; for a model set, read under
        ``settings["aggregate"]``: the strength for "mean_abs"), reference_value, range_low,
        range_high (the reference model's own value and its range over its Rashomon set, the
        reference model included, in the same index and unit), inside, distance (0 inside,
        else the gap to the nearer end of the range), verdict, few_models (too few in-set
        models for the range to be trusted). ``settings["ranges"]`` holds each reference
        model's full source (``compare_rashomon.range_source``). Comparisons stored with the
        old names (reference_fis, fis_min, fis_max) are read back under these.
    settings : dict
        aggregate, top_k, zero_tolerance, in_set_only, dataset_fingerprint (when known),
        ranges (reference model -> ``compare_rashomon.range_source``), and the settings of each
        compared result under ``"results"``.
    seconds : float
        Wall time of the comparison (scoring included when it ran through ``compare_models``).
    diagnostics : tuple of Diagnostic
        ``no_interactions`` (every share is zero), ``one_model_with_interactions`` (agreement
        is undefined), ``unaligned_pairs`` (pairs some model did not score, left out).
    """

    kind: ClassVar[str] = "comparison"

    index: str
    model_names: tuple[str, ...]
    pairs: tuple[str, ...]
    table: pd.DataFrame
    models_summary: pd.DataFrame
    agreement: pd.DataFrame
    disagreement: pd.DataFrame
    rashomon: pd.DataFrame
    settings: dict[str, Any]
    seconds: float
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def models(self) -> tuple[str, ...]:
        """Deprecated: read ``model_names``."""
        warnings.warn(
            "ComparisonResult.models is renamed model_names; models will be removed",
            FutureWarning,
            stacklevel=2,
        )
        return self.model_names

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ComparisonResult:
        """Rebuild a comparison written by ``to_dict``, today's or one with the old range
        column names (see ``rashomon``)."""
        result = super().from_dict(data)
        sources = result.settings.get("ranges") or {}
        upgraded = upgrade_verdicts(result.rashomon, result.index, sources)
        if upgraded is result.rashomon:
            return result
        return dataclasses.replace(result, rashomon=upgraded)

    def to_frame(self) -> pd.DataFrame:
        """The aligned pair × model table, long (a copy of ``table``)."""
        return self.table.copy()

    def wide_table(self, column: str = "share") -> pd.DataFrame:
        """The pair × model table of one column ("value", "strength", "share" or "rank").

        Returns
        -------
        DataFrame
            Index: pair (in ``pairs`` order); columns: models (in ``model_names`` order).
        """
        if column not in ("value", "strength", "share", "rank"):
            raise ParameterError(
                f"column must be one of value, strength, share, rank; got {column!r}"
            )
        wide = self.table.pivot(index="pair", columns="model", values=column)
        return wide.loc[list(self.pairs), list(self.model_names)]

    def agreement_matrix(self, measure: str = "spearman") -> pd.DataFrame:
        """A symmetric model × model matrix of one agreement measure (1 on the diagonal).

        Parameters
        ----------
        measure : {"spearman", "kendall", "top_k_overlap"}

        Returns
        -------
        DataFrame
            Index and columns: models, in ``model_names`` order.
        """
        if measure not in AGREEMENT_MEASURES:
            raise ParameterError(f"measure must be one of {AGREEMENT_MEASURES}; got {measure!r}")
        models = list(self.model_names)
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
