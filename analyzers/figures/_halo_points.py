"""Place one interaction's joint models in halo space (units of ε) and describe them on hover.

Shared by the 2-D and 3-D halo. G2 geometry (fisc.md 3.1): a joint model sits at
(L - L*)/ε · unit(share_1, ..., share_k) · (sign_1, ..., sign_k), so a pair that does not interact
in the loss lies on the circle of radius r for the ring drawn at r·ε.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analyzers.figures._swarm_text import OUTSIDE_NAME
from workbench.errors import ParameterError

EMPIRICAL_BLUE = (30, 136, 229)  # "#1E88E5", the low end of the swarm colour map
EXPECTED_RED = "#e53935"

_SIGN_VALUES = {"+": 1.0, "-": -1.0, "−": -1.0}


def check_epsilon(epsilon: float) -> None:
    """Halo coordinates divide by ε; a result without a positive ε cannot be drawn."""
    if not np.isfinite(epsilon) or epsilon <= 0:
        raise ParameterError(f"result.epsilon must be > 0 to draw a halo; got {epsilon!r}")


def halo_coordinates(rows: pd.DataFrame, order: int, epsilon: float) -> np.ndarray:
    """Points of the joint models in ε units, one column per group of the interaction."""
    shares = rows[[f"share_{k}" for k in range(1, order + 1)]].to_numpy(dtype=float)
    # (models, order)
    directions = shares / np.linalg.norm(shares, axis=1, keepdims=True)
    signs = np.array([[_SIGN_VALUES[s] for s in pattern] for pattern in rows["signs"]])
    # (models, order)
    radius = rows["loss_increase"].to_numpy(dtype=float) / epsilon
    # (models,)
    return radius[:, None] * directions * signs


def halo_hover_text(
    rows: pd.DataFrame, label: str, groups: tuple[str, ...], epsilon: float
) -> list[str]:
    """One hover line block per joint model: split, signs, masks, loss increase, FIS, set."""
    texts = []
    for row in rows.itertuples(index=False):
        masks = ", ".join(
            f"{group} = {getattr(row, f'mask_{k}'):.4f}" for k, group in enumerate(groups, start=1)
        )
        membership = "inside" if bool(row.in_set) else "outside"
        texts.append(
            f"<b>{label}</b><br>"
            f"split {row.split} ({':'.join(groups)}), radius {row.radius:g} ε<br>"
            f"signs {row.signs}<br>"
            f"masks {masks}<br>"
            f"loss increase = {row.loss_increase / epsilon:.3f} ε<br>"
            f"FIS = {row.fis:.4g}<br>"
            f"{membership} the Rashomon set"
        )
    return texts


def ring_colour(position: int, n_rings: int) -> str:
    """Blue for the outermost ring, mixed with white towards the innermost (lighter inside)."""
    lightness = 0.0 if n_rings == 1 else 0.65 * (n_rings - 1 - position) / (n_rings - 1)
    red, green, blue = (round(c + (255 - c) * lightness) for c in EMPIRICAL_BLUE)
    return f"rgb({red}, {green}, {blue})"


def axis_title(group: str) -> str:
    """A halo axis is not a loss along one group: it is a signed share of (L − L*)/ε."""
    return f"{group} component of (L − L*)/ε (+: mask > 1, −: mask < 1)"


def marker_symbols(rows: pd.DataFrame) -> list[str]:
    """Filled dots for models in the set, open ones for models outside it (L − L* > ε)."""
    return ["circle" if bool(inside) else "circle-open" for inside in rows["in_set"]]


def outside_legend_entry() -> go.Scatter:
    """A legend-only entry naming the open markers: models outside the set."""
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        marker={"symbol": "circle-open", "color": "#616161", "size": 7},
        name=OUTSIDE_NAME,
        hoverinfo="skip",
        meta={"role": "legend"},
    )


def halo_reading(result, groups: tuple[str, ...], dimension: str) -> str:
    """ "How to read this" for a 2-D (``dimension="circle"``) or 3-D ("sphere") halo."""
    loss = result.settings.get("loss", "the model's loss")
    axes = ", ".join(groups)
    return (
        f"Each marker is one joint model of {' × '.join(groups)}: the masks of the groups "
        "scaled together, the ε budget split between them. Its distance from the centre is "
        f"its loss increase (L − L*)/ε, in units of ε = {result.epsilon:.4g} ({loss}); its "
        "direction is the budget split, and the sign of each coordinate is the way that "
        f"group's mask moved (+: scaled up, m > 1; −: scaled down, m < 1) along the axes "
        f"{axes}. So negative coordinates are models with a shrunk input, not a negative "
        f"loss. The dashed red {dimension} of radius r is where the models of a pair that does "
        "not interact in the loss would lie (their single-group loss increases add up to r·ε); "
        f"r = 1 is the Rashomon bound L* + ε. Filled markers are in the set, open ones outside "
        "it (loss > L*+ε). A halo bulging out in some sign quadrants and pinched in others "
        "shows an interaction in the loss; a halo collapsed to a dot means the model does not "
        "respond to input scaling. Lighter rings are inner radii."
    )
