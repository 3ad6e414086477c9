"""The fused forward and the scaled-row shortcut give the plain module's outputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from workbench import wrap_model
from workbench.models import fast_forward
from workbench.models.fast_forward import FastForward

TOLERANCE = 1e-6


@pytest.fixture(autouse=True)
def skip_at_any_thread_count(monkeypatch):
    """The row skip of ``scaled`` is gated by thread count; test it at whatever this runs."""
    monkeypatch.setattr(fast_forward, "SKIP_MAX_THREADS", 1024)


def sparse_data(rows=300, features=10, seed=0):
    """Rows with many zero entries (like one-hot codes) and a few large-valued columns."""
    generator = np.random.default_rng(seed)
    X = generator.normal(size=(rows, features)) * (generator.random((rows, features)) < 0.4)
    X[:, 0] = generator.normal(50.0, 10.0, size=rows)  # a large mean, which scalers centre
    y = (X[:, 1] + X[:, 2] * X[:, 3] > 0).astype(int)
    return X.astype(np.float32), y


def converted_models():
    X, y = sparse_data()
    mlp = dict(hidden_layer_sizes=(16, 8), max_iter=60, random_state=0)
    with warnings.catch_warnings():  # a few iterations are enough to get non-trivial weights
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _fitted(X, y, mlp)


def _fitted(X, y, mlp):
    return {
        "mlp_classifier": MLPClassifier(**mlp).fit(X, y),
        "mlp_regressor": MLPRegressor(**mlp, activation="tanh").fit(X, X[:, 1]),
        "logistic": LogisticRegression(max_iter=300).fit(X, y),
        "standard_pipeline": make_pipeline(StandardScaler(), MLPClassifier(**mlp)).fit(X, y),
        "minmax_clip_pipeline": make_pipeline(MinMaxScaler(clip=True), MLPClassifier(**mlp)).fit(
            X, y
        ),
    }


def user_sequential(features=10):
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(features, 12),
        torch.nn.Sigmoid(),
        torch.nn.Dropout(0.3),
        torch.nn.Linear(12, 12),
        torch.nn.Tanh(),
        torch.nn.Linear(12, 3),
        torch.nn.LogSigmoid(),
    )


def adapters():
    adapters = {
        name: wrap_model(model, task="classification" if "regressor" not in name else "regression")
        for name, model in converted_models().items()
    }
    adapters["user_sequential"] = wrap_model(
        user_sequential(), task="classification", output="logit", n_classes=3
    )
    return adapters


@pytest.fixture(scope="module")
def wrapped():
    return adapters()


@pytest.mark.parametrize("threads", [1, 2])
def test_fused_forward_equals_the_plain_module(wrapped, threads, monkeypatch):
    monkeypatch.setattr(fast_forward, "CPU_CHUNK_ROWS", 64)  # several chunks and a ragged one
    X = torch.from_numpy(sparse_data(rows=300)[0])
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for name, adapter in wrapped.items():
            fast = FastForward(adapter.module, torch.float32)(X)
            assert fast is not None, name
            with torch.no_grad():
                plain = adapter.module(X)
            assert torch.allclose(fast, plain, rtol=0, atol=TOLERANCE), name
    finally:
        torch.set_num_threads(before)


def random_scales(n_variants, features, moved, seed):
    """Scales moving ``moved`` columns per variant (0 = none, None = all) to values that
    include zero and negative ones."""
    generator = torch.Generator().manual_seed(seed)
    scale = torch.ones(n_variants, features)
    values = torch.tensor([0.0, -1.5, 0.25, 3.0, -0.0])
    for v in range(n_variants):
        count = features if moved is None else moved
        columns = torch.randperm(features, generator=generator)[:count]
        picks = torch.randint(0, len(values), (count,), generator=generator)
        scale[v, columns] = values[picks]
    return scale


def default_scaled(adapter, scale, inputs):
    return adapter.forward((scale[:, None, :] * inputs[None]).reshape(-1, inputs.shape[1]))


@pytest.mark.parametrize("skip_threads", [0, 1024])
@pytest.mark.parametrize("moved", [0, 1, 2, None])
def test_forward_scaled_equals_scaling_the_rows(wrapped, moved, skip_threads, monkeypatch):
    monkeypatch.setattr(fast_forward, "SKIP_MAX_THREADS", skip_threads)
    inputs = torch.from_numpy(sparse_data(rows=50, seed=1)[0])
    scale = random_scales(6, inputs.shape[1], moved, seed=moved or 7)
    for name, adapter in wrapped.items():
        got = adapter.forward_scaled(scale, inputs)
        expected = default_scaled(adapter, scale, inputs)
        assert got.shape == expected.shape, name
        assert torch.allclose(got, expected, rtol=1e-5, atol=TOLERANCE), name


def wide_model(features=96):
    torch.manual_seed(1)
    return torch.nn.Sequential(
        torch.nn.Linear(features, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)
    ).eval()


@pytest.mark.parametrize("moved", [1, 2])
def test_wide_first_layer_is_assembled_from_moved_columns_exactly(moved, monkeypatch):
    inputs = torch.from_numpy(sparse_data(rows=40, features=96, seed=2)[0])
    scale = random_scales(5, 96, moved, seed=moved)
    module = wide_model()
    assembled = []
    original = fast_forward._moved_pre_activation
    monkeypatch.setattr(
        fast_forward,
        "_moved_pre_activation",
        lambda *args: assembled.append(1) or original(*args),
    )
    got = FastForward(module, torch.float32).scaled(scale, inputs)
    with torch.no_grad():
        expected = module((scale[:, None] * inputs[None]).reshape(-1, 96))
    assert assembled, "a wide first layer with few moved columns takes the assembled path"
    assert torch.allclose(got, expected, rtol=1e-5, atol=TOLERANCE)


def test_rows_with_unmoved_nonzero_columns_run_once():
    """A one-column scale only re-runs the rows where that column is non-zero."""
    module = wide_model(features=4)
    inputs = torch.tensor(
        [[1.0, 0.0, 2.0, 0.0], [1.0, 3.0, 2.0, 0.0], [0.0, 0.0, 0.0, 5.0], [4.0, 0.0, 0.0, 0.0]]
    )
    scale = torch.ones(2, 4)
    scale[:, 1] = torch.tensor([0.0, -1.0])
    module[0].register_forward_hook(lambda _m, _args, out: out)
    fast = FastForward(module, torch.float32)
    assert fast.scaled(scale, inputs) is None, "hooks must see every row: no fast path"
    module[0]._forward_hooks.clear()
    counted = []
    original = fast._run
    fast._run = lambda steps, x, owned: counted.append(x.shape[0]) or original(steps, x, owned)
    got = fast.scaled(scale, inputs)
    assert counted == [4, 2], "the 4 unscaled rows once, then only row 1 under each variant"
    with torch.no_grad():
        assert torch.allclose(got, module((scale[:, None] * inputs[None]).reshape(-1, 4)))


def test_hooks_training_mode_and_unknown_layers_get_the_plain_module():
    module = wide_model(features=4)
    X = torch.randn(5, 4)
    fast = FastForward(module, torch.float32)
    handle = module[1].register_forward_hook(lambda _m, _i, out: out * 0)
    assert fast(X) is None
    handle.remove()
    assert fast(X) is not None
    module.train()
    assert fast(X) is None
    module.eval()
    module.append(torch.nn.Softplus())
    assert fast(X) is None


def test_autograd_users_still_get_the_real_module(wrapped):
    adapter = wrapped["mlp_classifier"]
    X = torch.from_numpy(sparse_data(rows=8)[0]).requires_grad_(True)
    adapter.module(X).sum().backward()
    assert X.grad is not None and X.grad.abs().sum() > 0
