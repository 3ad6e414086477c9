"""OptFS's feature-value selection as a Result: search the value gates, keep the values whose
gate weight is > 0 (the ticket), retrain the ticket, and measure each stage.

``workbench.zoo.optfs_search.search_optfs_ticket`` runs the recipe and returns the trained
models; this analyzer keeps what a reader looks at (kept values per field, each stage's test
AUC and log-loss) in the one Result protocol, so the app stores it and every surface reads it
back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analyzers.result import Diagnostic, Result
from workbench.errors import ParameterError
from workbench.progress import ProgressCallback
from workbench.zoo.optfs_search import SEARCH_EPOCHS
from workbench.zoo.training import TrainingConfig

__all__ = ["HARD_SHARE", "OptFSSelectionResult", "optfs_selection"]

# below this share of hard searched gates the ticket is read from soft gates: say so
HARD_SHARE = 0.95


@dataclass(frozen=True)
class OptFSSelectionResult(Result):
    """The values an OptFS search kept and what keeping only them costs.

    Attributes
    ----------
    model_names : tuple of str
    values : DataFrame
        One row per feature value: field, level, code, mask_weight, kept, train_rows
        (``OptFSTicket.values``). Also ``to_frame()``.
    fields : DataFrame
        One row per field: field, n_values, n_kept, kept_share, kept_row_share.
    metrics : DataFrame
        One row per stage (search, ticket before retraining, ticket retrained, backbone):
        test_auc, test_log_loss, train_seconds.
    kept_share : float
        Share of every feature value the ticket keeps.
    settings, seconds, diagnostics
        As for every ``Result``.
    gate_hardness : float or None
        Share of values whose searched gate σ(τ m) ended within 0.05 of 0 or 1 (None in a
        result stored before it was measured).
    """

    kind = "optfs_selection"

    model_names: tuple[str, ...]
    values: pd.DataFrame
    fields: pd.DataFrame
    metrics: pd.DataFrame
    kept_share: float
    settings: dict[str, Any]
    seconds: float
    diagnostics: tuple[Diagnostic, ...] = ()
    gate_hardness: float | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.values


def optfs_selection(
    dataset,
    *,
    config: dict[str, Any] | None = None,
    max_epochs: int = TrainingConfig.max_epochs,
    search_epochs: int = SEARCH_EPOCHS,
    random_state: int = TrainingConfig.seed,
    backbone: bool = True,
    model_name: str = "optfs",
    progress: ProgressCallback | None = None,
) -> OptFSSelectionResult:
    """Run OptFS's search → ticket → retrain on ``dataset`` and report the kept values.

    Parameters
    ----------
    dataset : Dataset
        Coded fields with a 0/1 target.
    config : dict, optional
        OptFS options (``embedding_dim``, ``hidden``, ``penalty``...), as ``build_model`` takes.
    max_epochs : int
        Most epochs of the retraining and of the backbone (each stops early).
    search_epochs : int
        Epochs of the search, all run: τ reaches its final value at the last step.
    random_state : int
        The training seed (initialisation, splits, batch order).
    backbone : bool
        Also train the ungated backbone for comparison.
    model_name : str
    progress : callable, optional
        Told each training stage.

    Returns
    -------
    OptFSSelectionResult
        With ``nothing_pruned`` when the ticket keeps every value, ``soft_gates`` when fewer
        than ``HARD_SHARE`` of the searched gates are hard.

    Example
    -------
    >>> result = optfs_selection(adult_fields(), max_epochs=5, search_epochs=5)
    >>> result.fields[["field", "kept_share"]], result.metrics
    """
    from workbench.zoo.optfs_search import search_optfs_ticket

    if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
        raise ParameterError(f"max_epochs must be an integer >= 1, got {max_epochs!r}")
    start = time.perf_counter()
    run = search_optfs_ticket(
        dataset,
        config=config,
        training=TrainingConfig(max_epochs=max_epochs, seed=random_state),
        search_epochs=search_epochs,
        backbone=backbone,
        progress=progress,
    )
    diagnostics = _diagnostics(run.kept_share, run.gate_hardness, search_epochs)
    settings = {**run.settings, "backbone": backbone}
    settings["config"] = {
        k: v for k, v in settings["config"].items() if k not in ("vocab_sizes", "field_names")
    }
    return OptFSSelectionResult(
        model_names=(model_name,),
        values=run.values,
        fields=run.fields,
        metrics=run.metrics,
        kept_share=run.kept_share,
        gate_hardness=run.gate_hardness,
        settings=settings,
        seconds=time.perf_counter() - start,
        diagnostics=diagnostics,
    )


def _diagnostics(kept_share: float, hardness: float, search_epochs: int) -> tuple[Diagnostic, ...]:
    found = []
    if kept_share == 1:
        found.append(
            Diagnostic(
                "nothing_pruned",
                "the ticket keeps every feature value: the sparsity penalty pruned nothing in "
                f"{search_epochs} search epochs (search longer or raise the penalty)",
            )
        )
    if hardness < HARD_SHARE:
        found.append(
            Diagnostic(
                "soft_gates",
                f"only {hardness:.0%} of the searched gates ended within 0.05 of 0 or 1: the "
                "ticket 1[m > 0] rounds soft gates, so it is not the model the search trained "
                "(raise final_temperature or search longer)",
            )
        )
    return tuple(found)
