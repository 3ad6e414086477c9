"""The Interactions page's result view: metrics, the heatmap, network and bar of the pair scores,
the local views and the tables, rendered from a stored ``InteractionResult``."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import dcc, html

from analyzers.interaction_result import InteractionResult
from app.analyses import signature_default
from app.reports.interactions import pair_table
from app.web.components import diagnostics_card, export_stem, figure_card, metric, table_card
from app.web.pages import interactions_local as local
from app.web.pages.interactions_form import (
    AGGREGATE_LABELS,
    FORM_PARAMETERS,
    INDEX_LABELS,
    PAGE,
)

RESULT_REFERENCE = "inter-result-reference"
FIGURES = "inter-figures"
HEATMAP = {"type": "graph", "figure": "inter-heatmap"}
#: the result's own default, which `workbench interactions --aggregate` shares
DEFAULT_AGGREGATE = signature_default(InteractionResult.global_scores, "aggregate")


def figure_cards(result, aggregate: str = "mean_abs", export: str | None = None) -> list:
    """The heatmap, network and bar of ``result`` under one aggregate (see AGGREGATE_LABELS);
    ``export`` is the stem of exported files' names (``export_stem``)."""
    from analyzers.figures.interactions import interaction_network, pair_heatmap, top_pairs_bar

    return [
        figure_card(
            "inter-heatmap", pair_heatmap(result, aggregate), "Pair heatmap", export=export
        ),
        figure_card(
            "inter-network",
            interaction_network(result, aggregate),
            "Interaction network",
            export=export,
        ),
        figure_card(
            "inter-top-pairs",
            top_pairs_bar(result, aggregate=aggregate),
            "Strongest pairs",
            export=export,
        ),
    ]


def result_view(
    result,
    data: str,
    model: str,
    parameters: dict,
    aggregate: str = DEFAULT_AGGREGATE,
    *,
    dataset=None,
    pair: str | None = None,
    row=None,
    fisc_reason: str | None = None,
) -> list:
    """Metrics, diagnostics, the global figures, the local views (given the ``dataset`` the
    result was computed on; ``pair`` and ``row`` chosen, defaults otherwise) and the tables.
    ``fisc_reason``: why the heatmap does not link to the Rashomon page (None: it does)."""
    from analyzers.figures.interaction_reading import score_unit

    table = pair_table(result, aggregate)
    ranked = AGGREGATE_LABELS[aggregate]
    export = export_stem("interactions", data, model)
    unit = score_unit(result.index, result.settings)
    units = {name: unit for name in ("value", "standard_error")}
    reference = {
        "data": data,
        "model": model,
        "parameters": parameters,
        "groups": list(result.group_names),
        "aggregate": aggregate,
        "export": export,
    }
    local_views = [] if dataset is None else [local.local_card(result, dataset, pair, row, export)]
    return [
        dcc.Store(id=RESULT_REFERENCE, data=reference),
        html.Div(
            [
                metric("index", INDEX_LABELS.get(result.index, result.index)),
                metric("groups", str(len(result.group_names))),
                metric("pairs", str(len(table))),
                metric("explained rows", str(result.settings.get("n_rows", "all"))),
                metric("analysis time", f"{result.seconds:.2f} s"),
            ],
            className="wb-card wb-metrics",
        ),
        *diagnostics_card(result.diagnostics),
        html.P(
            f"The Rashomon page is not linked: {fisc_reason}."
            if fisc_reason
            else "Click a cell of the heatmap to open the pair's halo plot on the Rashomon page.",
            className="wb-muted",
        ),
        html.Div(figure_cards(result, aggregate, export=export), id=FIGURES),
        *local_views,
        table_card(
            PAGE,
            "global",
            table,
            f"Global score per pair (ranked by {ranked})",
            export=export,
        ),
        table_card(
            PAGE,
            "scores",
            result.scores,
            "All scores (per row for local indices)",
            units=units,
            export=export,
        ),
    ]


def view_search(data: str, model: str, parameters: dict, aggregate: str | None = None) -> str:
    query = {"data": data, "model": model}
    query.update({name: parameters[name] for name in FORM_PARAMETERS if parameters.get(name)})
    if aggregate in AGGREGATE_LABELS:
        query["aggregate"] = aggregate
    return "?" + urlencode(query)
