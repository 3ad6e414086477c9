"""ModelAdapter: converted scikit-learn models predict like the originals, every model kind
gives float32 outputs of the loss's shape, and every failure is a one-line WorkbenchError."""

import inspect
import os
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    Ridge,
    SGDClassifier,
)
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from workbench.errors import ModelError, ParameterError
from workbench.models import load_model_file, wrap_model

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),  # torch.jit is deprecated
    pytest.mark.filterwarnings("ignore::FutureWarning"),
]


def float32_values(X):
    """X rounded to float32, so that scikit-learn sees exactly the adapter's float32 inputs."""
    return np.asarray(X, dtype=np.float32).astype(np.float64)


def make_data(n_classes, rows=240, features=4, seed=0):
    """Features on different scales and offsets, labels depending on an interaction."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features)) * [1.0, 2.0, 0.5, 2.0] + [0.0, 4.0, -3.0, 1.0]
    X = float32_values(X)
    signal = X[:, 0] + 0.5 * (X[:, 1] - 4.0) * X[:, 2] + rng.normal(scale=1.0, size=rows)
    if n_classes is None:
        return X, 3.0 * signal + 10.0
    edges = np.quantile(signal, np.linspace(0, 1, n_classes + 1)[1:-1])
    return X, np.digitize(signal, edges)


def probabilities(adapter, X):
    outputs = adapter.forward(torch.as_tensor(X, dtype=torch.float32))
    if adapter.output_kind == "probability":
        return outputs.numpy() if outputs.ndim == 2 else np.column_stack([1 - outputs, outputs])
    if outputs.ndim == 1:
        p1 = torch.sigmoid(outputs.double()).numpy()
        return np.column_stack([1 - p1, p1])
    return torch.softmax(outputs.double(), dim=1).numpy()


def mean_loss(adapter, X, y):
    outputs = adapter.forward(torch.as_tensor(X, dtype=torch.float32))
    return adapter.loss.per_row(outputs, torch.as_tensor(y)).mean().item()


def assert_one_line(excinfo):
    message = str(excinfo.value)
    assert message and "\n" not in message, message


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_converted_mlp_classifier_matches_predict_proba(activation, n_classes):
    X, y = make_data(n_classes)
    X = float32_values(StandardScaler().fit_transform(X))
    mlp = MLPClassifier(
        hidden_layer_sizes=(8, 6), activation=activation, max_iter=300, random_state=0
    ).fit(X, y)

    adapter = wrap_model(mlp, device="cpu")

    assert adapter.module is not None and adapter.output_kind == "logit"
    np.testing.assert_allclose(probabilities(adapter, X), mlp.predict_proba(X), rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "estimator",
    [
        LogisticRegression(max_iter=500),
        make_pipeline(StandardScaler(), SGDClassifier(loss="log_loss", random_state=0)),
        make_pipeline(
            StandardScaler(), MLPClassifier(hidden_layer_sizes=(10,), max_iter=300, random_state=0)
        ),
        make_pipeline(MinMaxScaler(clip=True), LogisticRegression(max_iter=500)),
    ],
    ids=["logistic", "sgd_log_loss", "scaler_mlp", "clipped_minmax_logistic"],
)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_converted_classifiers_match_predict_proba(estimator, n_classes):
    X, y = make_data(n_classes)
    fitted = estimator.fit(X, y)
    X_new, _ = make_data(n_classes, rows=100, seed=1)
    X_new[:5] = float32_values(10.0 * X_new[:5])  # outside the fitted range: clipping matters

    adapter = wrap_model(fitted, device="cpu")

    assert adapter.module is not None
    assert adapter.n_classes == n_classes
    np.testing.assert_allclose(
        probabilities(adapter, X_new), fitted.predict_proba(X_new), rtol=0, atol=1e-6
    )


@pytest.mark.parametrize(
    "estimator",
    [
        MLPRegressor(hidden_layer_sizes=(8,), max_iter=300, random_state=0),
        LinearRegression(),
        Ridge(alpha=2.0),
        Lasso(alpha=0.1),
        ElasticNet(alpha=0.1),
        make_pipeline(StandardScaler(), Ridge()),
    ],
    ids=["mlp", "linear", "ridge", "lasso", "elastic_net", "scaler_ridge"],
)
def test_converted_regressors_match_predict(estimator):
    X, y = make_data(None)
    if isinstance(estimator, MLPRegressor):
        X = float32_values(StandardScaler().fit_transform(X))
    fitted = estimator.fit(X, y)

    adapter = wrap_model(fitted, "regression", device="cpu")

    expected = fitted.predict(X)
    assert adapter.module is not None and adapter.output_kind == "value"
    outputs = adapter.forward(torch.as_tensor(X, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


@pytest.mark.parametrize("n_classes", [2, 3])
def test_adapter_loss_equals_sklearn_log_loss(n_classes):
    X, y = make_data(n_classes)
    clf = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    adapter = wrap_model(clf, device="cpu")

    loss = mean_loss(adapter, X, y)

    assert loss == pytest.approx(log_loss(y, clf.predict_proba(X)), rel=1e-6)


def test_adapter_loss_equals_sklearn_mse():
    X, y = make_data(None)
    reg = LinearRegression().fit(X, y)
    adapter = wrap_model(reg, "regression", device="cpu")

    loss = mean_loss(adapter, X, y)

    assert loss == pytest.approx(mean_squared_error(y, reg.predict(X)), rel=1e-5)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_random_forest_runs_on_cpu_and_chunking_is_invisible(n_classes):
    X, y = make_data(n_classes, rows=120)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    expected = forest.predict_proba(X)
    expected = expected[:, 1] if n_classes == 2 else expected
    X_tensor = torch.as_tensor(X, dtype=torch.float32)

    whole = wrap_model(forest, device="cpu", max_rows_per_call=None)
    chunked = wrap_model(forest, device="cpu", max_rows_per_call=7)

    assert whole.module is None and whole.output_kind == "probability"
    np.testing.assert_allclose(whole.forward(X_tensor).numpy(), expected, atol=1e-6)
    assert torch.equal(chunked.forward(X_tensor), whole.forward(X_tensor))
    assert torch.equal(chunked.predict(X), whole.forward(X_tensor))


def test_callable_never_sees_more_than_max_rows_and_output_is_unchanged():
    seen_rows = []

    def score(X):
        seen_rows.append(len(X))
        return 1.0 / (1.0 + np.exp(-X.sum(axis=1)))

    X = torch.randn(50, 3)
    adapter = wrap_model(score, device="cpu", max_rows_per_call=16)

    outputs = adapter.forward(X)

    assert adapter.output_kind == "probability" and adapter.module is None
    assert max(seen_rows) <= 16
    torch.testing.assert_close(outputs, torch.sigmoid(X.sum(dim=1)), atol=1e-6, rtol=0)
    assert wrap_model(score, "regression", device="cpu").output_kind == "value"


def test_torch_module_is_copied_put_in_eval_mode_and_left_alone():
    torch.manual_seed(0)
    user_module = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Dropout(0.5))
    user_module.append(torch.nn.Linear(8, 1))
    X = torch.randn(20, 3)

    adapter = wrap_model(user_module, device="cpu")
    first = adapter.forward(X)
    with torch.no_grad():
        user_module[0].weight.zero_()

    assert user_module.training and adapter.module is not user_module
    assert torch.equal(adapter.forward(X), first)  # dropout off, the user's edit not seen
    assert adapter.n_features == 3 and first.shape == (20,)


def test_forward_returns_float32_on_device_without_autograd_graph():
    adapter = wrap_model(torch.nn.Linear(3, 4), device="cpu", n_classes=4)

    outputs = adapter.forward(torch.randn(6, 3, dtype=torch.float64))

    assert outputs.dtype == torch.float32 and outputs.device == adapter.device
    assert outputs.shape == (6, 4)
    assert not outputs.requires_grad and outputs.grad_fn is None


def test_binary_torch_model_with_two_logit_columns_gives_the_class_one_logit():
    layer = torch.nn.Linear(3, 2)
    X = torch.randn(10, 3)
    adapter = wrap_model(layer, device="cpu")

    p1 = torch.sigmoid(adapter.forward(X))

    torch.testing.assert_close(p1, torch.softmax(layer(X), dim=1)[:, 1].detach())


def test_model_that_raises_gives_one_line_model_error():
    class Broken(torch.nn.Module):
        def forward(self, X):
            raise ValueError("bad input\nsecond line of detail")

    with pytest.raises(ModelError, match="model raised ValueError: bad input") as excinfo:
        wrap_model(Broken(), device="cpu").forward(torch.zeros(2, 3))
    assert_one_line(excinfo)


@pytest.mark.parametrize("kind", ["converted", "forest", "torch"])
def test_wrong_input_width_names_expected_and_given(kind):
    X, y = make_data(2, rows=40)
    model = {
        "converted": lambda: LogisticRegression().fit(X, y),
        "forest": lambda: RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y),
        "torch": lambda: torch.nn.Linear(4, 1),
    }[kind]()
    adapter = wrap_model(model, device="cpu")

    with pytest.raises(ModelError, match="expects 4 features, got X with 5 columns") as excinfo:
        adapter.forward(torch.zeros(3, 5))
    assert_one_line(excinfo)


def test_nan_or_infinite_outputs_raise_model_error():
    def nan_at_row_2(X):
        out = np.full(len(X), 0.5)
        out[2] = np.nan
        return out

    class Overflow(torch.nn.Module):
        def forward(self, X):
            return X.sum(dim=1) / 0.0

    with pytest.raises(ModelError, match=r"NaN or infinite.*row 2") as excinfo:
        wrap_model(nan_at_row_2, device="cpu").forward(torch.zeros(5, 2))
    assert_one_line(excinfo)
    with pytest.raises(ModelError, match="NaN or infinite"):
        wrap_model(Overflow(), "regression", device="cpu").forward(torch.ones(5, 2))


def test_wrong_output_shape_suggests_n_classes():
    adapter = wrap_model(torch.nn.Linear(3, 5), "classification", device="cpu")

    with pytest.raises(ModelError, match="n_classes=5") as excinfo:
        adapter.forward(torch.zeros(4, 3))
    assert_one_line(excinfo)


def test_unfitted_estimator_is_a_model_error():
    with pytest.raises(ModelError, match="model is not fitted") as excinfo:
        wrap_model(LogisticRegression())
    assert_one_line(excinfo)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"device": "gpu7"}, "device"),
        ({"device": "cuda:99"}, "device"),
        ({"task": "ranking"}, "task"),
        ({"output": "score"}, "output"),
        ({"task": "classification", "output": "value"}, "output"),
        ({"n_classes": 1}, "n_classes"),
        ({"max_rows_per_call": 0}, "max_rows_per_call"),
        ({"loss": "hinge"}, "loss"),
    ],
)
def test_bad_arguments_are_parameter_errors(kwargs, match):
    with pytest.raises(ParameterError, match=match) as excinfo:
        wrap_model(torch.nn.Linear(3, 1), **{"device": "cpu", **kwargs})
    assert_one_line(excinfo)


def test_sklearn_model_with_mismatched_task_or_output_is_rejected():
    X, y = make_data(2, rows=40)
    clf = LogisticRegression().fit(X, y)
    with pytest.raises(ParameterError, match="use task='classification'"):
        wrap_model(clf, "regression", device="cpu")
    with pytest.raises(ParameterError, match="output='probability'"):
        wrap_model(clf, output="probability", device="cpu")


def test_fingerprint_identifies_the_fitted_parameters():
    X, y = make_data(3, rows=80)

    def fit():
        return MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, random_state=0).fit(X, y)

    first, second, changed = fit(), fit(), fit()
    changed.coefs_[0][0, 0] += 1e-3

    assert wrap_model(first).fingerprint() == wrap_model(second).fingerprint()
    assert wrap_model(first).fingerprint() != wrap_model(changed).fingerprint()


def test_torch_fingerprint_changes_with_one_weight_or_the_architecture():
    def build(activation):
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(3, 4), activation(), torch.nn.Linear(4, 1))

    module = build(torch.nn.ReLU)
    reference = wrap_model(module, device="cpu").fingerprint()
    with torch.no_grad():
        module[2].bias += 1e-4

    assert wrap_model(build(torch.nn.ReLU), device="cpu").fingerprint() == reference
    assert wrap_model(module, device="cpu").fingerprint() != reference
    assert wrap_model(build(torch.nn.Tanh), device="cpu").fingerprint() != reference


def example_fingerprints():
    """Fingerprints of a seeded torch module and a fitted scikit-learn model (self-contained)."""
    import torch
    from sklearn.linear_model import LogisticRegression

    from workbench.models import wrap_model

    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU())
    clf = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], ["a", "b", "b"])
    return [
        wrap_model(module, device="cpu", n_classes=4).fingerprint(),
        wrap_model(clf, device="cpu").fingerprint(),
    ]


def test_fingerprint_is_stable_across_processes():
    script = inspect.getsource(example_fingerprints) + "\nprint(*example_fingerprints())\n"
    environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=environment
    )

    assert run.stdout.split() == example_fingerprints()


def test_callable_models_and_losses_never_share_a_fingerprint():
    def score(X):
        return X[:, 0]

    def squared(y, prediction):
        return (y - prediction) ** 2

    module = torch.nn.Linear(3, 1)

    assert wrap_model(score).fingerprint() != wrap_model(score).fingerprint()
    assert (
        wrap_model(module, "regression", loss=squared).fingerprint()
        != wrap_model(module, "regression", loss=squared).fingerprint()
    )
    assert wrap_model(module).fingerprint() == wrap_model(module).fingerprint()


def small_network():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))


@pytest.mark.parametrize("how", ["script", "trace"])
def test_torchscript_file_predicts_like_the_module(tmp_path, how):
    module = small_network().eval()
    X = torch.randn(30, 4)
    saved = torch.jit.script(module) if how == "script" else torch.jit.trace(module, X[:2])
    path = tmp_path / ("model.pt" if how == "script" else "model.ts")
    saved.save(str(path))

    adapter = load_model_file(path, device="cpu", n_classes=3)

    assert adapter.n_features == 4
    torch.testing.assert_close(adapter.forward(X), module(X).detach())


def test_exported_file_predicts_like_the_module_for_any_row_count(tmp_path):
    module = small_network().eval()
    dynamic_rows = ({0: torch.export.Dim("rows")},)
    program = torch.export.export(module, (torch.randn(5, 4),), dynamic_shapes=dynamic_rows)
    torch.export.save(program, tmp_path / "model.pt2")

    adapter = load_model_file(tmp_path / "model.pt2", device="cpu", n_classes=3)

    for rows in (1, 17):
        X = torch.randn(rows, 4)
        torch.testing.assert_close(adapter.forward(X), module(X).detach())


def test_exported_file_with_fixed_row_count_is_refused(tmp_path):
    program = torch.export.export(small_network(), (torch.randn(5, 4),))
    torch.export.save(program, tmp_path / "fixed.pt2")

    with pytest.raises(ModelError, match=r"exactly 5 rows.*dynamic_shapes") as excinfo:
        load_model_file(tmp_path / "fixed.pt2", device="cpu")
    assert_one_line(excinfo)


def test_exported_file_knows_its_input_width(tmp_path):
    module = torch.nn.Linear(4, 1)
    dynamic_rows = ({0: torch.export.Dim("rows")},)
    program = torch.export.export(module, (torch.randn(5, 4),), dynamic_shapes=dynamic_rows)
    torch.export.save(program, tmp_path / "model.pt2")

    adapter = load_model_file(tmp_path / "model.pt2", device="cpu")

    assert adapter.n_features == 4
    with pytest.raises(ModelError, match="expects 4 features"):
        adapter.forward(torch.zeros(2, 3))


def test_joblib_file_of_sklearn_model_loads(tmp_path):
    X, y = make_data(2, rows=60)
    clf = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    joblib.dump(clf, tmp_path / "model.joblib")

    adapter = load_model_file(tmp_path / "model.joblib", device="cpu", trust_pickle=True)

    np.testing.assert_allclose(probabilities(adapter, X), clf.predict_proba(X), atol=1e-6)
    assert adapter.fingerprint() == wrap_model(clf, device="cpu").fingerprint()


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("missing.pt", None, "not found"),
        ("model.onnx", b"x", "unknown extension"),
        ("weights.pt", "state_dict", "could not load weights.pt"),
    ],
)
def test_unreadable_model_files_are_model_errors(tmp_path, name, content, match):
    path = tmp_path / name
    if content == "state_dict":
        torch.save(torch.nn.Linear(2, 1).state_dict(), path)
    elif content is not None:
        path.write_bytes(content)

    with pytest.raises(ModelError, match=match) as excinfo:
        load_model_file(path, device="cpu")
    assert_one_line(excinfo)


def one_output_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))


def test_task_auto_reads_a_scikit_learn_model_by_its_type():
    X, y = make_data(2)
    assert wrap_model(LogisticRegression().fit(X, y), device="cpu").task == "classification"
    X, y = make_data(None)
    regressor = wrap_model(Ridge().fit(X, y), y=np.round(y), device="cpu")  # type beats labels
    assert (regressor.task, regressor.loss.name) == ("regression", "mse")


def test_task_auto_gives_a_regression_module_on_continuous_labels_mse():
    _, y = make_data(None)
    adapter = wrap_model(one_output_net(), y=y, device="cpu")
    assert (adapter.task, adapter.loss.name, adapter.output_kind) == ("regression", "mse", "value")
    _, labels = make_data(2)
    adapter = wrap_model(one_output_net(), y=labels, device="cpu")
    assert (adapter.task, adapter.loss.name) == ("classification", "log_loss")


def test_task_auto_without_labels_reads_the_output():
    torch.manual_seed(0)
    three = wrap_model(torch.nn.Linear(4, 3), device="cpu")
    assert (three.task, three.n_classes, three.loss.name) == ("classification", 3, "cross_entropy")
    assert wrap_model(one_output_net(), output="value", device="cpu").loss.name == "mse"
    # One output and nothing else to go by: classification, the common case; a continuous
    # target then stops at the loss's label check (see test_losses).
    assert wrap_model(one_output_net(), device="cpu").task == "classification"


def test_task_auto_probe_leaves_the_callers_module_untouched():
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    net.train()
    before = net[1].running_mean.clone()
    wrap_model(net, device="cpu")
    assert net.training and torch.equal(net[1].running_mean, before)


def test_a_probability_model_returning_values_above_one_is_rejected():
    adapter = wrap_model(lambda x: x[:, 0] * 3.0, "classification", device="cpu")
    with pytest.raises(ModelError, match=r"output='probability'.*outside \[0, 1\]") as excinfo:
        adapter.forward(torch.ones(4, 2))
    assert_one_line(excinfo)
    assert adapter.forward(torch.full((4, 2), 0.25)).max() == pytest.approx(0.75)
