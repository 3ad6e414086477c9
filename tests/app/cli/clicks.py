"""A small click table with a planted colour × size interaction, shared by the CTR commands'
tests (DeepCTR models saved for the commands: ``tests.deepctr_planted``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def write_clicks_csv(path: Path, n_rows: int) -> Path:
    """``n_rows`` seeded rows: clicks are likely for red × L only (a planted pair)."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n_rows),
            "size": rng.choice(["S", "M", "L", "XL"], n_rows),
            "shape": rng.choice(["round", "square"], n_rows),
        }
    )
    logit = 2.0 * (frame["colour"] == "red") * (frame["size"] == "L") - 1
    frame["clicked"] = np.where(rng.random(n_rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame.to_csv(path, index=False)
    return path
