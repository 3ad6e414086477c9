"""The Model sets page's result view: metrics, the per-pair cloud, the range table, the
consensus graph and order shares, the member table and the robust top-k / rank-swing text,
rendered from a stored ``ModelSetResult`` (built views are kept: app.web.view_cache)."""

from __future__ import annotations

from dash import dcc, html

from app.web.components import diagnostics_card, export_stem, figure_card, metric, table_card
from app.web.view_cache import cached_view

PAGE = "model-sets"
RESULT_REFERENCE = "mset-result-reference"
#: pairs drawn in the cloud and the consensus graph (the tables hold every pair)
CLOUD_TOP = 20
GRAPH_TOP = 25
SWINGS = 5


def result_view(result, model: str, parameters: dict, data: str | None = None) -> list:
    """The whole view of one stored result, built once per result and view."""
    key = ("mset", model, repr(sorted(parameters.items())), data)
    return cached_view(result, key, lambda: _result_view(result, model, parameters, data))


def _result_view(result, model: str, parameters: dict, data: str | None) -> list:
    from analyzers.figures.interaction_reading import score_unit
    from analyzers.figures.model_set_consensus import consensus_graph_plot, order_share_heatmap
    from analyzers.figures.model_sets import model_set_cloud_plot

    export = export_stem("mset", data, model)
    unit = score_unit(result.index, result.settings)
    loss_unit = f"Δ {result.settings.get('loss', 'loss')}"
    children = [
        dcc.Store(
            id=RESULT_REFERENCE, data={"data": data, "model": model, "parameters": parameters}
        ),
        html.Div(
            [
                metric("builder", result.builder),
                metric("reference loss L*", f"{result.reference_loss:.4f}"),
                metric("ε", f"{result.epsilon:.4g}"),
                metric("members in the set", f"{result.n_in_set} / {len(result.model_names)}"),
                metric("pairs", str(len(result.ranges))),
                metric("analysis time", f"{result.seconds:.1f} s"),
            ],
            className="wb-card wb-metrics",
        ),
        *diagnostics_card(result.diagnostics),
        html.Div(consensus_text(result), className="wb-card", id="mset-consensus-text"),
        figure_card(
            "mset-cloud",
            model_set_cloud_plot(result, top=CLOUD_TOP),
            "Interaction cloud over the set",
            export=export,
        ),
        table_card(
            PAGE,
            "ranges",
            result.ranges,
            "Strength range per pair over the in-set members, strongest mean first",
            units={c: unit for c in ("min", "max", "mean", "range", "sampling_error")},
            export=export,
        ),
        figure_card(
            "mset-consensus",
            consensus_graph_plot(result, top=GRAPH_TOP),
            "Consensus graph (Hasse diagram)",
            export=export,
        ),
        figure_card(
            "mset-shares",
            order_share_heatmap(result),
            "Order shares between the strongest pairs",
            export=export,
        ),
        table_card(
            PAGE,
            "members",
            result.members,
            "Members: loss, L − L* and whether each is in the set (L − L* ≤ ε)",
            units={"loss": result.settings.get("loss", "loss"), "loss_increase": loss_unit},
            export=export,
        ),
    ]
    return children


def consensus_text(result) -> list:
    """Robust top-k and the pairs whose rank swings most, in words."""
    robust = result.robust_top_k()
    if result.n_in_set <= 1:
        return [html.P("No consensus to read: the set holds no model but the best.")]
    robust_line = (
        f"Every in-set member ranks these in its top {result.top_k}: {', '.join(robust)}."
        if robust
        else f"No pair is in the top {result.top_k} of every in-set member."
    )
    swings = result.rank_swings(SWINGS)
    swing_items = [
        html.Li(f"{row.pair}: rank {row.rank_best} to {row.rank_worst}")
        for row in swings.itertuples()
        if row.rank_swing > 0
    ]
    children = [html.H4(f"Robust top-{result.top_k}"), html.P(robust_line, id="mset-robust")]
    if swing_items:
        children += [
            html.H4("Depends on the model: the largest rank swings"),
            html.Ul(swing_items),
        ]
    else:
        children.append(html.P("Every in-set member ranks the pairs the same way."))
    return children
