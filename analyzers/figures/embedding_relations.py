"""Heatmaps of how fields' embeddings relate: field × field in one model (``FieldRelations``)
and field × field across two models (``EmbeddingComparison``)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from analyzers.embeddings import EmbeddingComparison, FieldRelations
from analyzers.figures.embedding_notes import with_invariance_note
from workbench.errors import ParameterError

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
    return with_invariance_note(
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
    return with_invariance_note(
        fig,
        result.measure_invariance,
        ("linear_cka",),
        f"Each cell: linear CKA between a field of {model_1} (row) and a field of {model_2} "
        "(column) over the same rows, from 0 (unrelated) to 1 (the same up to a rotation and a "
        "scale). A bright diagonal means both models embed each field alike.",
    )
