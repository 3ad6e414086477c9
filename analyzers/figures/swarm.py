"""Swarm plots of the FIS cloud and the main-effect cloud (fisc.md 3.3).

One row per interaction (or group), rows sorted by the range of the plotted values with the widest
on top; each sampled model is a dot coloured by its loss, the reference model an orange star.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analyzers.figures._select import resolve_groups, resolve_interactions
from analyzers.figures.beeswarm import beeswarm_offsets
from analyzers.rashomon_result import RashomonResult
from workbench.errors import ParameterError

LOSS_COLOURSCALE = ["#1E88E5", "#7C52FF", "#ff0d57"]
REFERENCE_ORANGE = "#ff9800"
_ROW_HALF_WIDTH = 0.4
_GAP_FRACTION = 1 / 120  # of the x span: roughly one marker on a figure ~800 px wide


@dataclass(frozen=True)
class _SwarmRow:
    label: str
    models: pd.DataFrame  # the cloud rows of this label
    values: np.ndarray  # (models,) the plotted x
    reference: float

    @property
    def value_range(self) -> float:
        finite = self.values[np.isfinite(self.values)]
        return float(finite.max() - finite.min()) if finite.size else -np.inf


def swarm_plot(
    result: RashomonResult,
    interactions: str | Iterable[str | Sequence[str]] | None = None,
    top: int | None = None,
    absolute: bool = False,
    in_set_only: bool = False,
) -> go.Figure:
    """FIS swarm: the FIS of every sampled joint model, one row per interaction.

    Parameters
    ----------
    result : RashomonResult
        The exploration whose ``fis_cloud`` is plotted.
    interactions : str or iterable, optional
        Labels or group tuples (any order) to show; None shows every interaction.
    top : int, optional
        Keep only the ``top`` interactions with the widest FIS range.
    absolute : bool
        Plot |FIS| (the paper-era convention) instead of the signed FIS.
    in_set_only : bool
        Drop the joint models outside the Rashomon set (L - L* > ε).

    Returns
    -------
    plotly.graph_objects.Figure
        Rows sorted by range (widest on top), dots coloured by the model's loss on
        [min loss, L* + ε], the reference model's FIS as an orange star per row.

    Example
    -------
    >>> fig = swarm_plot(result, top=10, absolute=True)  # doctest: +SKIP
    """
    top = _check_top(top)
    labels = resolve_interactions(result, interactions)
    cloud = result.fis_cloud
    if in_set_only:
        cloud = cloud[cloud["in_set"].astype(bool)]
    reference = dict(
        zip(result.reference_fis["interaction"], result.reference_fis["fis"], strict=True)
    )
    transform = np.abs if absolute else np.asarray
    rows = []
    for label in labels:
        models = cloud[cloud["interaction"] == label]
        values = transform(models["fis"].to_numpy(dtype=float))
        rows.append(_SwarmRow(label, models, values, float(transform(reference[label]))))
    measure = "|FIS|" if absolute else "FIS"
    hover = [_fis_hover(row, measure, result) for row in rows]
    title = f"{measure} over the sampled Rashomon set (ε = {result.epsilon:.4g})"
    if in_set_only:
        title += ", models inside the set only"
    return _swarm_figure(rows, hover, result, top, measure, title)


def main_effect_swarm_plot(
    result: RashomonResult, groups: str | Iterable[str] | None = None
) -> go.Figure:
    """Main-effect swarm ("model reliance"): each group's main effect over the single-mask models.

    Parameters
    ----------
    result : RashomonResult
        The exploration whose ``main_effect_cloud`` is plotted.
    groups : str or iterable of str, optional
        Groups to show; None shows every searched group.

    Returns
    -------
    plotly.graph_objects.Figure
        One row per group sorted by range (widest on top), dots coloured by the model's loss,
        the reference model's main effect as an orange star.

    Example
    -------
    >>> fig = main_effect_swarm_plot(result, groups=["age", "prior"])  # doctest: +SKIP
    """
    cloud = result.main_effect_cloud
    present = set(cloud["group"])
    available = [g for g in result.group_names if g in present]
    available += [g for g in dict.fromkeys(cloud["group"]) if g not in available]
    chosen = resolve_groups(result, groups, available)
    reference = dict(
        zip(
            result.reference_main_effects["group"],
            result.reference_main_effects["main_effect"],
            strict=True,
        )
    )
    rows = []
    for group in chosen:
        models = cloud[cloud["group"] == group]
        values = models["main_effect"].to_numpy(dtype=float)
        rows.append(_SwarmRow(group, models, values, float(reference.get(group, np.nan))))
    hover = [_main_effect_hover(row, result) for row in rows]
    title = f"Main effect over the sampled Rashomon set (ε = {result.epsilon:.4g})"
    return _swarm_figure(rows, hover, result, None, "main effect", title)


def _check_top(top: int | None) -> int | None:
    if top is None:
        return None
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        raise ParameterError(f"top must be a positive integer or None; got {top!r}")
    return int(top)


def _swarm_figure(
    rows: list[_SwarmRow],
    hover: list[list[str]],
    result: RashomonResult,
    top: int | None,
    measure: str,
    title: str,
) -> go.Figure:
    # Stable sort ascending: row 0 is drawn at the bottom, so the widest range lands on top.
    ranking = sorted(range(len(rows)), key=lambda i: rows[i].value_range)
    if top is not None:
        ranking = ranking[-top:]
    shown = [rows[i] for i in ranking]
    shown_hover = [hover[i] for i in ranking]

    x = _stack([row.values for row in shown])
    # (points,) over all shown rows, bottom row first
    finite = x[np.isfinite(x)]
    span = float(finite.max() - finite.min()) if finite.size else 0.0
    min_gap = span * _GAP_FRACTION if span > 0 else 1.0
    y = _stack(
        [
            position + beeswarm_offsets(row.values, _ROW_HALF_WIDTH, min_gap=min_gap)
            for position, row in enumerate(shown)
        ]
    )
    loss = _stack([row.models["loss"].to_numpy(dtype=float) for row in shown])
    text = [line for row_hover in shown_hover for line in row_hover]
    ceiling = result.reference_loss + result.epsilon
    floor = float(np.nanmin(loss)) if np.isfinite(loss).any() else result.reference_loss
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers",
            name="sampled models",
            marker={
                "color": loss,
                "colorscale": LOSS_COLOURSCALE,
                "cmin": min(floor, ceiling),
                "cmax": ceiling,
                "size": 6,
                "colorbar": {"title": {"text": "loss of the sampled model", "side": "right"}},
            },
            text=text,
            hovertemplate="%{text}<extra></extra>",
            customdata=_stack([row.models["model_id"].to_numpy() for row in shown]),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[row.reference for row in shown],
            y=list(range(len(shown))),
            mode="markers",
            name="reference model",
            marker={
                "symbol": "star",
                "color": REFERENCE_ORANGE,
                "size": 15,
                "line": {"color": "black", "width": 1},
            },
            text=[
                f"<b>{row.label}</b><br>reference model<br>{measure} = {row.reference:.4g}"
                for row in shown
            ],
            hovertemplate="%{text}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis={"title": measure, "zeroline": True, "zerolinecolor": "#999"},
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(shown))),
            "ticktext": [row.label for row in shown],
            "range": [-0.6, len(shown) - 0.4],
            "showgrid": False,
        },
        template="plotly_white",
        legend={"orientation": "h", "y": -0.12},
        height=max(320, 140 + 56 * len(shown)),
        width=900,
    )
    return fig


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0)


def _fis_hover(row: _SwarmRow, measure: str, result: RashomonResult) -> list[str]:
    models = row.models
    return [
        f"<b>{row.label}</b><br>model {model_id}, split {split}, signs {signs}<br>"
        f"{measure} = {value:.4g}<br>"
        f"loss = {loss:.4g} (L* + {increase / result.epsilon:.2f} ε)<br>"
        f"{'inside' if bool(in_set) else 'outside'} the Rashomon set"
        for model_id, split, signs, value, loss, increase, in_set in zip(
            models["model_id"],
            models["split"],
            models["signs"],
            row.values,
            models["loss"],
            models["loss_increase"],
            models["in_set"],
            strict=True,
        )
    ]


def _main_effect_hover(row: _SwarmRow, result: RashomonResult) -> list[str]:
    models = row.models
    return [
        f"<b>{row.label}</b><br>model {model_id}, direction {direction}, t = {t:.2f}<br>"
        f"mask = {mask:.4f}<br>main effect = {value:.4g}<br>"
        f"loss = {loss:.4g} (L* + {increase / result.epsilon:.2f} ε)<br>"
        f"{'inside' if bool(in_set) else 'outside'} the Rashomon set"
        for model_id, direction, t, mask, value, loss, increase, in_set in zip(
            models["model_id"],
            models["direction"],
            models["t"],
            models["mask"],
            row.values,
            models["loss"],
            models["loss_increase"],
            models["in_set"],
            strict=True,
        )
    ]
