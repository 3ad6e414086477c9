"""Place one interaction's joint models in halo space (units of ε) and describe them on hover.

Shared by the 2-D and 3-D halo. G2 geometry (fisc.md 3.1): a joint model sits at
(L - L*)/ε · unit(share_1, ..., share_k) · (sign_1, ..., sign_k), so a pair that does not interact
in the loss lies on the circle of radius r for the ring drawn at r·ε.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
    return f"loss increase along {group} (× ε)"
