"""The result of screening every pair cheaply and refining the top ones: one row per pair.

Kept apart from the analysis (``analyzers.interactions.screen_refine``) so readers of a stored
result need not import the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from analyzers.result import Diagnostic, Result
from workbench.errors import ParameterError

PAIR_COLUMNS = (
    "pair",
    "screen_value",
    "screen_standard_error",
    "screen_low",
    "screen_high",
    "screen_rank",
    "refined",
    "refined_value",
)


@dataclass(frozen=True, eq=False)
class ScreenRefineResult(Result):
    """Every pair's screen value with its error; the precise value of the refined pairs.

    Attributes
    ----------
    model_names : tuple of str
        The one model scored.
    screen : str
        The screen's index (e.g. "fis": few-permutation FIS on row subsamples).
    refine_index : str
        The index computed precisely on the refined pairs.
    group_names : tuple of str
    pairs : DataFrame
        One row per pair, by screen rank: pair; screen_value (signed mean over replicates);
        screen_standard_error; screen_low, screen_high (interval of |screen_value| ranked on);
        screen_rank (1 = strongest); refined (bool); refined_value (NaN where not refined).
    top_k : int
        Pairs wanted; the boundary is the k-th pair's screen interval.
    settings : dict
        JSON-safe parameters (screen and refine settings, replicates, interval quantile).
    seconds : float
        Wall time of screen and refine together (``settings`` has each).
    diagnostics : tuple of Diagnostic
        ``ambiguous_boundary``, ``screen_found_nothing``.
    """

    kind = "screen_refine"

    model_names: tuple[str, ...]
    screen: str
    refine_index: str
    group_names: tuple[str, ...]
    pairs: pd.DataFrame
    top_k: int
    settings: dict[str, Any]
    seconds: float
    diagnostics: tuple[Diagnostic, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.model_names, str):
            object.__setattr__(self, "model_names", (self.model_names,))
        object.__setattr__(self, "model_names", tuple(self.model_names))
        object.__setattr__(self, "group_names", tuple(self.group_names))
        object.__setattr__(self, "diagnostics", tuple(self.diagnostics))
        missing = [c for c in PAIR_COLUMNS if c not in self.pairs.columns]
        if missing:
            raise ParameterError(f"pairs lacks the columns {missing}")

    def to_frame(self) -> pd.DataFrame:
        """One row per pair, by screen rank (see ``pairs``)."""
        return self.pairs

    @property
    def refined_pairs(self) -> tuple[str, ...]:
        """Labels of the pairs the precise estimator ran on, by screen rank."""
        return tuple(self.pairs.loc[self.pairs["refined"], "pair"])

    def top(self, k: int | None = None) -> pd.DataFrame:
        """The k (default ``top_k``) strongest refined pairs by |refined_value|."""
        refined = self.pairs[self.pairs["refined"]]
        order = refined["refined_value"].abs().sort_values(ascending=False).index
        return refined.loc[order].head(self.top_k if k is None else k)
