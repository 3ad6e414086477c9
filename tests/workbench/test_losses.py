"""Regrouped losses (basis · summed label statistics) equal the plain per-row losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import log_loss, mean_squared_error

from workbench.errors import DataError, ParameterError
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


@pytest.mark.parametrize(
    ("y", "n_classes", "message"),
    [
        ([1.0, 2.0, 2.0, 1.0], 2, "coded 1, 2; log_loss needs 0/1"),
        ([-1.0, 1.0, 1.0, -1.0], 2, "coded -1, 1; log_loss needs 0/1"),
        ([0.3, 1.7, 2.2, 0.0], 2, "continuous values .* task='regression'"),
        ([0.0, 1.0, 2.0, 1.0], 2, "labels 0, 1, 2 but the model is binary"),
        ([0.0, 1.0, 3.0, 1.0], 3, "labels 0, 1, 3 but the model predicts 3 classes"),
        ([0.0, float("nan"), 1.0, 1.0], 2, "NaN"),
    ],
)
def test_labels_that_do_not_fit_the_loss_are_one_line_errors(y, n_classes, message):
    loss = resolve_loss(None, task="classification", output_kind="logit", n_classes=n_classes)
    with pytest.raises(DataError, match=message) as excinfo:
        loss.label_stats(torch.tensor(y))
    assert "\n" not in str(excinfo.value) and str(excinfo.value).startswith("y (the target)")


def test_fitting_labels_pass():
    binary = resolve_loss(None, task="classification", output_kind="probability")
    assert binary.label_stats(torch.tensor([0.0, 1.0, 1.0])).shape == (3, 2)
    three = resolve_loss(None, task="classification", output_kind="logit", n_classes=3)
    assert three.label_stats(torch.tensor([0.0, 2.0, 1.0])).shape == (3, 3)
    mse = resolve_loss(None, task="regression", output_kind="value")
    assert mse.label_stats(torch.tensor([0.3, -7.0])).shape == (2, 3)


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (lambda y, p: (y - p) ** 2 * float("nan"), "NaN or infinite values for 3 of 3 rows"),
        (lambda y, p: ((y - p) ** 2).sum(), r"returned shape \(\) for labels of shape \(3,\)"),
    ],
)
def test_a_callable_loss_must_return_one_finite_loss_per_row(function, message):
    loss = resolve_loss(function, task="regression", output_kind="value")
    with pytest.raises(ParameterError, match=f"loss: .*{message}") as excinfo:
        loss.per_row(torch.tensor([0.1, 0.2, 0.3]), torch.tensor([0.0, 1.0, 0.0]))
    assert "\n" not in str(excinfo.value)
