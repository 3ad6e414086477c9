"""Trained sample models cached on disk, so a workspace's second start does not retrain them.

A cached model is two files named by its key: ``<key>.npz`` holds every numeric array of the
fitted estimator and ``<key>.json`` the rest of its state as plain JSON.

Why this format is safe to read: nothing in it is unpickled. The arrays are read with
``np.load(allow_pickle=False)``, which accepts only raw numeric buffers; the JSON holds numbers,
strings, lists and dicts; and the only objects rebuilt are instances of the scikit-learn classes in
``_CLASSES`` (the sample models and their parts), whose state is set from that plain data. A file
naming any other class is refused. So a planted cache file can at worst give a wrong model, never
run code, unlike the joblib/pickle files of ``load_model_file``.

The key is the data fingerprint, the sample model and its split, the scikit-learn version and a
digest of the code that trains it: a change to any of them trains afresh.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import numpy as np

_LAYOUT = 1
#: attributes a fitted estimator keeps for further training, not for predicting: not stored
_TRAINING_ONLY = frozenset({"_rng", "_random_state", "_optimizer", "_loss", "_best_coefs"})
_TRAINING_ONLY |= {"_best_intercepts", "loss_curve_", "validation_scores_", "train_score_"}


def _classes() -> dict[str, type]:
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.tree import DecisionTreeRegressor

    classes = [DummyClassifier, DummyRegressor, GradientBoostingClassifier]
    classes += [GradientBoostingRegressor, LogisticRegression, Ridge, MLPClassifier]
    classes += [MLPRegressor, LabelBinarizer, DecisionTreeRegressor]
    return {cls.__name__: cls for cls in classes}


def cache_key(name: str, dataset, task: str, test_size: float, seed: int) -> str:
    """sha256 hex of everything a trained sample model depends on."""
    import sklearn

    from workbench.code_digest import code_version

    parts = [_LAYOUT, name, task, test_size, seed, dataset.fingerprint(), sklearn.__version__]
    parts.append(code_version("workbench.samples", "workbench.sample_cache"))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def load_estimator(folder: Path, key: str) -> Any | None:
    """The cached estimator of ``key``, or None when there is none (or it cannot be read)."""
    document, arrays = folder / f"{key}.json", folder / f"{key}.npz"
    if not (document.is_file() and arrays.is_file()):
        return None
    try:
        with np.load(arrays, allow_pickle=False) as stored:
            return _decode(json.loads(document.read_text()), dict(stored), _classes())
    except (OSError, ValueError, KeyError, TypeError):
        return None  # a damaged entry is retrained and overwritten


def save_estimator(folder: Path, key: str, estimator: Any) -> None:
    """Write the estimator's state under ``key``; the JSON, written last, marks it complete."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    document = _encode(estimator, arrays, _classes())
    token = uuid.uuid4().hex
    partial_arrays = folder / f".{key}.{token}.npz"
    np.savez(partial_arrays, **arrays)
    os.replace(partial_arrays, folder / f"{key}.npz")
    partial_document = folder / f".{key}.{token}.json"
    partial_document.write_text(json.dumps(document))
    os.replace(partial_document, folder / f"{key}.json")


def _encode(value: Any, arrays: dict[str, np.ndarray], classes: dict[str, type]) -> Any:
    from sklearn.tree._tree import Tree

    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.random.RandomState):
        return None  # the trees' training randomness: prediction never draws from it
    if isinstance(value, np.generic):
        return {"scalar": value.dtype.str, "value": value.item()}
    if isinstance(value, np.ndarray) and value.dtype != object:
        name = f"a{len(arrays)}"
        arrays[name] = value
        return {"array": name}
    if isinstance(value, np.ndarray):
        items = [_encode(item, arrays, classes) for item in value.ravel()]
        return {"objects": list(value.shape), "items": items}
    if isinstance(value, list | tuple):
        return {type(value).__name__: [_encode(item, arrays, classes) for item in value]}
    if isinstance(value, dict):
        return {"dict": {str(k): _encode(v, arrays, classes) for k, v in value.items()}}
    if isinstance(value, Tree):
        n_features, n_classes, n_outputs = value.__reduce__()[1]
        shape = [n_features, _encode(n_classes, arrays, classes), n_outputs]
        return {"tree": shape, "state": _encode(value.__getstate__(), arrays, classes)}
    if classes.get(type(value).__name__) is type(value):
        state = {k: v for k, v in vars(value).items() if k not in _TRAINING_ONLY}
        return {"object": type(value).__name__, "state": _encode(state, arrays, classes)}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(value: Any, arrays: dict[str, np.ndarray], classes: dict[str, type]) -> Any:
    from sklearn.tree._tree import Tree

    if not isinstance(value, dict):
        return value
    if "array" in value:
        return arrays[value["array"]]
    if "scalar" in value:
        return np.dtype(value["scalar"]).type(value["value"])
    if "objects" in value:
        items = [_decode(item, arrays, classes) for item in value["items"]]
        table = np.empty(len(items), dtype=object)
        table[:] = items
        return table.reshape(value["objects"])
    if "list" in value or "tuple" in value:
        items = [_decode(item, arrays, classes) for item in value.get("list", value.get("tuple"))]
        return items if "list" in value else tuple(items)
    if "dict" in value:
        return {k: _decode(v, arrays, classes) for k, v in value["dict"].items()}
    if "tree" in value:
        n_features, n_classes, n_outputs = value["tree"]
        tree = Tree(int(n_features), _decode(n_classes, arrays, classes), int(n_outputs))
        tree.__setstate__(_decode(value["state"], arrays, classes))
        return tree
    if "object" in value:
        cls = classes[value["object"]]  # KeyError: a class outside the allowlist
        estimator = cls.__new__(cls)
        estimator.__dict__.update(_decode(value["state"], arrays, classes))
        if hasattr(estimator, "_get_loss") and hasattr(estimator, "estimators_"):
            estimator._loss = estimator._get_loss(sample_weight=None)  # gradient boosting
        return estimator
    raise ValueError(f"unknown cache entry {sorted(value)!r}")
