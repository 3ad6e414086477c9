"""The result of scoring the interactions of one model: tidy frames, JSON round-trip.

Every index (permutation FIS, Friedman's H², SII, STII, k-SII, tree SHAP) returns the same
shape of result, so figures, the comparison across models and the app's store treat them alike.
Kept apart from the analyses so readers need not import the engine.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analyzers.rashomon_result import INTERACTION_SEPARATOR
from analyzers.result import Diagnostic, Result
from workbench.errors import ParameterError

INTERACTION_INDICES = ("fis", "h2", "sii", "stii", "ksii", "tree")
AGGREGATES = ("mean_abs", "mean")

_SCORE_COLUMNS = ("model", "index", "pair", "value")


def canonical_index(index: str) -> str:
    """The canonical id of an interaction index; shapiq's spellings are accepted.

    Case and hyphens are ignored, so shapiq's "SII", "STII" and "k-SII" read as "sii", "stii"
    and "ksii".

    Examples
    --------
    >>> canonical_index("k-SII")
    'ksii'
    """
    name = index.lower().replace("-", "").replace("_", "") if isinstance(index, str) else index
    if name not in INTERACTION_INDICES:
        raise ParameterError(f"index must be one of {INTERACTION_INDICES}, got {index!r}")
    return name


@dataclass(frozen=True, eq=False)
class InteractionResult(Result):
    """Interaction scores of one model under one index.

    Attributes
    ----------
    model_names : tuple of str
        The one model scored (a plain string is taken as its name); ``model_name`` reads it.
    index : str
        One of ``INTERACTION_INDICES``.
    group_names : tuple of str
        The groups scored, in data order.
    scores : DataFrame
        Tidy: model, index, pair, value, and optionally row (int position of the explained
        row for local values; NA, or no column at all, for global values). ``pair`` is the
        groups joined by ``INTERACTION_SEPARATOR`` in group order; triples are joined alike.
        Also ``to_frame()``.
    main_effects : DataFrame
        model, index, group, value (global); may be empty.
    settings : dict
        JSON-safe parameters that produced the result (estimator, n_rows, background size...).
    seconds : float
        Wall time of the analysis.
    standard_errors : DataFrame or None
        pair, standard_error of the global mean value, for sampling approximations.
    diagnostics : tuple of Diagnostic
        Degenerate cases (no interaction above tolerance...) and approximations used.
    """

    kind = "interactions"

    model_names: tuple[str, ...]
    index: str
    group_names: tuple[str, ...]
    scores: pd.DataFrame
    main_effects: pd.DataFrame
    settings: dict[str, Any]
    seconds: float
    standard_errors: pd.DataFrame | None = None
    diagnostics: tuple[Diagnostic, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.model_names, str):
            object.__setattr__(self, "model_names", (self.model_names,))
        object.__setattr__(self, "model_names", tuple(self.model_names))
        object.__setattr__(self, "group_names", tuple(self.group_names))
        object.__setattr__(self, "diagnostics", tuple(self.diagnostics))
        if self.index not in INTERACTION_INDICES:
            raise ParameterError(f"index must be one of {INTERACTION_INDICES}, got {self.index!r}")
        missing = [c for c in _SCORE_COLUMNS if c not in self.scores.columns]
        if missing:
            raise ParameterError(f"scores lacks the columns {missing}")

    @property
    def model(self) -> str:
        """Deprecated: renamed ``model_names`` (read ``model_name`` for the one name)."""
        warnings.warn(
            "InteractionResult.model is renamed model_names (model_name for the one name); "
            "model will be removed in the next release",
            FutureWarning,
            stacklevel=2,
        )
        return self.model_name

    @property
    def pairs(self) -> tuple[str, ...]:
        """Labels of the scored interactions (pairs, then triples), in the order computed."""
        return tuple(pd.unique(self.scores["pair"]))

    @property
    def is_local(self) -> bool:
        """Whether the scores hold per-row values."""
        return "row" in self.scores.columns and bool(self.scores["row"].notna().any())

    def to_frame(self) -> pd.DataFrame:
        """The tidy scores: model, index, pair, value (and row for local indices)."""
        return self.scores

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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InteractionResult:
        """Rebuild a result written by ``to_dict``; results written before the Result protocol
        (one ``model`` string, no diagnostics) read too."""
        if "model_names" not in data and "model" in data:
            data = {**data, "model_names": [data["model"]]}
        return super().from_dict(data)


def split_pair(label: str) -> tuple[str, ...]:
    """The groups of an interaction label, e.g. ``"a × b"`` -> ``("a", "b")``."""
    return tuple(label.split(INTERACTION_SEPARATOR))
