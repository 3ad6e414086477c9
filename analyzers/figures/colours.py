"""One colour per model, shared by every figure that shows several models (the Compare page).

A reader matches a model across figures by its colour, so the figures of one comparison take
their colours from one map built from the same model order.
"""

from __future__ import annotations

from collections.abc import Iterable

import plotly.express as px

#: plotly's qualitative palette (10 colours), reused in order after the tenth model
MODEL_PALETTE: tuple[str, ...] = tuple(px.colors.qualitative.Plotly)


def model_colours(model_names: Iterable[str]) -> dict[str, str]:
    """Model name → colour, in the order given (the first model gets the palette's first
    colour), so the same models in the same order get the same colours in every figure.

    Parameters
    ----------
    model_names : iterable of str
        The models, in their display order (e.g. ``ComparisonResult.model_names``);
        repeated names keep their first colour.

    Returns
    -------
    dict
        ``{model: "#rrggbb"}``.

    Example
    -------
    >>> model_colours(["mlp", "gbt"])
    {'mlp': '#636EFA', 'gbt': '#EF553B'}
    """
    unique = list(dict.fromkeys(str(name) for name in model_names))
    return {name: MODEL_PALETTE[i % len(MODEL_PALETTE)] for i, name in enumerate(unique)}
