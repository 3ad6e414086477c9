"""The Interactions page's result view: metrics, the heatmap, network and bar of the pair scores,
the local views and the tables, rendered from a stored ``InteractionResult``; built views are
kept (app.web.view_cache: a cold build took 0.41 s of CPU on the demo)."""

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
from app.web.view_cache import cached_view

RESULT_REFERENCE = "inter-result-reference"
FIGURES = "inter-figures"
HEATMAP = {"type": "graph", "figure": "inter-heatmap"}
#: the network and the bar, after the heatmap in FIGURES: filled once the heatmap is drawn
MORE_FIGURES = "inter-more-figures"
#: the local views and the tables: filled with MORE_FIGURES
DETAILS_AREA = "inter-details-area"
#: written in the browser once the heatmap is drawn: asks the server for the rest
DETAILS_ASKED = "inter-details-asked"
DETAILS_PENDING = "Drawing the network, the local views and the tables…"
#: the result's own default, which `workbench interactions --aggregate` shares
DEFAULT_AGGREGATE = signature_default(InteractionResult.global_scores, "aggregate")


def figure_cards(result, aggregate: str = "mean_abs", export: str | None = None) -> list:
    """The heatmap, network and bar of ``result`` under one aggregate (see AGGREGATE_LABELS);
    ``export`` is the stem of exported files' names (``export_stem``)."""
    return [heatmap_card(result, aggregate, export), *_more_figures(result, aggregate, export)]


def heatmap_card(result, aggregate: str, export: str | None) -> html.Div:
    """The pair heatmap: the page's first figure."""
    from analyzers.figures.interactions import pair_heatmap

    return figure_card(
        "inter-heatmap", pair_heatmap(result, aggregate), "Pair heatmap", export=export
    )


def _more_figures(result, aggregate: str, export: str | None) -> list:
    from analyzers.figures.interactions import interaction_network, top_pairs_bar

    return [
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
    deferred: bool = False,
) -> list:
    """Metrics, diagnostics, the global figures, the local views (given the ``dataset`` the
    result was computed on; ``pair`` and ``row`` chosen, defaults otherwise) and the tables.
    ``fisc_reason``: why the heatmap does not link to the Rashomon page (None: it does).

    ``deferred``: only the heatmap is drawn; the network, the bar, the local views and the
    tables are left to ``details_view``, which the page asks for once the heatmap is drawn
    (``dataset`` is then not needed). Built once per result and view (app.web.view_cache)."""
    key = (
        "interactions",
        data,
        model,
        repr(sorted(parameters.items())),
        aggregate,
        pair,
        row,
        fisc_reason,
        deferred,
        dataset is None,
    )
    return cached_view(
        result,
        key,
        lambda: _result_view(
            result, data, model, parameters, aggregate, dataset, pair, row, fisc_reason, deferred
        ),
    )


def _result_view(
    result, data, model, parameters, aggregate, dataset, pair, row, fisc_reason, deferred
) -> list:
    export = export_stem("interactions", data, model)
    reference = {
        "data": data,
        "model": model,
        "parameters": parameters,
        "groups": list(result.group_names),
        "aggregate": aggregate,
        "export": export,
        # The local views' choices when the page was rendered (the details draw them).
        "pair": pair,
        "row": row,
    }
    top = [
        dcc.Store(id=RESULT_REFERENCE, data=reference),
        html.Div(
            [
                metric("index", INDEX_LABELS.get(result.index, result.index)),
                metric("groups", str(len(result.group_names))),
                metric("pairs", str(len(result.global_scores(aggregate)))),
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
    ]
    if deferred:
        pending = html.P(DETAILS_PENDING, className="wb-muted")
        more, details = [pending], [pending]
    else:
        more = _more_figures(result, aggregate, export)
        details = _details(result, aggregate, export, dataset, pair, row)
    return [
        *top,
        html.Div(
            [heatmap_card(result, aggregate, export), html.Div(more, id=MORE_FIGURES)],
            id=FIGURES,
        ),
        dcc.Store(id=DETAILS_ASKED),
        html.Div(details, id=DETAILS_AREA),
    ]


def details_view(result, reference: dict, dataset) -> tuple[list, list]:
    """The network and bar, and the local views and tables, of the view ``reference``
    (the page's RESULT_REFERENCE) describes; built once per result and view."""
    aggregate, export = reference["aggregate"], reference["export"]
    pair, row = reference.get("pair"), reference.get("row")
    key = ("interactions-details", reference["data"], aggregate, export, pair, row)
    return cached_view(
        result,
        key,
        lambda: (
            _more_figures(result, aggregate, export),
            _details(result, aggregate, export, dataset, pair, row),
        ),
    )


def aggregate_view(result, reference: dict, dataset, aggregate: str, pair, row) -> tuple:
    """What an aggregate choice changes, for the view ``reference`` describes: the figures
    (FIGURES' children, drawn at once), the details (DETAILS_AREA's children: the global table
    ranks by the aggregate; the local views keep ``pair`` and ``row``) and the reference."""
    reference = {**reference, "aggregate": aggregate, "pair": pair, "row": row}
    export = reference["export"]
    more, details = details_view(result, reference, dataset)
    figures = [heatmap_card(result, aggregate, export), html.Div(more, id=MORE_FIGURES)]
    return figures, details, reference


def _details(result, aggregate: str, export: str, dataset, pair, row) -> list:
    from analyzers.figures.interaction_reading import score_unit

    table = pair_table(result, aggregate)
    unit = score_unit(result.index, result.settings)
    units = {name: unit for name in ("value", "standard_error")}
    local_views = [] if dataset is None else [local.local_card(result, dataset, pair, row, export)]
    return [
        *local_views,
        table_card(
            PAGE,
            "global",
            table,
            f"Global score per pair (ranked by {AGGREGATE_LABELS[aggregate]})",
            export=export,
            lazy=True,  # below the local views: built when scrolled near, as on Rashomon
        ),
        table_card(
            PAGE,
            "scores",
            result.scores,
            "All scores (per row for local indices)",
            units=units,
            export=export,
            lazy=True,
        ),
    ]


def view_search(data: str, model: str, parameters: dict, aggregate: str | None = None) -> str:
    query = {"data": data, "model": model}
    query.update({name: parameters[name] for name in FORM_PARAMETERS if parameters.get(name)})
    if aggregate in AGGREGATE_LABELS:
        query["aggregate"] = aggregate
    return "?" + urlencode(query)
