"""Figures of a model's own interaction claims beside its measured interactions: the rank
agreement of intrinsic pair weights (``IntrinsicInteractionResult``) and the loss change of
OptInter's forced operations (``OperationSwitchResult``)."""

from __future__ import annotations

import plotly.graph_objects as go

from analyzers.figures.colours import model_colours
from analyzers.figures.reading import with_reading
from analyzers.intrinsic_interactions import IntrinsicInteractionResult
from analyzers.operation_switches import OperationSwitchResult

__all__ = ["intrinsic_rank_figure", "operation_switch_figure"]

_ROW_PX = 22
#: pairs drawn in the switch figure (the table holds every one)
MAX_SWITCH_PAIRS = 25


def intrinsic_rank_figure(result: IntrinsicInteractionResult) -> go.Figure:
    """Each field pair's intrinsic rank (x) against its measured rank (y), one colour per
    source, Spearman's ρ in the legend.

    Parameters
    ----------
    result : IntrinsicInteractionResult

    Returns
    -------
    plotly.graph_objects.Figure
    """
    pairs, agreement = result.pairs, result.agreement.set_index("source")
    sources = list(dict.fromkeys(pairs["source"]))
    colours = model_colours(sources)
    fig = go.Figure()
    for source in sources:
        rows = pairs[pairs["source"] == source]
        rho = agreement.loc[source, "spearman"]
        fig.add_trace(
            go.Scatter(
                x=rows["intrinsic_rank"],
                y=rows["measured_rank"],
                mode="markers",
                name=f"{source} (ρ = {rho:.2f})",
                marker={"color": colours[source], "size": 9, "opacity": 0.8},
                text=rows["pair"],
                hovertemplate="%{text}<br>intrinsic rank %{x}<br>measured rank %{y}"
                "<extra>" + source + "</extra>",
            )
        )
    n_pairs = int(pairs["pair"].nunique())
    fig.add_trace(
        go.Scatter(
            x=[1, n_pairs],
            y=[1, n_pairs],
            mode="lines",
            line={"color": "grey", "dash": "dot"},
            name="same rank",
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        xaxis={"title": "intrinsic rank (1 = largest weight)", "autorange": "reversed"},
        yaxis={
            "title": f"measured rank ({result.measured_index}, 1 = strongest)",
            "autorange": "reversed",
        },
        height=460,
        margin={"t": 30},
        legend={"orientation": "h", "y": -0.2},
    )
    return with_reading(
        fig,
        f"Each point is one field pair for one source of the model's own weights ({result.how}). "
        "x: its rank by the model's own weight; y: its rank by the measured interaction "
        f"({result.measured_index}, mean |value| over the explained rows); 1 is the strongest. "
        "Points on the dotted line rank the same both ways; ρ in the legend is Spearman's rank "
        "correlation: near 1, the weight means what it looks like; near 0 or below, it does not.",
    )


def operation_switch_figure(result: OperationSwitchResult) -> go.Figure:
    """Δloss of forcing each operation on each field pair, with its bootstrap interval; the
    pairs whose switches matter most on top.

    Parameters
    ----------
    result : OperationSwitchResult

    Returns
    -------
    plotly.graph_objects.Figure
    """
    order = result.pairs.sort_values("switch_effect", ascending=False)["pair"]
    shown = list(order[:MAX_SWITCH_PAIRS])
    switches = result.switches[result.switches["pair"].isin(shown) & result.switches["available"]]
    operations = list(dict.fromkeys(result.switches["forced"]))
    colours = model_colours(operations)
    fig = go.Figure()
    for operation in operations:
        rows = switches[switches["forced"] == operation]
        fig.add_trace(
            go.Scatter(
                x=rows["loss_increase"],
                y=rows["pair"],
                mode="markers",
                name=f"forced {operation}",
                marker={"color": colours[operation], "size": 9},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": rows["loss_increase_high"] - rows["loss_increase"],
                    "arrayminus": rows["loss_increase"] - rows["loss_increase_low"],
                },
                customdata=rows["chosen"],
                hovertemplate="%{y}: chosen %{customdata}<br>Δloss %{x:.4g}<extra>"
                + operation
                + "</extra>",
            )
        )
    fig.add_vline(x=0, line={"color": "grey", "dash": "dot"})
    fig.update_layout(
        xaxis={"title": "Δ loss when the pair is forced (mean over test rows)"},
        yaxis={"categoryorder": "array", "categoryarray": shown[::-1]},
        height=max(260, 120 + _ROW_PX * len(shown)),
        margin={"t": 30},
        legend={"orientation": "h", "y": -0.15},
    )
    more = len(order) - len(shown)
    return with_reading(
        fig,
        "Each row is a field pair; each mark the loss change when that pair alone is forced to "
        "memorize, factorize or naive with every weight kept, with its paired bootstrap "
        f"interval ({result.settings.get('confidence', 0.95):.0%}). Right of 0: the forced "
        "operation makes the model worse, so the pair's operation matters. For a retrained "
        "model, forcing the chosen operation is exactly 0; a search model mixes operations, so "
        "forcing its argmax moves the loss too. Pairs sorted by their largest |Δloss|"
        + (f"; {more} weaker pairs are in the table only." if more > 0 else "."),
    )
