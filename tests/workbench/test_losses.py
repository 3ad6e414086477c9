"""Regrouped losses (basis · summed label statistics) equal the plain per-row losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import log_loss, mean_squared_error

from workbench.errors import ParameterError
from workbench.losses import resolve_loss


@pytest.fixture
def rows():
    generator = torch.Generator().manual_seed(0)
    return torch.randn(200, generator=generator), torch.randint(0, 2, (200,), generator=generator)


def test_log_loss_on_logits_and_probabilities_matches_scikit_learn(rows):
    logits, y = rows
    probability = torch.sigmoid(logits)
    expected = log_loss(y.numpy(), probability.numpy())
    for kind, outputs in (("logit", logits), ("probability", probability)):
        loss = resolve_loss(None, task="classification", output_kind=kind)
        assert loss.per_row(outputs, y).mean().item() == pytest.approx(expected, rel=1e-6)


def test_summed_statistics_give_the_loss_of_all_rows_sharing_an_output(rows):
    _, y = rows
    y = y.to(torch.float64) * 3.0 - 1.0  # a numeric target
    loss = resolve_loss(None, task="regression", output_kind="value")
    output = torch.tensor(0.7, dtype=torch.float64)
    grouped = (loss.basis(output) * loss.label_stats(y).sum(0)).sum()
    expected = mean_squared_error(y.numpy(), np.full(200, 0.7)) * 200
    assert grouped.item() == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_matches_scikit_learn_for_three_classes():
    generator = torch.Generator().manual_seed(1)
    logits = torch.randn(50, 3, generator=generator)
    y = torch.randint(0, 3, (50,), generator=generator)
    loss = resolve_loss(None, task="classification", output_kind="logit", n_classes=3)
    expected = log_loss(y.numpy(), torch.softmax(logits, 1).numpy(), labels=[0, 1, 2])
    assert loss.name == "cross_entropy"
    assert loss.per_row(logits, y).mean().item() == pytest.approx(expected, rel=1e-6)


def test_binary_cross_entropy_request_uses_the_one_column_log_loss():
    loss = resolve_loss("cross_entropy", task="classification", output_kind="logit", n_classes=2)
    assert loss.name == "log_loss"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss": "hinge", "output_kind": "value"}, "loss must be"),
        ({"loss": "log_loss", "output_kind": "value"}, "output='value'"),
        ({"loss": None, "output_kind": "score"}, "output must be"),
    ],
)
def test_bad_loss_settings_are_one_line_errors(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        resolve_loss(task="classification", **kwargs)
