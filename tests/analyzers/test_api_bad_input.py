"""Bad input to the Python API: a one-line error of the workbench's types that names the argument,
raised at the entry instead of an AttributeError, TypeError or RuntimeError from deep inside
torch, numpy or einsum (issue 18), or a NaN blamed on the wrong argument."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from analyzers.compare import compare_models
from analyzers.gates import analyze_gates
from analyzers.interactions import score_interactions
from analyzers.rashomon import explore_rashomon
from workbench.data import Dataset
from workbench.errors import DataError, ParameterError
from workbench.models import wrap_model
from workbench.zoo import build_model
from workbench.zoo.ctr_data import synthetic_ctr


class Linear(torch.nn.Module):
    """A one-output regression module, to pair with callable losses."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).squeeze(-1)


def loss_that_raises(y_true, y_pred):
    raise KeyError("no such column")


@pytest.fixture(scope="module")
def case():
    """Small inputs every case draws on."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(60, 3)).astype(float)
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y)
    data = Dataset.from_frame(frame, target="y")
    estimator = LogisticRegression().fit(X, y)
    model = wrap_model(estimator, task="classification")
    y3 = rng.integers(0, 3, len(y))
    three_class = wrap_model(LogisticRegression().fit(X, y3), task="classification")
    coded_1_to_3 = Dataset.from_frame(frame.assign(y=y3 + 1), target="y")
    other = data.subset(np.arange(30))
    fields = synthetic_ctr(n_rows=80, n_fields=4, pairs=((0, 1),), triples=(), main_fields=(2,))
    ctr_data = fields[0]
    ctr_model = build_model("finalmlp", ctr_data, embedding_dim=4)
    X_codes = ctr_data.X.clone()
    X_codes[3, 1] += 0.5
    fractional = Dataset.from_arrays(
        X_codes.numpy(), ctr_data.y.numpy(), feature_names=list(ctr_data.feature_names)
    )
    background = X[:10].copy()
    background[2, 1] = np.nan
    return {
        "frame": frame,
        "data": data,
        "estimator": estimator,
        "model": model,
        "three_class": three_class,
        "coded_1_to_3": coded_1_to_3,
        "other_rashomon": explore_rashomon(model, other, approximator="exact"),
        "ctr_model": ctr_model,
        "fractional": fractional,
        "background": background,
    }


def _explore(c, **options):
    return explore_rashomon(c["model"], c["data"], approximator="exact", **options)


CASES = {
    "fitted sklearn model": (
        lambda c: explore_rashomon(c["estimator"], c["data"]),
        ParameterError,
        "model: expected a wrapped model",
    ),
    "DataFrame as dataset": (
        lambda c: explore_rashomon(c["model"], c["frame"]),
        ParameterError,
        "dataset: expected a workbench Dataset",
    ),
    "epsilon_rate as text": (
        lambda c: _explore(c, epsilon_rate="0.1"),
        ParameterError,
        "epsilon_rate",
    ),
    "epsilon negative": (lambda c: _explore(c, epsilon=-1.0), ParameterError, "epsilon"),
    "random_state as text": (
        lambda c: _explore(c, random_state="x"),
        ParameterError,
        "random_state",
    ),
    "random_state negative": (
        lambda c: _explore(c, random_state=-1),
        ParameterError,
        "random_state",
    ),
    "labels 1..3 for a 3-class model": (
        lambda c: explore_rashomon(c["three_class"], c["coded_1_to_3"]),
        DataError,
        "y (the target) has labels 1, 2, 3",
    ),
    "callable loss of the wrong shape": (
        lambda c: explore_rashomon(
            wrap_model(Linear(), task="regression", loss=lambda t, p: (t - p).mean()), c["data"]
        ),
        ParameterError,
        "loss: the callable",
    ),
    "callable loss that raises": (
        lambda c: explore_rashomon(
            wrap_model(Linear(), task="regression", loss=loss_that_raises), c["data"]
        ),
        ParameterError,
        "loss: the callable 'loss_that_raises' raised KeyError",
    ),
    "compare with a FISC result of other data": (
        lambda c: compare_models(
            {"a": c["model"], "b": c["model"]},
            c["data"],
            index="fis",
            rashomon={"a": c["other_rashomon"]},
        ),
        ParameterError,
        "rashomon['a']: computed on another data set",
    ),
    "gates with fractional codes": (
        lambda c: analyze_gates(c["ctr_model"], c["fractional"], n_bootstrap=10),
        DataError,
        "code 1.5 is not a whole number",
    ),
    "NaN in background": (
        lambda c: score_interactions(c["model"], c["data"], background=c["background"], rows=5),
        ParameterError,
        "background: NaN or infinite value at row 2, column 'b'",
    ),
}


@pytest.mark.parametrize(("call", "error", "message"), list(CASES.values()), ids=list(CASES))
def test_bad_input_is_one_line_naming_the_argument(case, call, error, message):
    with pytest.raises(error) as raised:
        call(case)
    text = str(raised.value)
    assert message in text and "\n" not in text
    assert raised.value.__suppress_context__ or raised.value.__context__ is None


def test_the_old_seed_name_is_checked_too(case):
    with pytest.warns(FutureWarning, match="renamed"), pytest.raises(ParameterError) as raised:
        explore_rashomon(case["model"], case["data"], seed="x")
    assert "random_state" in str(raised.value)
