"""One explained row across every interaction: a signed horizontal bar, largest |value| on top.

Built from a local ``InteractionResult`` (SII, STII, k-SII, tree SHAP); the row's group values
sit beside it in the app (``analyzers.interactions.explained_rows.group_values``).
"""

from __future__ import annotations

import plotly.graph_objects as go

from analyzers.figures.interaction_reading import INDEX_TITLES, sign_sentence, unit_sentence
from analyzers.figures.interactions import NEGATIVE_COLOUR, POSITIVE_COLOUR
from analyzers.figures.reading import with_reading
from analyzers.interaction_result import InteractionResult
from analyzers.interactions.explained_rows import row_values
from workbench.errors import ParameterError

DEFAULT_TOP = 15


def row_interaction_bar(result: InteractionResult, row: int, top: int = DEFAULT_TOP) -> go.Figure:
    """The ``top`` interactions of the explained ``row`` by |value|, signed, largest on top.

    Parameters
    ----------
    result : InteractionResult
        A local result (per-row values).
    row : int
        Dataset position of an explained row (``explained_rows(result)``).
    top : int
        How many interactions to draw (pairs and triples alike).

    Returns
    -------
    Figure
        One bar per interaction, blue positive, red negative, with a "how to read this" text.

    Example
    -------
    >>> row_interaction_bar(result, int(explained_rows(result)[0]))  # doctest: +SKIP
    """
    if int(top) < 1:
        raise ParameterError(f"top must be >= 1, got {top!r}")
    values = row_values(result, row).iloc[: int(top)]
    drawn = values.iloc[::-1]  # plotly draws the first category at the bottom
    colours = [POSITIVE_COLOUR if v >= 0 else NEGATIVE_COLOUR for v in drawn]
    title = INDEX_TITLES[result.index]
    figure = go.Figure(
        go.Bar(
            x=drawn.to_numpy(),
            y=list(drawn.index),
            orientation="h",
            marker_color=colours,
            hovertemplate="%{y}: %{x:.4g}<extra></extra>",
        )
    )
    figure.add_vline(x=0, line={"color": "#888", "width": 1})
    figure.update_layout(
        title=f"{title} of row {int(row)}, largest |value| first",
        xaxis_title=f"{title} on row {int(row)}",
        height=max(260, 28 * len(drawn) + 110),
        margin={"l": 10, "r": 20, "t": 50, "b": 50},
        yaxis={"automargin": True},
    )
    total = len(row_values(result, row))
    shown = f"the {len(values)} largest of {total}" if total > len(values) else f"all {total}"
    reading = (
        f"One bar per interaction ({shown}), its {title} on this row; blue positive, red "
        f"negative, longest on top. {unit_sentence(result.index, result.settings)} "
        f"{sign_sentence(result.index)}"
    )
    return with_reading(figure, reading)
