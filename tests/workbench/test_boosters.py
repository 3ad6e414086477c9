"""xgboost and lightgbm models through the ModelAdapter, and their native files (no code run):
a file predicts as the model it was saved from; a file that does not fit the data, a wrong file
and an unsupported model are one-line errors."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
import torch

lightgbm = pytest.importorskip("lightgbm")
xgboost = pytest.importorskip("xgboost")

from workbench.errors import DataError, ModelError  # noqa: E402
from workbench.models import load_model_file, wrap_model  # noqa: E402

FEATURES = ["a", "b", "c"]


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    data = pd.DataFrame(rng.normal(size=(300, 3)).astype(np.float32), columns=FEATURES)
    data["y"] = (data["a"] * data["b"] + 0.3 * rng.normal(size=300) > 0).astype(int)
    data["value"] = data["a"] * data["b"] + data["c"]
    data["class3"] = np.digitize(data["a"] + data["c"], [-0.5, 0.5])
    return data


def _fitted(kind: str, frame):
    """A small model of each kind (library, task), fitted on named columns."""
    X = frame[FEATURES]
    small = {"n_estimators": 8, "max_depth": 3}
    models = {
        "xgb-binary": lambda: xgboost.XGBClassifier(**small).fit(X, frame["y"]),
        "xgb-3class": lambda: xgboost.XGBClassifier(**small).fit(X, frame["class3"]),
        "xgb-regression": lambda: xgboost.XGBRegressor(**small).fit(X, frame["value"]),
        "lgb-binary": lambda: lightgbm.LGBMClassifier(**small, verbose=-1).fit(X, frame["y"]),
        "lgb-3class": lambda: lightgbm.LGBMClassifier(**small, verbose=-1).fit(X, frame["class3"]),
        "lgb-regression": lambda: lightgbm.LGBMRegressor(**small, verbose=-1).fit(
            X, frame["value"]
        ),
    }
    return models[kind]()


def _booster(model):
    return model.get_booster() if hasattr(model, "get_booster") else model.booster_


@pytest.mark.parametrize(
    "kind", ["xgb-binary", "xgb-3class", "xgb-regression", "lgb-binary", "lgb-3class"]
)
def test_a_native_file_predicts_as_the_model_it_was_saved_from(kind, frame, tmp_path):
    model = _fitted(kind, frame)
    suffixes = (".json", ".ubj") if kind.startswith("xgb") else (".txt",)
    rows = frame[FEATURES].to_numpy()[:50]
    in_memory = wrap_model(model, device="cpu")
    booster = wrap_model(_booster(model), device="cpu")
    for suffix in suffixes:
        path = tmp_path / f"model{suffix}"
        _booster(model).save_model(str(path))
        loaded = load_model_file(path, device="cpu", feature_names=FEATURES)
        assert (loaded.task, loaded.n_classes) == (in_memory.task, in_memory.n_classes)
        assert loaded.output_kind == in_memory.output_kind
        torch.testing.assert_close(loaded.predict(rows), in_memory.predict(rows))
        # same trees, same cache key: a result computed on the Booster is found for the file
        assert loaded.fingerprint() == booster.fingerprint()
    expected = model.predict_proba(rows) if in_memory.task == "classification" else None
    if expected is not None:
        column = expected[:, 1] if expected.shape[1] == 2 else expected
        np.testing.assert_allclose(in_memory.predict(rows).numpy(), column, rtol=1e-5)


def test_a_regression_booster_predicts_its_values(frame):
    model = _fitted("lgb-regression", frame)
    adapter = wrap_model(model.booster_, device="cpu")
    rows = frame[FEATURES].to_numpy()[:20]
    assert (adapter.task, adapter.output_kind, adapter.loss.name) == ("regression", "value", "mse")
    np.testing.assert_allclose(adapter.predict(rows).numpy(), model.predict(rows), rtol=1e-5)


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (["a", "b", "d"], "missing from the data: c; not used by the model: d"),
        (["a", "b"], "missing from the data: c"),
        (["b", "a", "c"], "in the order a, b, c"),
    ],
)
@pytest.mark.parametrize("library", ["xgb", "lgb"])
def test_a_file_whose_features_are_not_the_data_is_one_line(
    library, columns, message, frame, tmp_path
):
    path = tmp_path / ("model.json" if library == "xgb" else "model.txt")
    _booster(_fitted(f"{library}-binary", frame)).save_model(str(path))
    with pytest.raises(DataError, match=message) as caught:
        load_model_file(path, device="cpu", feature_names=columns)
    assert "\n" not in str(caught.value) and path.name in str(caught.value)


def test_a_file_trained_on_a_bare_array_is_checked_by_its_width(frame, tmp_path):
    path = tmp_path / "model.txt"
    model = lightgbm.LGBMClassifier(n_estimators=3, verbose=-1)
    model.fit(frame[FEATURES].to_numpy(), frame["y"])  # names become Column_0...
    model.booster_.save_model(str(path))
    assert load_model_file(path, device="cpu", feature_names=["p", "q", "r"]).n_features == 3
    with pytest.raises(DataError, match="trained on 3 features, the data has 4"):
        load_model_file(path, device="cpu", feature_names=["p", "q", "r", "s"])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("model.json", '{"not": "a model"}', "could not load model.json as an xgboost model"),
        ("model.txt", "tree\nnothing here\n", "could not load model.txt as a lightgbm"),
        ("model.ubj", "", "could not load model.ubj as an xgboost model"),
    ],
)
def test_a_wrong_file_is_one_line(name, content, message, tmp_path):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ModelError, match=message) as caught:
        load_model_file(path, device="cpu")
    assert "\n" not in str(caught.value) and "Stack trace" not in str(caught.value)


def test_an_unsupported_objective_and_model_are_one_line(frame):
    hinge = xgboost.XGBClassifier(n_estimators=2, objective="binary:hinge")
    hinge.fit(frame[FEATURES], frame["y"])
    with pytest.raises(ModelError, match="objective 'binary:hinge'"):
        wrap_model(hinge.get_booster(), device="cpu")
    with pytest.raises(ModelError, match="xgboost or lightgbm model"):
        wrap_model(object(), device="cpu")


def test_a_missing_library_says_how_to_install_it(frame, tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    _booster(_fitted("xgb-binary", frame)).save_model(str(path))
    monkeypatch.setitem(sys.modules, "xgboost", None)  # import xgboost now raises ImportError
    with pytest.raises(ModelError, match=r"needs xgboost: pip install 'interaction-workbench"):
        load_model_file(path, device="cpu")


def test_a_booster_task_given_against_its_objective_is_refused(frame):
    booster = _booster(_fitted("xgb-regression", frame))
    with pytest.raises(Exception, match="objective is a regression one; use task='regression'"):
        wrap_model(booster, task="classification", device="cpu")
