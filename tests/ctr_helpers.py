"""Trained zoo models shared by the zoo and gate tests (trained once per test session)."""

from __future__ import annotations

from functools import cache, lru_cache

import torch

from workbench.zoo import build_model
from workbench.zoo.ctr_data import synthetic_ctr
from workbench.zoo.training import TrainedModel, TrainingConfig, evaluate_ctr_model, train_ctr_model

SYNTHETIC_ROWS = 12_000


@lru_cache(maxsize=1)
def synthetic_split():
    data, planted = synthetic_ctr(n_rows=SYNTHETIC_ROWS, n_fields=8, seed=0)
    train, test = data.train_test_split(0.2, seed=0, stratify=True)
    return train, test, planted


@cache
def trained_on_synthetic(name: str, config: tuple = ()) -> TrainedModel:
    train, test, _ = synthetic_split()
    torch.manual_seed(0)
    model = build_model(name, train, **dict(config))
    metrics = train_ctr_model(model, train, TrainingConfig(max_epochs=15, patience=2))
    scores = evaluate_ctr_model(model, test)
    return TrainedModel(name, model, train, test, {"test_auc": scores["auc"], **metrics})
