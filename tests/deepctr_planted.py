"""DeepCTR-Torch models that learned a planted field interaction, shared by the DeepCTR tests.

A model trained one epoch on 300 rows learns nearly nothing (interactions ~1e-10, ablation
effects 0), so equality across paths would hold on numbers that mean nothing. These models are
trained for a few seconds on a seeded click table whose clicks depend on f0 × f1 only through
their product (plus an additive f2 and a noise field f3): a model that learned the data ranks
f0 × f1 first. Each model is trained once per test session (``functools.cache``).

Callers skip when deepctr-torch is missing (a plain import of ``deepctr_torch`` starts its
network version check; ``workbench.deepctr.import_deepctr`` does not).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
import torch

from workbench.zoo.ctr_data import fields_from_frame, synthetic_ctr

PLANTED_PAIR = "f0 × f1"
PLANTED_ROWS = 1500
TARGET = "click"
# Four small fields: exact SII has 16 coalitions, and every level is drawn in 1500 rows, so the
# table written as a CSV codes back to the same columns (labels "f0=0".."f0=3" sort as codes).
_TABLE = {"n_fields": 4, "vocab_sizes": (4, 4, 4, 4), "triples": (), "main_fields": (2,)}
_TRAINING = {"epochs": 4, "batch_size": 128, "learning_rate": 0.03, "embedding_dim": 4}

# What each shared model is built with (the factory kwargs of ``workbench.deepctr:build``).
# AutoInt: one attention layer and no DNN, so the pair can only be learnt by the attention layer.
# FiBiNET: reduction_ratio 1 keeps a SENET hidden unit per field (with 4 fields the default
# gives one bias-free ReLU unit, which dies), and embeddings start at std 0.5 instead of 1e-4,
# where the SENET product path gets no gradient and zero-ablating its gate changes nothing.
MODEL_KWARGS = {
    "AutoInt": {"att_layer_num": 1, "att_head_num": 2, "dnn_hidden_units": []},
    "FiBiNET": {
        "bilinear_type": "all",
        "dnn_hidden_units": [16],
        "reduction_ratio": 1,
        "init_std": 0.5,
    },
    # AFM at DeepCTR's init (std 1e-4) gives every pair the same attention; std 0.5 lets the
    # attention over pairs learn which pair carries the clicks.
    "AFM": {"init_std": 0.5},
}


def factory_kwargs(name: str) -> dict:
    """``--factory-kwargs`` that rebuild the shared model ``name`` from its state_dict."""
    return {
        "name": name,
        "embedding_dim": _TRAINING["embedding_dim"],
        "model_kwargs": MODEL_KWARGS[name],
    }


@cache
def planted_clicks():
    """(table with level labels, its coded data set, what was planted); the data set is what
    ``fields_from_frame`` (``add-data --coding fields``, ``--data x.csv``) makes of the table."""
    data, planted = synthetic_ctr(n_rows=PLANTED_ROWS, seed=0, pair_strength=2.0, **_TABLE)
    frame = pd.DataFrame(
        {f: [data.code_levels[f][int(c)] for c in data.X[:, j]] for j, f in
         enumerate(data.feature_names)}
    )  # fmt: skip
    frame[TARGET] = [data.target_classes[int(v)] for v in data.y]
    coded = fields_from_frame(frame, TARGET)
    assert torch.equal(coded.X, data.X) and torch.equal(coded.y, data.y)
    return frame, coded, planted


def write_planted_csv(path: Path) -> Path:
    planted_clicks()[0].to_csv(path, index=False)
    return path


def saved_planted(name: str, folder: Path) -> tuple[Path, Path]:
    """(CSV of the planted table, state_dict of the shared model ``name``) written to ``folder``,
    as a user hands them to ``--data`` and ``--weights`` with ``factory_kwargs(name)``; the
    calling test is skipped without deepctr-torch."""
    if importlib.util.find_spec("deepctr_torch") is None:
        pytest.skip("deepctr-torch is not installed")
    torch.save(planted_model(name).state_dict(), folder / f"{name.lower()}.pt")
    return write_planted_csv(folder / "clicks.csv"), folder / f"{name.lower()}.pt"


@cache
def planted_model(name: str) -> torch.nn.Module:
    """DeepCTR's ``name`` trained on ``planted_clicks`` (a few seconds on one CPU core)."""
    from workbench.deepctr import train_deepctr

    data = planted_clicks()[1]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # batches of 128 rows of a tiny model: threads only add overhead
    try:
        return train_deepctr(name, data, model_kwargs=MODEL_KWARGS[name], **_TRAINING)
    finally:
        torch.set_num_threads(threads)
