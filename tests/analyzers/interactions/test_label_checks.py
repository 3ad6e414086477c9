"""Labels that do not fit the loss or the model stop every analysis with one line, not a
finite but meaningless result."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from analyzers.interactions import score_interactions
from analyzers.rashomon import explore_rashomon
from workbench import Dataset, wrap_model
from workbench.errors import WorkbenchError


def regression_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))


def data_with(y, rows: int = 64) -> Dataset:
    X = np.random.default_rng(0).choice([-1.0, 0.0, 1.0], size=(rows, 3))
    return Dataset.from_arrays(X, np.resize(np.asarray(y, dtype=float), rows))


def continuous_data() -> Dataset:
    X = np.random.default_rng(0).choice([-1.0, 0.0, 1.0], size=(64, 3))
    return Dataset.from_arrays(X, X[:, 0] * 2.5 + X[:, 1] * X[:, 2] + 0.37)


def fails_with(call, message: str) -> None:
    with pytest.raises(WorkbenchError, match=message) as excinfo:
        call()
    assert "\n" not in str(excinfo.value)


def test_a_regression_module_wrapped_without_task_never_runs_under_log_loss():
    data = continuous_data()
    unlabelled = wrap_model(regression_net(), device="cpu")  # one output: classification
    fails_with(
        lambda: explore_rashomon(unlabelled, data, approximator="exact"),
        "continuous values .* task='regression'",
    )
    fails_with(lambda: score_interactions(unlabelled, data, "fis"), "task='regression'")
    # Given the labels (or the data set, as score_interactions does), task="auto" picks MSE.
    labelled = wrap_model(regression_net(), y=data.y, device="cpu")
    assert labelled.loss.name == "mse"
    assert score_interactions(labelled, data, "fis").settings is not None
    assert score_interactions(regression_net(), data, "fis").model_names == ("model",)


@pytest.mark.parametrize(
    ("y", "message"),
    [
        ([1, 2], "coded 1, 2; log_loss needs 0/1"),
        ([-1, 1], "coded -1, 1; log_loss needs 0/1"),
        ([0, 1, 2], "labels 0, 1, 2 but the model is binary"),
    ],
)
def test_labels_that_do_not_fit_a_binary_model_stop_every_loss_analysis(y, message):
    data = data_with(y)
    adapter = wrap_model(regression_net(), "classification", device="cpu")
    fails_with(lambda: score_interactions(adapter, data, "fis"), message)
    fails_with(lambda: explore_rashomon(adapter, data, approximator="exact"), message)


def test_a_callable_loss_returning_nan_or_the_wrong_shape_is_named():
    data = continuous_data()
    nan_loss = wrap_model(
        regression_net(), "regression", loss=lambda y, p: (y - p) * np.nan, device="cpu"
    )
    fails_with(lambda: score_interactions(nan_loss, data, "fis"), "loss: .*NaN or infinite")
    summed = wrap_model(
        regression_net(), "regression", loss=lambda y, p: ((y - p) ** 2).sum(), device="cpu"
    )
    fails_with(lambda: score_interactions(summed, data, "fis"), "loss: .*returned shape")


def test_a_probability_model_above_one_stops_the_game():
    data = data_with([0, 1])
    fails_with(
        lambda: score_interactions(lambda x: 1.0 + x[:, 0] ** 2, data, "sii", background=8),
        r"output='probability'.*outside \[0, 1\]",
    )


def probability_of(x):
    """A fixed binary classifier's P(y=1), as a callable would return it."""
    return 1.0 / (1.0 + np.exp(-(x[:, 0] + x[:, 1] * x[:, 2])))


def test_a_classifier_never_runs_under_a_regression_loss():
    """The reverse of the log-loss label check: MSE must not meet a classifier's output."""
    data = data_with([0, 1])
    # a probability output wrapped as a regressor: the argument to fix is task
    fails_with(
        lambda: wrap_model(probability_of, "regression", output="probability", device="cpu"),
        "task='regression' but output='probability' is a classifier's output",
    )
    # predict_proba's two class columns wrapped as a regressor
    two_columns = wrap_model(
        lambda x: np.stack([1 - probability_of(x), probability_of(x)], axis=1),
        "regression",
        device="cpu",
    )
    fails_with(lambda: score_interactions(two_columns, data, "fis"), "task='classification'")
    # loss="mse" on a classifier, given as task or known from the estimator's type
    fails_with(
        lambda: wrap_model(regression_net(), "classification", loss="mse", device="cpu"),
        "loss='mse' is a regression loss but task='classification'",
    )
    from sklearn.linear_model import LogisticRegression

    classifier = LogisticRegression().fit(data.X.numpy(), data.y.numpy())
    fails_with(lambda: wrap_model(classifier, loss="mse", device="cpu"), "loss='mse'")


def test_mse_on_a_regressor_with_0_1_targets_is_legitimate():
    """A regressor (a linear probability model, say) may be fitted to 0/1 targets: MSE runs."""
    data = data_with([0, 1])
    for adapter in (
        wrap_model(regression_net(), "regression", device="cpu"),
        wrap_model(regression_net(), loss="mse", device="cpu"),  # the named loss says regression
        wrap_model(probability_of, "regression", device="cpu"),  # output="value"
    ):
        assert (adapter.task, adapter.loss.name) == ("regression", "mse")
        result = score_interactions(adapter, data, "fis")
        assert np.isfinite(result.scores["value"]).all()
    # and the forward check still stands: log-loss never meets continuous values
    fails_with(
        lambda: score_interactions(
            wrap_model(regression_net(), "classification", device="cpu"), continuous_data(), "fis"
        ),
        "continuous values",
    )
