"""Figures of hashed embedding tables: collision rates per field against uniform hashing
(``HashCollisions``) and what private rows for colliding features change (``PrivateRowsEffect``)."""

from __future__ import annotations

import plotly.graph_objects as go

from analyzers.embeddings import HashCollisions, PrivateRowsEffect
from analyzers.figures.embedding_notes import trace_colour, with_invariance_note


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
                marker_color=trace_colour(colour),
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
    return with_invariance_note(
        fig,
        result.measure_invariance,
        ("collisions",),
        "Bars per field: the share of its traffic (rows weighted by frequency) whose hashed "
        "row is shared, with rows of the same field (intra), of other fields (inter) or any; "
        "0 to 1. Black dash: the rate uniform hashing would give with the same table size; a "
        "bar above its dash collides more than chance.",
    )


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
    return with_invariance_note(
        fig,
        result.measure_invariance,
        ("private_rows_delta_loss",),
        "Each bar: the held-out loss after giving the colliding features (all, or one field's) "
        "their own embedding rows and refitting, minus the loss of the shared table refitted "
        "the same number of steps. Below 0 (green): the collisions cost accuracy and private "
        "rows recover it; near 0: the shared table loses nothing by hashing.",
    )
