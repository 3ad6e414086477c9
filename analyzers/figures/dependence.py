"""Dependence plot of one pair: a group's value against the pair's interaction on each row.

Built from a local ``InteractionResult`` (SII, STII, k-SII, tree SHAP) and the explained rows'
group values (``analyzers.interactions.explained_rows.group_values``): one point per explained
row, x its value of one group of the pair, y its interaction value, colour its value of the
partner. A pure interaction shows as a fan whose sign flips with the partner's colour; an
additive pair as points on the zero line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from analyzers.figures.interaction_reading import (
    INDEX_TITLES,
    score_unit,
    sign_sentence,
    unit_sentence,
)
from analyzers.figures.reading import with_reading
from analyzers.interaction_result import InteractionResult, split_pair
from analyzers.interactions.explained_rows import pair_values
from workbench.errors import ParameterError

#: a signed partner (values on both sides of 0) is coloured red–white–blue around 0
DIVERGING_SCALE, SEQUENTIAL_SCALE = "RdBu", "Viridis"


def dependence_plot(
    result: InteractionResult,
    values: pd.DataFrame,
    pair: str,
    along: str | None = None,
    row: int | None = None,
) -> go.Figure:
    """One point per explained row: ``along``'s value, the pair's value, the partner's colour.

    Parameters
    ----------
    result : InteractionResult
        A local result (per-row values).
    values : DataFrame
        Group values of (at least) the explained rows, indexed by dataset row position, one
        column per group (``group_values(dataset, explained_rows(result))``).
    pair : str
        A scored pair, e.g. ``"age × prior"``.
    along : str or None
        The group on the x axis; None: the pair's first group. The other one colours the points.
    row : int or None
        An explained row to ring (the one the row explorer shows); None: no ring.

    Returns
    -------
    Figure
        With a "how to read this" text (``analyzers.figures.reading``).

    Example
    -------
    >>> rows = explained_rows(result)
    >>> dependence_plot(result, group_values(data, rows), "x1 × x2")  # doctest: +SKIP
    """
    groups = split_pair(pair)
    if len(groups) != 2:
        raise ParameterError(f"pair: a dependence plot shows a pair of groups, got {pair!r}")
    along = groups[0] if along is None else along
    if along not in groups:
        raise ParameterError(f"along must be one of {list(groups)}, got {along!r}")
    partner = groups[1] if along == groups[0] else groups[0]
    interaction = pair_values(result, pair)  # (rows,) in explained order
    _check_values(values, interaction.index, groups)
    rows = interaction.index
    x, colour = values.loc[rows, along], values.loc[rows, partner]
    unit = score_unit(result.index, result.settings)
    figure = go.Figure(_traces(rows, x, interaction.to_numpy(), colour, along, partner, unit))
    figure.add_hline(y=0, line={"color": "#888", "width": 1})
    if row is not None:
        figure.add_trace(_ring(interaction, x, int(row)))
    figure.update_layout(
        title=f"{INDEX_TITLES[result.index]} of {pair} per row, along {along}",
        xaxis_title=along,
        yaxis_title=f"{INDEX_TITLES[result.index]} of {pair} ({unit})",
        legend_title_text=partner,
        height=420,
        margin={"l": 70, "r": 20, "t": 50, "b": 50},
    )
    return with_reading(figure, _reading(result, pair, along, partner, colour))


def _check_values(values: pd.DataFrame, rows: pd.Index, groups: tuple[str, ...]) -> None:
    missing = [g for g in groups if g not in values.columns]
    if missing:
        raise ParameterError(f"values lacks the group columns {missing}")
    absent = rows.difference(values.index)
    if len(absent):
        raise ParameterError(f"values lacks explained rows, e.g. {absent[:5].tolist()}")


def _traces(rows, x, y, colour: pd.Series, along, partner, unit) -> list[go.Scatter]:
    hover = (
        f"row %{{customdata}}<br>{along} = %{{x}}<br>{partner} = %{{text}}"
        f"<br>value = %{{y:.4g}} {unit}<extra></extra>"
    )
    common = {"mode": "markers", "hovertemplate": hover}
    if pd.api.types.is_numeric_dtype(colour):
        numbers = colour.to_numpy(dtype=float)
        signed = numbers.min() < 0 < numbers.max()
        marker = {
            "color": numbers,
            "colorscale": DIVERGING_SCALE if signed else SEQUENTIAL_SCALE,
            "colorbar": {"title": {"text": partner}},
            "size": 8,
            "line": {"width": 0.5, "color": "#444"},
        }
        if signed:
            marker["cmid"] = 0.0
        text = [f"{v:g}" for v in numbers]
        return [
            go.Scatter(
                x=x.to_list(), y=y, customdata=list(rows), text=text, marker=marker, **common
            )
        ]
    levels = list(pd.unique(colour))
    palette = qualitative.Plotly
    traces = []
    for k, level in enumerate(levels):
        chosen = np.asarray(colour == level)
        traces.append(
            go.Scatter(
                x=x[chosen].to_list(),
                y=y[chosen],
                customdata=list(rows[chosen]),
                text=[str(level)] * int(chosen.sum()),
                name=str(level),
                marker={"color": palette[k % len(palette)], "size": 8},
                **common,
            )
        )
    return traces


def _ring(interaction: pd.Series, x: pd.Series, row: int) -> go.Scatter:
    if row not in interaction.index:
        raise ParameterError(f"row: {row!r} is not an explained row")
    return go.Scatter(
        x=[x.loc[row]],
        y=[interaction.loc[row]],
        mode="markers",
        name=f"row {row}",
        marker={"size": 18, "color": "rgba(0,0,0,0)", "line": {"width": 2, "color": "#111"}},
        hoverinfo="skip",
    )


def _reading(result, pair, along, partner, colour: pd.Series) -> str:
    numeric = pd.api.types.is_numeric_dtype(colour)
    signed = numeric and colour.min() < 0 < colour.max()
    colours = (
        f"colour: its {partner} value (red below 0, blue above, white at 0)."
        if signed
        else f"colour: its {partner} value."
    )
    return (
        f"Each point is one explained row: x its {along} value; y its "
        f"{INDEX_TITLES[result.index]} of {pair}; {colours} "
        f"{unit_sentence(result.index, result.settings)} {sign_sentence(result.index)} "
        "Points on the zero line: the pair adds nothing beyond each group alone on that row; "
        f"a spread that changes sign with {partner}'s colour is "
        "an interaction that depends on the partner's value."
    )
