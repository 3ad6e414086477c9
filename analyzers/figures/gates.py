"""Figures of the gate/mask analyzer: gate distributions, level heat maps, ablation, agreement.

Each function takes a result from ``analyzers.gates`` and returns a ``go.Figure``; write them
with ``analyzers.figures.export.write_figures``.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analyzers.figures.interaction_reading import loss_name, sign_sentence
from analyzers.figures.interactions import NEGATIVE_COLOUR, POSITIVE_COLOUR
from analyzers.figures.reading import with_reading
from analyzers.gate_results import GateAblation, GateAttributions, GateReport, GateStatistics
from workbench.errors import ParameterError

__all__ = [
    "ablation_bar",
    "gate_attribution_scatter",
    "gate_distribution",
    "gate_figures",
    "gate_level_heatmap",
    "interaction_bar",
]


def _aligned_site(statistics: GateStatistics, site: str | None) -> str:
    sites = list(dict.fromkeys(statistics.per_field["site"]))
    if not sites:
        raise ParameterError("the statistics hold no field-aligned site")
    if site is None:
        return sites[0]
    if site not in sites:
        raise ParameterError(f"site {site!r} has no per-field statistics; sites: {sites}")
    return site


def gate_distribution(statistics: GateStatistics, site: str | None = None) -> go.Figure:
    """Box per field of the field-level gate over rows (whiskers: 5% and 95% quantiles).

    Example
    -------
    >>> gate_distribution(report.statistics, "cross0_gate").show()  # doctest: +SKIP
    """
    site = _aligned_site(statistics, site)
    rows = statistics.per_field[statistics.per_field["site"] == site]
    fields = rows["field"].tolist()
    fig = go.Figure(
        go.Box(
            x=fields,
            q1=rows["q25"].tolist(),
            median=rows["median"].tolist(),
            q3=rows["q75"].tolist(),
            lowerfence=rows["q05"].tolist(),
            upperfence=rows["q95"].tolist(),
            mean=rows["mean"].tolist(),
            name=site,
            boxpoints=False,
        )
    )
    fig.update_layout(
        title=f"{statistics.model_name}: gate values per field at {site} "
        "(boxes 25–75%, whiskers 5–95%)",
        xaxis_title="field",
        yaxis_title="field gate (mean over the field's units)",
        template="plotly_white",
    )
    return with_reading(
        fig,
        "Each box is one field: the distribution over rows of its gate at this site (the gate's "
        "own value, averaged over the field's units; a sigmoid gate runs 0 to 1). Box: 25–75% of "
        "rows, line: median, dashed line: mean, whiskers: 5% and 95%. A gate describes what the "
        "model computes, not what matters: a field with a low gate can still move the "
        "prediction (see the ablation).",
    )


#: longest level name shown under a cell; a longer one ends in "…" (hover has it whole)
LEVEL_LABEL_CHARACTERS = 14
#: pixels of one field's strip of cells and of the level names under it
_STRIP_PIXELS, _LEVEL_NAMES_PIXELS = 30, 80


def short_level_label(label: str, limit: int = LEVEL_LABEL_CHARACTERS) -> str:
    """``label`` cut to ``limit`` characters, the last one "…" when it was longer."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def gate_level_heatmap(
    statistics: GateStatistics, site: str | None = None, max_levels: int = 20
) -> go.Figure:
    """Mean field gate per level: one strip of cells per field, its most frequent levels first,
    each cell labelled with the level's name (the data set's ``code_levels``).

    Fields have different levels, so each strip has its own x axis of level names (a shared
    axis could only show ranks). Long names are cut under the cells; hover shows them whole.

    Example
    -------
    >>> gate_level_heatmap(report.statistics, "cross0_gate", max_levels=10).show()  # doctest: +SKIP
    """
    site = _aligned_site(statistics, site)
    levels = statistics.per_level[statistics.per_level["site"] == site]
    fields = list(dict.fromkeys(levels["field"]))
    plot_pixels = len(fields) * (_STRIP_PIXELS + _LEVEL_NAMES_PIXELS)
    # Every strip as wide as the field with the most levels shown: cells line up across fields.
    columns = min(max_levels, int(levels.groupby("field").size().max()))
    fig = make_subplots(
        rows=len(fields), cols=1, vertical_spacing=_LEVEL_NAMES_PIXELS / plot_pixels
    )
    for row, field in enumerate(fields, start=1):
        top = (
            levels[levels["field"] == field]
            .sort_values("rows", ascending=False, kind="stable")
            .head(max_levels)
        )
        names = [str(label) for label in top["level_label"]]
        ranks = list(range(len(names)))
        # x is the rank, labelled with the name: two names cut alike stay two cells.
        fig.add_trace(
            go.Heatmap(
                z=[top["mean_gate"].tolist()],
                x=ranks,
                y=[field],
                text=[[f"{name} (n={n})" for name, n in zip(names, top["rows"], strict=True)]],
                hovertemplate="%{y} = %{text}<br>mean gate %{z:.3f}<extra></extra>",
                coloraxis="coloraxis",
            ),
            row=row,
            col=1,
        )
        fig.update_xaxes(
            tickmode="array",
            tickvals=ranks,
            ticktext=[short_level_label(name) for name in names],
            tickangle=-45,
            range=[-0.5, columns - 0.5],
            showgrid=False,
            row=row,
            col=1,
        )
    fig.update_layout(
        title=f"{statistics.model_name}: mean gate at {site} by level (most frequent first)",
        coloraxis={"colorscale": "Viridis", "colorbar": {"title": {"text": "mean gate"}}},
        template="plotly_white",
        height=plot_pixels + 140,
        margin={"t": 80, "b": 40},
    )
    return with_reading(
        fig,
        "Each strip is a field, each cell one of its levels, named under it (most frequent "
        f"first, up to {max_levels}; hover for the full name and its number of rows): colour is "
        "the field gate's mean over the rows with that level, in the gate's own units. Similar "
        "colours along a strip mean the gate does not depend on the level. Rare levels rest on "
        "few rows.",
    )


def ablation_bar(ablation: GateAblation, site: str | None = None, mode: str = "zero") -> go.Figure:
    """Loss increase per field when its gate at ``site`` is replaced, with bootstrap intervals."""
    effects = ablation.effects
    site = site or ablation.sites[0]
    rows = effects[(effects["site"] == site) & (effects["mode"] == mode)]
    if rows.empty:
        raise ParameterError(f"no ablation rows for site {site!r} and mode {mode!r}")
    rows = rows.sort_values("loss_increase", ascending=False)
    fig = go.Figure(
        go.Bar(
            x=rows["field"].tolist(),
            y=rows["loss_increase"].tolist(),
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (rows["loss_increase_high"] - rows["loss_increase"]).tolist(),
                "arrayminus": (rows["loss_increase"] - rows["loss_increase_low"]).tolist(),
            },
            name=f"{site} → {mode}",
        )
    )
    confidence = ablation.settings.get("confidence", 0.95)
    loss = loss_name(ablation.settings)
    fig.update_layout(
        title=f"{ablation.model_name}: Δ {loss} when the gate at {site} is set to {mode} "
        f"({confidence:.0%} bootstrap intervals)",
        xaxis_title="field ('(all)': the whole site)",
        yaxis={"title": f"loss increase ({loss})", "zeroline": True},
        template="plotly_white",
    )
    return with_reading(
        fig,
        f"Bar height: the mean {loss} of the model with this field's gate at {site} replaced "
        f"by its '{mode}' value, minus the unedited model's {loss}, over the same rows. Above "
        "0: the edit hurts, the model relies on that gate; near 0: the gate does not matter "
        "there; below 0: the model does better without it. Whiskers: "
        f"{confidence:.0%} bootstrap interval over rows; one that crosses 0 is no evidence of "
        "an effect. '(all)' edits every field of the site at once.",
    )


def gate_attribution_scatter(
    statistics: GateStatistics,
    attributions: GateAttributions,
    site: str | None = None,
    method: str = "layer_conductance",
) -> go.Figure:
    """Mean gate (x) against mean |attribution| (y) per field: do open gates carry attribution?"""
    site = _aligned_site(statistics, site)
    gates = statistics.per_field[statistics.per_field["site"] == site].set_index("field")
    frame = attributions.per_field
    rows = frame[(frame["method"] == method) & (frame["site"].isin([site, "embedding"]))]
    if rows.empty:
        raise ParameterError(f"no attributions of method {method!r} at site {site!r}")
    rows = rows.set_index("field").reindex(gates.index)
    fig = go.Figure(
        go.Scatter(
            x=gates["mean"].tolist(),
            y=rows["mean_abs_attribution"].tolist(),
            text=gates.index.tolist(),
            mode="markers+text",
            textposition="top center",
        )
    )
    fig.update_layout(
        title=f"{statistics.model_name}: gate at {site} vs {method}",
        xaxis_title="mean field gate",
        yaxis_title="mean |attribution| per field",
        template="plotly_white",
    )
    return with_reading(
        fig,
        f"Each point is a field: x its mean gate at {site} (the gate's own units), y the mean "
        f"|attribution| of {method} to the field over rows, in units of the model's output "
        "(the sign dropped). Points along a rising line: open gates go with large attributions; "
        "a field high on y with a low gate matters through another path.",
    )


def interaction_bar(report: GateReport, top: int = 15) -> go.Figure:
    """Largest field-pair interaction scores (|FIS| on the loss) of the same model."""
    rows = report.interactions.head(top)
    loss = loss_name(report.ablation.settings)
    fig = go.Figure(
        go.Bar(
            x=rows["fis"].tolist(),
            y=[f"{a} × {b}" for a, b in zip(rows["field_1"], rows["field_2"], strict=True)],
            orientation="h",
            marker={"color": [NEGATIVE_COLOUR if v < 0 else POSITIVE_COLOUR for v in rows["fis"]]},
        )
    )
    fig.update_layout(
        title=f"{report.statistics.model_name}: field interactions (permutation FIS, {loss})",
        xaxis={"title": f"FIS ({loss}; signed)", "zeroline": True},
        yaxis={"autorange": "reversed"},
        template="plotly_white",
    )
    return with_reading(
        fig,
        f"Bar length: the signed permutation FIS of a field pair in {loss} units, FIS = φ_ij − "
        f"φ_i − φ_j with φ the {loss} increase when the fields are permuted; the "
        f"{len(rows)} pairs of largest |FIS| first. Blue above 0, red below 0. "
        f"{sign_sentence('fis')}",
    )


def gate_figures(report: GateReport) -> dict[str, go.Figure]:
    """Every figure of a report, named for ``write_figures``."""
    figures: dict[str, go.Figure] = {}
    aligned = list(dict.fromkeys(report.statistics.per_field["site"]))
    for site in aligned:
        figures[f"gate_distribution_{site}"] = gate_distribution(report.statistics, site)
        figures[f"gate_levels_{site}"] = gate_level_heatmap(report.statistics, site)
        if report.attributions is not None:
            figures[f"gate_vs_conductance_{site}"] = gate_attribution_scatter(
                report.statistics, report.attributions, site
            )
    for site in report.ablation.sites:
        figures[f"ablation_{site}"] = ablation_bar(report.ablation, site, "zero")
    if len(report.interactions):
        figures["field_interactions"] = interaction_bar(report)
    return figures
