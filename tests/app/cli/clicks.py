"""A small click table with a planted colour × size interaction, and a DeepCTR AFM saved from
it, shared by the CTR commands' tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


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


def saved_afm(csv_path: Path, weights: Path):
    """(data set, model) of a DeepCTR AFM on the CSV's fields, its state_dict saved to
    ``weights``. Its embeddings are redrawn at std 1: DeepCTR starts them at 1e-4, where every
    pair gets the same attention and a wrong reading would not show."""
    if importlib.util.find_spec("deepctr_torch") is None:
        pytest.skip("deepctr-torch is not installed")
    import torch

    from workbench.data.readers import read_table
    from workbench.deepctr import build
    from workbench.zoo.ctr_data import fields_from_frame

    data = fields_from_frame(read_table(csv_path, pd.read_csv), "clicked")
    afm = build(data, "AFM")
    with torch.no_grad():
        for table in afm.embedding_dict.values():
            table.weight.normal_(generator=torch.Generator().manual_seed(0))
    torch.save(afm.state_dict(), weights)
    return data, afm
