"""The rows a local interaction result explains, and their values group by group.

A local result (SII, STII, k-SII, tree SHAP) keeps the dataset positions of its explained rows
(``settings["rows"]`` and the ``row`` column of its scores), so the stored result and its data
set are enough to draw the local views (``analyzers.figures.dependence``,
``analyzers.figures.row_explorer``): nothing else needs to be stored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzers.interaction_result import InteractionResult
from workbench.errors import ParameterError

#: indices whose scores hold one value per explained row (the others score each pair once)
LOCAL_INDICES = ("sii", "stii", "ksii", "tree")
#: names of the local indices, for messages
LOCAL_INDEX_WORDS = "SII, STII, k-SII or tree SHAP"
NO_ACTIVE_LEVEL = "(none)"


def check_local(result: InteractionResult) -> None:
    """Raise a one-line ParameterError unless ``result`` holds per-row values."""
    if not result.is_local:
        raise ParameterError(
            f"result: the {result.index!r} index scores each pair once for all rows; "
            f"local views need a local index ({LOCAL_INDEX_WORDS})"
        )


def explained_rows(result: InteractionResult) -> np.ndarray:
    """Dataset positions of the explained rows, in the order the result explains them."""
    check_local(result)
    rows = result.settings.get("rows")
    if rows is None:  # results stored before the rows were recorded: the scores carry them
        rows = pd.unique(result.scores["row"].dropna())
    return np.asarray(rows, dtype=np.int64)


def group_values(dataset, rows) -> pd.DataFrame:
    """The value of every group on ``rows``: one column per group, indexed by row position.

    Parameters
    ----------
    dataset : Dataset
        The data set the result was computed on.
    rows : sequence of int
        Dataset positions (``explained_rows(result)``).

    Returns
    -------
    DataFrame
        A one-column group gives its number (its level for a coded categorical); a block of
        0/1 columns (one-hot, prefix) gives the names of its active columns ("(none)" when none
        is); any other block gives its columns as "name=value" text.
    """
    positions = np.asarray(rows, dtype=np.int64).reshape(-1)
    if positions.size and (positions.min() < 0 or positions.max() >= dataset.n_rows):
        raise ParameterError(f"rows: positions must be in 0..{dataset.n_rows - 1}")
    X = dataset.X.numpy()[positions]  # (rows, features)
    columns = {}
    for group in dataset.groups:
        block = X[:, list(group.columns)].astype(float)  # (rows, columns of the group)
        names = [dataset.feature_names[c] for c in group.columns]
        columns[group.name] = _block_values(block, names, dataset.code_levels)
    return pd.DataFrame(columns, index=pd.Index(positions, name="row"))


def _block_values(block: np.ndarray, names: list[str], code_levels: dict) -> list:
    if len(names) == 1:
        levels = code_levels.get(names[0])
        if levels is None:
            return block[:, 0].tolist()
        return [levels[int(code)] if 0 <= code < len(levels) else code for code in block[:, 0]]
    if np.isin(block, (0.0, 1.0)).all():
        return [
            " & ".join(n for n, on in zip(names, row, strict=True) if on) or NO_ACTIVE_LEVEL
            for row in block
        ]
    return [", ".join(f"{n}={v:g}" for n, v in zip(names, row, strict=True)) for row in block]


def pair_values(result: InteractionResult, pair: str) -> pd.Series:
    """The per-row values of the interaction ``pair``, indexed by row, in explained order."""
    check_local(result)
    scores = result.scores
    chosen = scores[(scores["pair"] == pair) & scores["row"].notna()]
    if chosen.empty:
        raise ParameterError(f"pair: {pair!r} is not scored; choose one of {list(result.pairs)}")
    series = pd.Series(
        chosen["value"].astype(float).to_numpy(),
        index=pd.Index(chosen["row"].astype(np.int64).to_numpy(), name="row"),
        name=pair,
    )
    return series.reindex(explained_rows(result))


def row_values(result: InteractionResult, row: int) -> pd.Series:
    """Every interaction value of the explained ``row``, indexed by pair, largest |value| first."""
    check_local(result)
    scores = result.scores
    chosen = scores[scores["row"] == row]
    if chosen.empty:
        shown = explained_rows(result)[:5].tolist()
        raise ParameterError(f"row: {row!r} is not an explained row (e.g. {shown})")
    series = pd.Series(
        chosen["value"].astype(float).to_numpy(),
        index=pd.Index(chosen["pair"].to_numpy(), name="pair"),
        name=int(row),
    )
    return series.iloc[np.argsort(-series.abs().to_numpy(), kind="stable")]
