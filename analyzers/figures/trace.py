"""Search-trace plot: the accepted greedy steps of the boundary search (fisc.md 3.4)."""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go
from plotly.colors import qualitative

from analyzers.figures._select import resolve_groups
from analyzers.figures.reading import with_reading
from analyzers.rashomon_result import RashomonResult

_DIRECTION_STYLE = {
    "+": {"dash": "solid", "symbol": "circle", "word": "m > 1"},
    "-": {"dash": "dot", "symbol": "diamond", "word": "m < 1"},
}


def search_trace_plot(
    result: RashomonResult, groups: str | Iterable[str] | None = None
) -> go.Figure:
    """Loss increase against mask for every accepted step, one line per (group, direction).

    Parameters
    ----------
    result : RashomonResult
        The exploration whose ``trace`` is plotted.
    groups : str or iterable of str, optional
        Groups to show; None shows every group with accepted steps.

    Returns
    -------
    plotly.graph_objects.Figure
        Lines named ``"<group> (+)"`` / ``"<group> (-)"`` in the order the steps were accepted,
        and a dashed horizontal line at ε, the loss increase a boundary may not reach.

    Example
    -------
    >>> fig = search_trace_plot(result, groups="age")  # doctest: +SKIP
    """
    trace = result.trace
    present = set(trace["group"])
    available = [g for g in result.group_names if g in present]
    available += [g for g in dict.fromkeys(trace["group"]) if g not in available]
    chosen = resolve_groups(result, groups, available)
    palette = qualitative.Plotly

    fig = go.Figure()
    for colour_index, group in enumerate(chosen):
        steps_of_group = trace[trace["group"] == group]
        for direction in dict.fromkeys(steps_of_group["direction"]):
            steps = steps_of_group[steps_of_group["direction"] == direction].sort_values(
                ["t", "step"], kind="stable"
            )
            style = _DIRECTION_STYLE.get(
                direction, {"dash": "dash", "symbol": "square", "word": ""}
            )
            fig.add_trace(
                go.Scatter(
                    x=steps["mask"],
                    y=steps["loss_increase"],
                    mode="lines+markers",
                    name=f"{group} ({direction})",
                    legendgroup=group,
                    line={"color": palette[colour_index % len(palette)], "dash": style["dash"]},
                    marker={"symbol": style["symbol"], "size": 6},
                    customdata=steps[["t", "step"]].to_numpy(),
                    hovertemplate=(
                        f"<b>{group}</b> ({direction}, {style['word']})<br>"
                        "mask = %{x:.4f}<br>loss increase = %{y:.4g}<br>"
                        "t = %{customdata[0]:.2f}, step %{customdata[1]}<extra></extra>"
                    ),
                )
            )
    fig.add_hline(
        y=result.epsilon,
        line={"color": "#444", "dash": "dash", "width": 1.5},
        annotation_text=f"ε = {result.epsilon:.4g}",
        annotation_position="top left",
    )
    fig.update_layout(
        title=f"Boundary search: accepted steps (ε = {result.epsilon:.4g})",
        xaxis={"title": "mask m (multiplier on the group's columns)"},
        yaxis={"title": "loss increase L − L*"},
        template="plotly_white",
        width=900,
        height=520,
    )
    loss = result.settings.get("loss", "the model's loss")
    return with_reading(
        fig,
        "Each line is the greedy boundary search of one group in one direction (solid: mask "
        "scaled up, m > 1; dotted: scaled down, m < 1); each marker is an accepted step. x is "
        "the mask m multiplying the group's columns (1 = the reference model), y the loss "
        f"increase L − L* in loss units ({loss}). The dashed line is ε, the Rashomon bound: "
        "for each budget fraction t the walk stops at the last step below t·ε. A line that "
        "stays flat near 0 means scaling this group does not change the loss (its search "
        "stalls), so input scaling cannot explore the set along it.",
    )
