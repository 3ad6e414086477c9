"""The Embeddings page's result view: metrics, the invariance table, view choices, figures and
tables, rendered from a stored EmbeddingReport (not a page: ``pages.embeddings`` uses it).

Each view choice changes one part: the map colour the map, the weighting the geometry and
spectrum, the sort the geometry, the relation measure the relations heatmap. Those parts sit in
their own areas (``*_AREA``) that the page's view callbacks re-render alone; built views are
kept (``app.web.view_cache``), so a reload or a switch back re-sends them. The cards of those
areas live in ``embeddings_cards``, the view controls in ``embeddings_controls``; both are
importable from here too."""

from __future__ import annotations

import pandas as pd
from dash import dcc, html

from app.web.components import diagnostics_card, export_stem, figure_card, metric, table_card
from app.web.pages.embeddings_cards import (
    ATTRIBUTION_PREFIX,
    geometry_card,
    map_cards,
    relations_card,
    spectrum_card,
)
from app.web.pages.embeddings_controls import (
    COLOR,
    RELATION,
    RELATION_MEASURES,
    SORT,
    SORT_COLUMNS,
    WEIGHTING,
    _view_controls,
    view_choices,
)
from app.web.view_cache import cached_view

# Names the page and its view callbacks import from here (their homes: embeddings_cards and
# embeddings_controls).
__all__ = [
    "ATTRIBUTION_PREFIX",
    "COLOR",
    "GEOMETRY_AREA",
    "MAP_AREA",
    "PAGE",
    "RELATION",
    "RELATIONS_AREA",
    "RELATION_MEASURES",
    "RESULT_REFERENCE",
    "SORT",
    "SORT_COLUMNS",
    "SPECTRUM_AREA",
    "WEIGHTING",
    "geometry_card",
    "invariance_frame",
    "map_cards",
    "relations_card",
    "result_view",
    "spectrum_card",
    "view_choices",
]

PAGE = "embeddings"
RESULT_REFERENCE = "emb-result-reference"
#: the areas a view choice re-renders alone
GEOMETRY_AREA = "emb-geometry-area"
SPECTRUM_AREA = "emb-spectrum-area"
RELATIONS_AREA = "emb-relations-area"
MAP_AREA = "emb-map-area"

#: the geometry table's preview (the figure above shows every column; the CSV has them all)
GEOMETRY_PREVIEW_COLUMNS = (
    "field",
    "weighting",
    "n_rows",
    "dim",
    "mean_norm",
    "effective_rank",
    "stable_rank",
    "dim_95",
    "mean_pairwise_cosine",
)
#: measure of the invariance note → where the page shows it
SHOWN_IN = {
    "row_norms": "geometry table (norms), norm by frequency",
    "spectrum": "geometry table (ranks, dims), spectrum",
    "anisotropy": "geometry table (cosine, mean-vector ratio)",
    "linear_cka": "relations heatmap",
    "subspace_overlap": "relations heatmap",
    "fm_strength": "relations heatmap",
    "centroid_cosine": "relations heatmap",
    "collisions": "collision chart",
    "private_rows_delta_loss": "private rows (Δloss chart)",
    "projection": "map",
}
INVARIANCE_COLOURS = {"invariant": "#116329", "orthogonal-only": "#9a6700", "descriptive": "#666"}


def result_view(report, data: str, model: str, parameters: dict, view: dict) -> list:
    """The whole results area, built once per report and view (a reload re-sends it)."""
    key = ("emb", data, model, repr(sorted(parameters.items())), repr(sorted(view.items())))
    return cached_view(report, key, lambda: _result_view(report, data, model, parameters, view))


def _result_view(report, data: str, model: str, parameters: dict, view: dict) -> list:
    from analyzers.figures.embeddings import collision_chart, norm_strata_plot

    geometry = report.geometry
    chosen = view_choices(report, view)
    reference = {"data": data, "model": model, "parameters": parameters}
    export = export_stem("embeddings", data, model)
    invariance = report.measure_invariance()
    parts = [
        dcc.Store(id=RESULT_REFERENCE, data=reference),
        _summary(report, model),
        *diagnostics_card(report.diagnostics),
        _invariance_card(invariance, export),
        _view_controls(chosen, invariance),
        html.Div(
            geometry_card(report, chosen["weighting"], chosen["sort"], export), id=GEOMETRY_AREA
        ),
        html.Div(spectrum_card(report, chosen["weighting"], export), id=SPECTRUM_AREA),
    ]
    if not geometry.norm_strata.empty:
        parts.append(
            figure_card(
                "emb-norms", norm_strata_plot(geometry), "Row norm by frequency", export=export
            )
        )
    parts.append(html.Div(relations_card(report, chosen["relation"], export), id=RELATIONS_AREA))
    if report.collisions is not None:
        parts.append(
            figure_card(
                "emb-collisions",
                collision_chart(report.collisions),
                "Shared-table collisions",
                export=export,
            )
        )
    else:
        parts.append(
            html.P(
                "One table per field: no hashing collisions to show (shared tables only).",
                className="wb-muted",
            )
        )
    if report.projection is not None:
        parts.append(html.Div(map_cards(report, chosen["color"], export), id=MAP_AREA))
    parts += _asked_parts(report, model, export)
    parts += [
        table_card(
            PAGE,
            "geometry",
            geometry.geometry[list(GEOMETRY_PREVIEW_COLUMNS)],
            "Geometry per field and weighting",
            note=f"{len(geometry.geometry)} rows; {len(GEOMETRY_PREVIEW_COLUMNS)} of "
            f"{geometry.geometry.shape[1]} columns (all in the CSV)",
            export=export,
        ),
        table_card(
            PAGE, "relations", report.relations.pairs, "Relations per pair of fields", export=export
        ),
    ]
    if report.projection is not None:
        parts.append(
            table_card(
                PAGE, "projection", report.projection.coordinates, "Map coordinates", export=export
            )
        )
    if report.collisions is not None:
        parts.append(
            table_card(
                PAGE, "collisions", report.collisions.fields, "Collisions per field", export=export
            )
        )
    return parts


def _summary(report, model: str) -> html.Div:
    geometry = report.geometry.geometry
    dims = sorted(set(geometry["dim"].astype(int)))
    table = (
        "per field"
        if report.collisions is None
        else f"shared, {report.collisions.n_buckets:,} rows"
    )
    mapped = "none"
    if report.projection is not None:
        method, points = report.projection.method.upper(), report.settings["projection_points"]
        mapped = f"{method} of {len(report.projection.coordinates):,} {points} points"
    return html.Div(
        [
            metric("model", model),
            metric("fields", str(len(report.geometry.field_names))),
            metric("dim", ", ".join(map(str, dims))),
            metric("tables", table),
            metric("rows sampled", f"{report.settings['n_rows_sampled']:,}"),
            metric("map", mapped),
            metric("analysis time", f"{report.seconds:.2f} s"),
        ],
        className="wb-card wb-metrics",
    )


def invariance_frame(invariance: dict[str, str]) -> pd.DataFrame:
    """measure, invariance class and why, from a report's ``measure_invariance``."""
    rows = []
    for measure, note in invariance.items():
        kind, _, why = note.partition(":")
        rows.append({"measure": measure, "survives": kind, "why": why.strip()})
    return pd.DataFrame(rows, columns=["measure", "survives", "why"])


def _invariance_card(invariance: dict[str, str], export: str) -> html.Div:
    frame = invariance_frame(invariance)
    rows = [
        html.Tr(
            [
                html.Td(html.B(row.measure)),
                html.Td(
                    row.survives,
                    style={"color": INVARIANCE_COLOURS.get(row.survives), "fontWeight": 600},
                ),
                html.Td(SHOWN_IN.get(row.measure, "")),
                html.Td(row.why),
            ]
        )
        for row in frame.itertuples(index=False)
    ]
    header = html.Tr([html.Th(c) for c in ("measure", "survives", "shown in", "why")])
    return html.Div(
        [
            html.H3("Which numbers survive a re-parametrisation"),
            html.P(
                "Mapping a field's embeddings by an invertible A and absorbing A⁻¹ into the next "
                "layer gives the same model. Invariant measures are about the model; "
                "orthogonal-only ones survive rotations and isotropic scaling but not general "
                "maps; descriptive ones describe this parametrisation only: compare them across "
                "fields of one model, never read them as importance.",
                className="wb-muted",
            ),
            # A reading aid with long text cells, not a result to sort: a plain table that
            # scrolls inside its card on a narrow screen.
            html.Div(
                html.Table(
                    [html.Thead(header), html.Tbody(rows)],
                    className="wb-table",
                    id="emb-invariance",
                ),
                className="wb-scroll",
            ),
            html.Div(
                [
                    html.Button(
                        "Download CSV",
                        id={"type": "csv", "page": PAGE, "table": "invariance"},
                        n_clicks=0,
                    )
                ],
                className="wb-buttons",
            ),
            dcc.Store(
                id={"type": "csv-name", "page": PAGE, "table": "invariance"},
                data=f"{export}_invariance.csv",
            ),
            dcc.Download(id={"type": "csv-download", "page": PAGE, "table": "invariance"}),
        ],
        className="wb-card",
    )


def _asked_parts(report, model: str, export: str) -> list:
    """The private-row Δloss and the cross-model CKA, where the form asked for them."""
    from analyzers.figures.embeddings import model_cka_heatmap, private_rows_chart

    parts = []
    if report.private_rows is not None:
        parts += [
            figure_card(
                "emb-private-rows",
                private_rows_chart(report.private_rows),
                "Private rows: Δloss of the collisions",
                export=export,
            ),
            table_card(
                PAGE,
                "private_rows",
                report.private_rows.variants,
                "Private-row variants",
                export=export,
            ),
        ]
    if report.comparison is not None:
        other = next(name for name in report.comparison.model_names if name != model)
        parts += [
            figure_card(
                "emb-cka-models",
                model_cka_heatmap(report.comparison, model, other),
                f"Fields of {model} vs {other} (CKA)",
                export=export,
            ),
            table_card(
                PAGE,
                "comparison",
                report.comparison.same_field_cka(),
                f"Same field, {model} vs {other}",
                export=export,
            ),
        ]
    return parts
