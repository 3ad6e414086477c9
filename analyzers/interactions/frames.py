"""Tidy frames of interaction scores, shared by every index."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyzers.interactions.shapley_exact import interactions_of_order
from analyzers.rashomon_result import interaction_label


def local_scores(
    model: str,
    index: str,
    names: tuple[str, ...],
    values_by_order: dict[int, np.ndarray],
    rows: np.ndarray,
    orders: range,
) -> pd.DataFrame:
    """Per-row scores: model, index, pair, value, row (Int64), pairs before triples.

    ``values_by_order[s]`` is (rows, C(p, s)) with columns in ``interactions_of_order`` order.
    """
    pieces = []
    for s in orders:
        labels = [
            interaction_label([names[g] for g in c]) for c in interactions_of_order(len(names), s)
        ]
        values = np.asarray(values_by_order[s], dtype=float)  # (rows, sets)
        pieces.append(
            pd.DataFrame(
                {
                    "pair": np.tile(np.array(labels, dtype=object), values.shape[0]),
                    "value": values.reshape(-1),
                    "row": np.repeat(rows, len(labels)),
                }
            )
        )
    frame = pd.concat(pieces, ignore_index=True)
    return _with_keys(frame, model, index, ["pair", "value", "row"])


def global_scores(model: str, index: str, labels: list[str], values: np.ndarray) -> pd.DataFrame:
    """One value per interaction: model, index, pair, value."""
    frame = pd.DataFrame({"pair": list(labels), "value": np.asarray(values, dtype=float)})
    return _with_keys(frame, model, index, ["pair", "value"])


def main_effect_frame(
    model: str, index: str, names: tuple[str, ...], values: np.ndarray
) -> pd.DataFrame:
    """One value per group: model, index, group, value."""
    frame = pd.DataFrame({"group": list(names), "value": np.asarray(values, dtype=float)})
    return _with_keys(frame, model, index, ["group", "value"])


def error_frame(labels: list[str], errors: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"pair": list(labels), "standard_error": np.asarray(errors, dtype=float)})


def pair_labels(names: tuple[str, ...], orders: range) -> list[str]:
    """Labels of every interaction of the given orders, in frame order."""
    return [
        interaction_label([names[g] for g in combo])
        for s in orders
        for combo in interactions_of_order(len(names), s)
    ]


def _with_keys(frame: pd.DataFrame, model: str, index: str, columns: list[str]) -> pd.DataFrame:
    frame = frame.assign(model=model, index=index)[["model", "index", *columns]]
    if "row" in frame.columns:
        frame["row"] = frame["row"].astype("Int64")
    for column in ("model", "index", "pair", "group"):
        if column in frame.columns:
            frame[column] = frame[column].astype(str)
    return frame
