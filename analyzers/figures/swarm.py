"""Swarm plots of the FIS cloud and the main-effect cloud (fisc.md 3.3).

One row per interaction (or group); each model in the Rashomon set is a dot coloured by its loss,
the reference model an orange star. Rows are ranked as ``RashomonResult.summary()`` ranks them:
by the range over the models in the set (reference included), widest on top, with rows that have
too few models in the set (``MIN_IN_SET_MODELS``) at the bottom, marked in their label. Models
outside the set are drawn only on request (``include_outside=True``), as grey crosses outside the
colour scale, never as boundary-coloured dots.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analyzers.figures._select import resolve_groups, resolve_interactions
from analyzers.figures._swarm_text import (
    OUTSIDE_NAME,
    axis_title,
    fis_hover,
    fis_reading,
    main_effect_hover,
    main_effect_reading,
)
from analyzers.figures.beeswarm import beeswarm_offsets
from analyzers.figures.reading import with_reading
from analyzers.rashomon_result import MIN_IN_SET_MODELS, RashomonResult
from workbench.errors import ParameterError

LOSS_COLOURSCALE = ["#1E88E5", "#7C52FF", "#ff0d57"]
REFERENCE_ORANGE = "#ff9800"
OUTSIDE_GREY = "#9e9e9e"
INSIDE_NAME = "models in the set (loss ≤ L*+ε)"
_ROW_HALF_WIDTH = 0.4
_GAP_FRACTION = 1 / 120  # of the x span: roughly one marker on a figure ~800 px wide


@dataclass(frozen=True)
class _SwarmRow:
    label: str
    models: pd.DataFrame  # the cloud rows of this label (in the set, or all on request)
    values: np.ndarray  # (models,) the plotted x
    reference: float
    hover: list[str]  # (models,) one text per model

    @property
    def inside(self) -> np.ndarray:
        return self.models["in_set"].to_numpy(dtype=bool)

    @property
    def n_in_set(self) -> int:
        return int(self.inside.sum())

    @property
    def few_models(self) -> bool:
        return self.n_in_set < MIN_IN_SET_MODELS

    @property
    def tick(self) -> str:
        return f"{self.label} ⚠ {self.n_in_set} in set" if self.few_models else self.label

    @property
    def value_range(self) -> float:
        """Range over the models in the set and the reference: the summary's range."""
        values = np.append(self.values[self.inside], self.reference)
        finite = values[np.isfinite(values)]
        return float(finite.max() - finite.min()) if finite.size else -np.inf


def swarm_plot(
    result: RashomonResult,
    interactions: str | Iterable[str | Sequence[str]] | None = None,
    top: int | None = None,
    absolute: bool = False,
    include_outside: bool = False,
    *,
    in_set_only: bool | None = None,
) -> go.Figure:
    """FIS swarm: the FIS of every joint model in the Rashomon set, one row per interaction.

    Parameters
    ----------
    result : RashomonResult
        The exploration whose ``fis_cloud`` is plotted.
    interactions : str or iterable, optional
        Labels or group tuples (any order) to show; None shows every interaction.
    top : int, optional
        Keep only the ``top`` best-ranked interactions (widest in-set range).
    absolute : bool
        Plot |FIS| (the paper-era convention) instead of the signed FIS.
    include_outside : bool
        Also draw the sampled joint models outside the set (L - L* > ε), as grey crosses.
    in_set_only : bool, optional
        Deprecated spelling of ``not include_outside``.

    Returns
    -------
    plotly.graph_objects.Figure
        Dots of the models in the set coloured by loss on [lowest loss, L* + ε], the reference
        model's FIS as an orange star per row, a "how to read this" text (``reading_of``).

    Example
    -------
    >>> fig = swarm_plot(result, top=10, absolute=True)  # doctest: +SKIP
    """
    top = _check_top(top)
    include_outside = _include_outside(include_outside, in_set_only)
    labels = resolve_interactions(result, interactions)
    cloud = _shown_models(result.fis_cloud, include_outside)
    reference = result.reference_fis.set_index("interaction")["fis"]
    transform = np.abs if absolute else np.asarray
    measure = "|FIS|" if absolute else "FIS"
    rows = []
    for label in labels:
        models = cloud[cloud["interaction"] == label]
        values = transform(models["fis"].to_numpy(dtype=float))
        hover = fis_hover(models, values, label, measure, result)
        rows.append(_SwarmRow(label, models, values, float(transform(reference[label])), hover))
    title = f"{measure} of each model in the Rashomon set (ε = {result.epsilon:.4g})"
    if include_outside:
        title += ", with sampled models outside it"
    fig = _swarm_figure(_ranked_rows(rows, top), result, measure, title)
    return with_reading(fig, fis_reading(result, absolute, include_outside))


def main_effect_swarm_plot(
    result: RashomonResult,
    groups: str | Iterable[str] | None = None,
    include_outside: bool = False,
) -> go.Figure:
    """Main-effect swarm ("model reliance"): each group's main effect over the Rashomon set.

    Parameters
    ----------
    result : RashomonResult
        The exploration whose ``main_effect_cloud`` is plotted.
    groups : str or iterable of str, optional
        Groups to show; None shows every searched group.
    include_outside : bool
        Also draw the single-mask models outside the set, as grey crosses.

    Returns
    -------
    plotly.graph_objects.Figure
        One row per group ranked by range (widest on top), dots coloured by the model's loss,
        the reference model's main effect as an orange star, a "how to read this" text.

    Example
    -------
    >>> fig = main_effect_swarm_plot(result, groups=["age", "prior"])  # doctest: +SKIP
    """
    everything = result.main_effect_cloud
    present = set(everything["group"])
    available = [g for g in result.group_names if g in present]
    available += [g for g in dict.fromkeys(everything["group"]) if g not in available]
    chosen = resolve_groups(result, groups, available)
    cloud = _shown_models(everything, include_outside)
    reference = result.reference_main_effects.set_index("group")["main_effect"]
    rows = []
    for group in chosen:
        models = cloud[cloud["group"] == group]
        values = models["main_effect"].to_numpy(dtype=float)
        hover = main_effect_hover(models, values, group, result)
        rows.append(_SwarmRow(group, models, values, float(reference.get(group, np.nan)), hover))
    title = f"Main effect of each model in the Rashomon set (ε = {result.epsilon:.4g})"
    if include_outside:
        title += ", with sampled models outside it"
    fig = _swarm_figure(_ranked_rows(rows, None), result, "main effect", title)
    return with_reading(fig, main_effect_reading(result, include_outside))


def _include_outside(include_outside: bool, in_set_only: bool | None) -> bool:
    if in_set_only is None:
        return bool(include_outside)
    warnings.warn(
        "swarm_plot: in_set_only= is replaced by include_outside= (in-set is the default); "
        "in_set_only= will be removed in the next release",
        FutureWarning,
        stacklevel=3,
    )
    return not in_set_only


def _shown_models(cloud: pd.DataFrame, include_outside: bool) -> pd.DataFrame:
    return cloud if include_outside else cloud[cloud["in_set"].astype(bool)]


def _check_top(top: int | None) -> int | None:
    if top is None:
        return None
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise ParameterError(f"top must be a positive integer or None; got {top!r}")
    return int(top)


def _ranked_rows(rows: list[_SwarmRow], top: int | None) -> list[_SwarmRow]:
    """Rows bottom to top: flagged rows lowest, then by range, so the widest lands on top."""
    # Stable sort ascending: row 0 is drawn at the bottom.
    ranking = sorted(rows, key=lambda row: (not row.few_models, row.value_range))
    return ranking[-top:] if top is not None else ranking


def _swarm_figure(
    rows: list[_SwarmRow], result: RashomonResult, measure: str, title: str
) -> go.Figure:
    """The dots (in the set, and outside on request), the stars and the layout."""
    y = _row_positions(rows)
    inside = _stack([row.inside for row in rows]).astype(bool)
    fig = go.Figure()
    fig.add_trace(_inside_trace(rows, y, inside, result))
    if not inside.all():
        fig.add_trace(_outside_trace(rows, y, inside))
    fig.add_trace(_reference_trace(rows, measure))
    fig.update_layout(
        title=title,
        xaxis={"title": axis_title(measure, result), "zeroline": True, "zerolinecolor": "#999"},
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(rows))),
            "ticktext": [row.tick for row in rows],
            "range": [-0.6, len(rows) - 0.4],
            "showgrid": False,
        },
        # The stored labels of the rows, bottom first: what a click on a row selects.
        meta={"rows": [row.label for row in rows]},
        template="plotly_white",
        legend={"orientation": "h", "y": -0.12},
        height=max(320, 140 + 56 * len(rows)),
        width=900,
    )
    return fig


def _row_positions(rows: list[_SwarmRow]) -> np.ndarray:
    """y of every dot: its row's index plus a beeswarm offset that keeps dots apart."""
    x = _stack([row.values for row in rows])  # (points,) over all rows, bottom row first
    finite = x[np.isfinite(x)]
    span = float(finite.max() - finite.min()) if finite.size else 0.0
    min_gap = span * _GAP_FRACTION if span > 0 else 1.0
    return _stack(
        [
            position + beeswarm_offsets(row.values, _ROW_HALF_WIDTH, min_gap=min_gap)
            for position, row in enumerate(rows)
        ]
    )


def _inside_trace(
    rows: list[_SwarmRow], y: np.ndarray, inside: np.ndarray, result: RashomonResult
) -> go.Scatter:
    loss = _stack([row.models["loss"].to_numpy(dtype=float) for row in rows])[inside]
    ceiling = result.reference_loss + result.epsilon
    # Every dot here has loss ≤ L* + ε, so the scale clips nothing.
    floor = float(np.nanmin(loss)) if np.isfinite(loss).any() else result.reference_loss
    return go.Scatter(
        x=_stack([row.values for row in rows])[inside],
        y=y[inside],
        mode="markers",
        name=INSIDE_NAME,
        marker={
            "color": loss,
            "colorscale": LOSS_COLOURSCALE,
            "cmin": min(floor, ceiling),
            "cmax": ceiling,
            "size": 6,
            "colorbar": {"title": {"text": "loss of the sampled model", "side": "right"}},
        },
        text=np.array([t for row in rows for t in row.hover], dtype=object)[inside],
        hovertemplate="%{text}<extra></extra>",
        customdata=_stack([row.models["model_id"].to_numpy() for row in rows])[inside],
    )


def _outside_trace(rows: list[_SwarmRow], y: np.ndarray, inside: np.ndarray) -> go.Scatter:
    outside = ~inside
    return go.Scatter(
        x=_stack([row.values for row in rows])[outside],
        y=y[outside],
        mode="markers",
        name=OUTSIDE_NAME,
        marker={"symbol": "x-thin-open", "color": OUTSIDE_GREY, "size": 7, "line": {"width": 1}},
        text=np.array([t for row in rows for t in row.hover], dtype=object)[outside],
        hovertemplate="%{text}<extra></extra>",
        customdata=_stack([row.models["model_id"].to_numpy() for row in rows])[outside],
    )


def _reference_trace(rows: list[_SwarmRow], measure: str) -> go.Scatter:
    return go.Scatter(
        x=[row.reference for row in rows],
        y=list(range(len(rows))),
        mode="markers",
        name="reference model (the trained model)",
        marker={
            "symbol": "star",
            "color": REFERENCE_ORANGE,
            "size": 15,
            "line": {"color": "black", "width": 1},
        },
        text=[
            f"<b>{row.label}</b><br>reference model<br>{measure} = {row.reference:.4g}<br>"
            f"{row.n_in_set} sampled model(s) in the set"
            for row in rows
        ],
        hovertemplate="%{text}<extra></extra>",
    )


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0)
