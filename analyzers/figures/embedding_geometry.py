"""Figures of a ``FieldGeometry``: the per-field measures table, the spectrum per field and the
row norm by frequency stratum."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analyzers.embeddings import FieldGeometry
from analyzers.embeddings.geometry import GEOMETRY_COLUMNS, UNSEEN_STRATUM
from analyzers.figures.embedding_notes import trace_colour, with_invariance_note
from workbench.errors import ParameterError

_TABLE_DIGITS = 3
_TABLE_FIRST_COLUMN_WIDTH = 2.5
_HEADERS = {  # short two-line headers: the table has 14 columns
    "participation_ratio": "particip.<br>ratio",
    "information_abundance": "info<br>abundance",
    "mean_pairwise_cosine": "mean pair<br>cosine",
    "mean_vector_ratio": "mean-vector<br>ratio",
    "norm_log_frequency_spearman": "ρ(norm,<br>log freq)",
}


def geometry_table(
    result: FieldGeometry, *, weighting: str | None = None, sort_by: str = "effective_rank"
) -> go.Figure:
    """One row per field with every geometry measure, sorted by a column.

    Parameters
    ----------
    result : FieldGeometry
    weighting : "table" or "data", optional
        Which view; default "data" when frequencies were given, else "table".
    sort_by : str
        Column to sort by, descending (the app's table sorts interactively).

    Returns
    -------
    go.Figure
        One ``go.Table`` whose header is ``GEOMETRY_COLUMNS`` minus "weighting".
    """
    frame = _view(result.geometry, weighting)
    if sort_by not in frame:
        raise ParameterError(f"sort_by must be one of {list(GEOMETRY_COLUMNS)}, got {sort_by!r}")
    frame = frame.sort_values(sort_by, ascending=False, kind="stable")
    columns = [c for c in GEOMETRY_COLUMNS if c != "weighting"]
    cells = [_rounded(frame[c]) for c in columns]
    fig = go.Figure(
        go.Table(
            header={
                "values": [_HEADERS.get(c, c.replace("_", "<br>")) for c in columns],
                "font": {"size": 10},
            },
            cells={"values": cells, "font": {"size": 10}},
            columnwidth=[_TABLE_FIRST_COLUMN_WIDTH] + [1.0] * (len(columns) - 1),
        )
    )
    view = frame["weighting"].iloc[0]
    fig.update_layout(
        title=f"Field geometry ({view}-weighted), sorted by {sort_by}",
        height=max(400, 160 + 24 * len(frame)),
    )
    return with_invariance_note(
        fig,
        result.measure_invariance,
        ("row_norms", "spectrum", "anisotropy"),
        f"One row per field, {view}-weighted ("
        + (
            "each row weighted by how often its level occurs in the data"
            if view == "data"
            else "every row of the table counted once"
        )
        + f"), sorted by {sort_by}, largest first. Ranks and dimensions count principal "
        "directions; ratios and cosines are unitless; norms are in embedding units.",
    )


def spectrum_plot(
    result: FieldGeometry, *, weighting: str | None = None, cumulative: bool = True
) -> go.Figure:
    """Explained variance against principal component, one line per field.

    With ``cumulative`` the lines are cumulative and dotted lines mark the variance levels
    (80/95%): where a field's line crosses one is its ``dim_80`` / ``dim_95``.
    """
    frame = _view(result.spectrum, weighting)
    column = "cumulative_explained_variance" if cumulative else "explained_variance_ratio"
    fig = go.Figure()
    for colour, (name, rows) in enumerate(frame.groupby("field", sort=False)):
        fig.add_trace(
            go.Scatter(
                x=rows["component"],
                y=rows[column],
                name=str(name),
                mode="lines+markers",
                line={"color": trace_colour(colour)},
                customdata=rows[["singular_value"]],
                hovertemplate="component %{x}<br>%{y:.3f}<br>σ = %{customdata[0]:.3g}",
            )
        )
    if cumulative:
        for level in result.settings["variance_levels"]:
            fig.add_hline(
                y=level, line_dash="dot", line_color="grey", annotation_text=f"{level:.0%}"
            )
    fig.update_layout(
        title="Spectrum per field" + (" (cumulative)" if cumulative else ""),
        xaxis_title="principal component",
        yaxis_title="explained variance" + (" (cumulative)" if cumulative else " ratio"),
    )
    levels = ", ".join(f"{level:.0%}" for level in result.settings.get("variance_levels", ()))
    return with_invariance_note(
        fig,
        result.measure_invariance,
        ("spectrum",),
        "Each line is a field: the share of its embedding variance carried by each principal "
        "component (x, largest first)"
        + (
            f", summed up to that component. Where a line crosses a dotted level ({levels}) is "
            "the number of dimensions the field needs for that share; a line that rises fast is "
            "a field that uses few directions."
            if cumulative
            else "."
        ),
    )


def norm_strata_plot(result: FieldGeometry) -> go.Figure:
    """Mean row norm per log-frequency stratum, one line per field (frequency drives norm)."""
    strata = result.norm_strata
    if strata.empty:
        raise ParameterError("this geometry has no frequency strata; compute it with counts")
    fig = go.Figure()
    for colour, (name, rows) in enumerate(strata.groupby("field", sort=False)):
        labels = [
            "unseen" if s == UNSEEN_STRATUM else f"q{s + 1}: {lo:.0f}–{hi:.0f}"
            for s, lo, hi in zip(rows["stratum"], rows["count_min"], rows["count_max"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=rows["stratum"],
                y=rows["mean_norm"],
                name=str(name),
                mode="lines+markers",
                line={"color": trace_colour(colour)},
                text=labels,
                customdata=rows[["n_rows"]],
                hovertemplate="%{text}<br>mean norm %{y:.3g}<br>%{customdata[0]} rows",
            )
        )
    fig.update_layout(
        title="Row norm by log-frequency quantile",
        xaxis={"title": "frequency stratum (−1: never seen)", "dtick": 1},
        yaxis_title="mean row norm",
    )
    return with_invariance_note(
        fig,
        result.measure_invariance,
        ("row_norms",),
        "Each line is a field: the mean norm (embedding units) of its rows in each quantile of "
        "log-frequency, rare levels on the left (−1: levels never seen in the data). A rising "
        "line means frequent levels got larger embeddings, which training frequency alone can "
        "cause; it is not importance.",
    )


def _view(frame: pd.DataFrame, weighting: str | None) -> pd.DataFrame:
    available = list(dict.fromkeys(frame["weighting"]))
    chosen = weighting or ("data" if "data" in available else available[0])
    if chosen not in available:
        raise ParameterError(f"weighting must be one of {available}, got {weighting!r}")
    return frame[frame["weighting"] == chosen]


def _rounded(values: pd.Series) -> list:
    if values.dtype.kind == "f":
        return [("" if np.isnan(v) else round(float(v), _TABLE_DIGITS)) for v in values]
    return values.tolist()
