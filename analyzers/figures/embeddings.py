"""Figures of the embedding geometry results: table, spectrum, heatmaps, collisions, maps.

Every builder takes a result from ``analyzers.embeddings`` and returns a ``go.Figure``; none
computes more than a reshape. Figures that show descriptive measures say so in a note under the
plot, from the result's ``measure_invariance``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from analyzers.embeddings import (
    EmbeddingComparison,
    FieldGeometry,
    FieldRelations,
    HashCollisions,
    PrivateRowsEffect,
    Projection,
)
from analyzers.embeddings.geometry import GEOMETRY_COLUMNS, UNSEEN_STRATUM
from analyzers.figures.reading import with_reading
from workbench.errors import ParameterError

_TABLE_DIGITS = 3
#: what each invariance class means, said once per class present in a figure
_CLASS_MEANING = {
    "invariant": "does not depend on how the embeddings are parametrised",
    "orthogonal-only": "survives rotations and scaling of the embeddings, not other maps",
    "descriptive": "changes under re-parametrisations that keep the model's function",
}
_RELATION_MEANING = {
    "linear_cka": "linear CKA, the similarity of two fields' embeddings over the same rows, "
    "from 0 (unrelated) to 1 (the same up to a rotation and a scale)",
    "subspace_overlap": "the mean cos² of the principal angles between the two fields' top "
    "principal directions, from 0 (orthogonal subspaces) to 1 (the same subspace)",
    "fm_strength": "E|⟨e_f, e_g⟩|, the mean absolute inner product of the two fields' "
    "embeddings over the rows (the size of a factorisation-machine term; no upper bound, in "
    "squared embedding units)",
    "centroid_cosine": "the cosine between the two fields' mean embeddings, from −1 (opposite, "
    "red) through 0 (orthogonal, white) to 1 (aligned, blue)",
}
_TABLE_FIRST_COLUMN_WIDTH = 2.5
_MAX_HOVER_COLUMNS = 16
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
    return _with_note(
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
                line={"color": _colour(colour)},
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
    return _with_note(
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
                line={"color": _colour(colour)},
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
    return _with_note(
        fig,
        result.measure_invariance,
        ("row_norms",),
        "Each line is a field: the mean norm (embedding units) of its rows in each quantile of "
        "log-frequency, rare levels on the left (−1: levels never seen in the data). A rising "
        "line means frequent levels got larger embeddings, which training frequency alone can "
        "cause; it is not importance.",
    )


def cka_heatmap(result: FieldRelations, measure: str = "linear_cka") -> go.Figure:
    """Field × field heatmap of a relation measure (linear CKA by default), values written in."""
    matrix = result.matrix(measure)
    signed = measure == "centroid_cosine"  # a cosine has a sign: diverging, centred at 0
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=list(matrix.columns),
            y=list(matrix.index),
            colorscale="RdBu" if signed else "Viridis",
            zmid=0.0 if signed else None,
            zmin=-1.0 if signed else 0.0,
            zmax=1.0 if measure != "fm_strength" else None,
            text=np.vectorize(lambda v: "" if np.isnan(v) else f"{v:.2f}")(matrix.to_numpy()),
            texttemplate="%{text}",
            colorbar={"title": measure},
        )
    )
    fig.update_layout(
        title=f"{measure} between fields ({result.n_rows} rows)", yaxis_autorange="reversed"
    )
    meaning = _RELATION_MEANING.get(measure, measure)
    return _with_note(
        fig,
        result.measure_invariance,
        (measure,),
        f"Each cell compares two fields over the same {result.n_rows} rows: {meaning}. The "
        "value is written in the cell; an empty cell is undefined (fields of different "
        "dimensions). It describes the embeddings, not an interaction in the model's output.",
    )


def model_cka_heatmap(
    result: EmbeddingComparison, model_1: str | None = None, model_2: str | None = None
) -> go.Figure:
    """CKA between the fields of two models: rows model_1's fields, columns model_2's."""
    model_1 = model_1 or result.model_names[0]
    model_2 = model_2 or result.model_names[1]
    rows = result.cka[(result.cka["model_1"] == model_1) & (result.cka["model_2"] == model_2)]
    if rows.empty:
        raise ParameterError(
            f"no CKA for models {model_1!r} and {model_2!r}; have {result.model_names}"
        )
    matrix = rows.pivot(index="field_1", columns="field_2", values="linear_cka")
    order = list(result.field_names)
    matrix = matrix.loc[order, order]
    fig = go.Figure(
        go.Heatmap(
            z=matrix.to_numpy(),
            x=order,
            y=order,
            zmin=0.0,
            zmax=1.0,
            colorscale="Viridis",
            text=np.round(matrix.to_numpy(), 2),
            texttemplate="%{text}",
            colorbar={"title": "linear CKA"},
        )
    )
    fig.update_layout(
        title=f"Linear CKA: {model_1} (rows) vs {model_2} (columns)",
        xaxis_title=model_2,
        yaxis_title=model_1,
        yaxis_autorange="reversed",
    )
    return _with_note(
        fig,
        result.measure_invariance,
        ("linear_cka",),
        f"Each cell: linear CKA between a field of {model_1} (row) and a field of {model_2} "
        "(column) over the same rows, from 0 (unrelated) to 1 (the same up to a rotation and a "
        "scale). A bright diagonal means both models embed each field alike.",
    )


def collision_chart(result: HashCollisions) -> go.Figure:
    """Traffic-weighted intra-, inter-field and any collision rate per field, with the
    uniform-hashing expectation of each as a marker."""
    fields = result.fields
    kinds = (
        ("intra_collision_rate", "expected_intra", "intra-field"),
        ("inter_collision_rate", "expected_inter", "inter-field"),
        ("collision_rate", "expected_any", "any"),
    )
    fig = go.Figure()
    for colour, (observed, expected, label) in enumerate(kinds):
        fig.add_trace(
            go.Bar(
                x=fields["field"],
                y=fields[observed],
                name=f"{label} (observed)",
                marker_color=_colour(colour),
                offsetgroup=label,
                customdata=fields[["n_features", "traffic"]],
                hovertemplate="%{x}<br>%{y:.3f}<br>%{customdata[0]} features, "
                "traffic %{customdata[1]:.0f}",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=fields["field"],
                y=fields[expected],
                name="uniform-hashing expectation",
                mode="markers",
                marker={
                    "symbol": "line-ew-open",
                    "size": 12,
                    "color": "black",
                    "line": {"width": 2},
                },
                offsetgroup=label,
                showlegend=colour == 0,
                legendgroup="expected",
            )
        )
    summary = result.summary
    fig.update_layout(
        barmode="group",
        scattermode="group",
        title=(
            f"Collisions: {summary['collision_rate']:.1%} of traffic collides "
            f"(uniform hashing {summary['expected_collision_rate']:.1%}), "
            f"mean purity {summary['mean_purity']:.2f}"
        ),
        xaxis_title=f"field (shared table of {result.n_buckets} rows)",
        yaxis={"title": "traffic-weighted collision rate", "range": [0, 1]},
    )
    return _with_note(
        fig,
        result.measure_invariance,
        ("collisions",),
        "Bars per field: the share of its traffic (rows weighted by frequency) whose hashed "
        "row is shared, with rows of the same field (intra), of other fields (inter) or any; "
        "0 to 1. Black dash: the rate uniform hashing would give with the same table size; a "
        "bar above its dash collides more than chance.",
    )


def projection_scatter(
    projection: Projection,
    *,
    color: str | None = "field",
    hover: Sequence[str] | None = None,
) -> go.Figure:
    """2-D or 3-D scatter of a projection, coloured by a label column, with hover labels.

    Parameters
    ----------
    projection : Projection
    color : str or None
        Label column: a text column gives one trace per value (field, level ...), a numeric
        one a colour scale (frequency, norm, gate value, attribution).
    hover : sequence of str, optional
        Label columns shown on hover (those present); default every label column (field,
        level, frequency, norm, gate value ... for a table map; each field's level for a map
        of data rows), at most ``_MAX_HOVER_COLUMNS``.
    """
    frame = projection.coordinates
    labels = [c for c in frame.columns if c not in ("point", *projection.axes)]
    if color is not None and color not in frame:
        raise ParameterError(f"color must be one of the label columns {labels}, got {color!r}")
    hover_columns = (
        labels[:_MAX_HOVER_COLUMNS] if hover is None else [c for c in hover if c in frame]
    )
    three_d = len(projection.axes) == 3
    fig = go.Figure()
    if color is None or not pd.api.types.is_numeric_dtype(frame[color]):
        groups = [("points", frame)] if color is None else list(frame.groupby(color, sort=True))
        for colour, (name, rows) in enumerate(groups):
            fig.add_trace(
                _scatter(
                    rows,
                    projection.axes,
                    hover_columns,
                    str(name),
                    {"color": _colour(colour)},
                    three_d,
                )
            )
    else:
        marker = {
            "color": frame[color],
            "colorscale": "Viridis",
            "showscale": True,
            "colorbar": {"title": color},
        }
        fig.add_trace(_scatter(frame, projection.axes, hover_columns, color, marker, three_d))
    title = f"{projection.method.upper()} of {len(frame)} points"
    if len(frame) < projection.settings["n_input_points"]:
        title += f" (sample of {projection.settings['n_input_points']})"
    fig.update_layout(title=title, legend_title=color or "")
    colouring = (
        "one colour per value of " + color
        if color is not None and not pd.api.types.is_numeric_dtype(frame[color])
        else (f"colour: {color} (scale on the right)" if color is not None else "one colour")
    )
    return _with_note(
        fig,
        projection.measure_invariance,
        ("projection",),
        f"Each point is one embedding row (or data row) placed by {projection.method.upper()} "
        f"so that near points are similar; {colouring}. The axes have no units and distances "
        "between far-apart clusters are not to scale; read neighbourhoods, not positions.",
    )


def _scatter(rows, axes, hover_columns, name, marker, three_d) -> go.Scatter | go.Scatter3d:
    hovertemplate = "<br>".join(f"{c}: %{{customdata[{i}]}}" for i, c in enumerate(hover_columns))
    common = {
        "mode": "markers",
        "name": name,
        "marker": {"size": 3 if three_d else 5, **marker},
        "customdata": rows[hover_columns].to_numpy() if hover_columns else None,
        "hovertemplate": (hovertemplate or name) + "<extra></extra>",
    }
    if three_d:
        return go.Scatter3d(x=rows["x"], y=rows["y"], z=rows["z"], **common)
    return go.Scatter(x=rows["x"], y=rows["y"], **common)


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


def _colour(index: int) -> str:
    return qualitative.Plotly[index % len(qualitative.Plotly)]


def _with_note(
    fig: go.Figure, invariance: dict[str, str], measures: Sequence[str], reading: str
) -> go.Figure:
    """Say in the subtitle whether the plot's measures survive a re-parametrisation of the
    embeddings that leaves the model's function unchanged (ctr-models.md §2.8), and attach the
    reading text, which ends with the same in words."""
    classes = {m: invariance[m].split(":")[0] for m in measures if m in invariance}
    meaning = "; ".join(
        f"{c}: {_CLASS_MEANING[c]}" for c in dict.fromkeys(classes.values()) if c in _CLASS_MEANING
    )
    if meaning:
        reading += f" Invariance ({', '.join(classes)}): {meaning}."
    with_reading(fig, reading)
    if classes:
        named = "; ".join(f"{m}: {c}" for m, c in classes.items())
        meanings = "; ".join(
            f"{c}: {_CLASS_MEANING[c]}"
            for c in dict.fromkeys(classes.values())
            if c in _CLASS_MEANING
        )
        fig.update_layout(
            title={
                "subtitle": {
                    "text": f"{named} ({meanings})" if meanings else named,
                    "font": {"size": 11, "color": "grey"},
                }
            },
            margin={"t": 90},
        )
    return fig


def private_rows_chart(result: PrivateRowsEffect) -> go.Figure:
    """Held-out Δloss of each private-row variant against the shared table, fitted alike."""
    variants = result.variants[result.variants["variant"] != "shared"]
    delta = variants["delta_loss"].to_numpy(dtype=float)
    fig = go.Figure(
        go.Bar(
            x=variants["variant"].astype(str),
            y=delta,
            marker_color=["#116329" if d < 0 else "#cf222e" for d in delta],
            text=[f"{d:+.4f}" for d in delta],
            textposition="outside",
            customdata=variants["n_private_rows"],
            hovertemplate="%{x}: Δloss %{y:+.5f} with %{customdata} private rows<extra></extra>",
        )
    )
    fig.add_hline(y=0.0, line_color="grey")
    fig.update_layout(
        title=f"Private rows for colliding features (held-out loss {result.reference_loss:.4f})",
        xaxis_title="features given private rows",
        yaxis_title="Δ held-out loss vs shared table",
        height=380,
    )
    return _with_note(
        fig,
        result.measure_invariance,
        ("private_rows_delta_loss",),
        "Each bar: the held-out loss after giving the colliding features (all, or one field's) "
        "their own embedding rows and refitting, minus the loss of the shared table refitted "
        "the same number of steps. Below 0 (green): the collisions cost accuracy and private "
        "rows recover it; near 0: the shared table loses nothing by hashing.",
    )
