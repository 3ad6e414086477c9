"""How one member of a retrained set is fitted, and the recipe a member cache keys it by.

This module holds the training and only the training: its own source is the code version of
cached members (``workbench.code_digest.module_version``), so a change here refits them and a
change anywhere else in the package does not.
"""

from __future__ import annotations

import hashlib
import importlib
import math
from typing import Any

import numpy as np

from workbench.errors import ParameterError


def fit_member(estimator, params: dict[str, Any], seed: int, bootstrap: int | None, train):
    """A fitted clone of ``estimator`` with ``params``, ``random_state=seed`` (when it has
    one), on ``train``'s rows or on bootstrap resample ``bootstrap`` of them, drawn from
    ``numpy.random.default_rng((seed, bootstrap))``."""
    from sklearn.base import is_classifier

    member = configured(estimator, params, seed)
    X, y = train.X.numpy(), train.y.numpy()
    if bootstrap is not None:
        rows = np.random.default_rng((seed, bootstrap)).integers(0, len(X), size=len(X))
        X, y = X[rows], y[rows]
    member.fit(X, y.astype(int) if is_classifier(member) else y)
    return member


def configured(estimator, params: dict[str, Any], seed: int):
    """An unfitted clone of ``estimator`` with the grid point and the seed set."""
    from sklearn.base import clone

    member = clone(estimator)
    try:
        member.set_params(**params)
    except ValueError as error:
        raise ParameterError(f"param_grid: {error}") from None
    if "random_state" in member.get_params():
        member.set_params(random_state=seed)
    return member


def member_recipe(estimator, params: dict[str, Any], seed: int, bootstrap: int | None) -> dict:
    """JSON-safe facts a fitted member depends on, besides the training rows and this code:
    the estimator's class and every parameter after the grid point and seed are set, the seed
    and bootstrap index, and the versions of scikit-learn and of the estimator's library."""
    import sklearn

    member = configured(estimator, params, seed)
    cls = type(member)
    library = cls.__module__.split(".")[0]
    version = getattr(importlib.import_module(library), "__version__", None)
    return {
        "estimator": f"{cls.__module__}.{cls.__qualname__}",
        "params": {name: _plain(value) for name, value in member.get_params(deep=True).items()},
        "seed": int(seed),
        "bootstrap": None if bootstrap is None else int(bootstrap),
        "versions": {"sklearn": sklearn.__version__, library: version},
    }


def _plain(value: Any) -> Any:
    """A parameter value as JSON. A nested estimator is its class (``get_params(deep=True)``
    lists its parameters apart); anything unknown is its repr, which at worst misses the cache
    (a repr with an address), never finds a wrong member."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return {"array": digest, "shape": list(value.shape), "dtype": value.dtype.str}
    if hasattr(value, "get_params"):
        return {"estimator": f"{type(value).__module__}.{type(value).__qualname__}"}
    return repr(value)
