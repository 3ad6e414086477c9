"""A fitted scikit-learn estimator that runs on the CPU: its task and classes checked, its
predict function, and the digest of its parameters and fitted arrays."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable

import joblib
import numpy as np
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from workbench.errors import ModelError, ParameterError


def check_sklearn_task(model: BaseEstimator, task: str) -> None:
    try:
        check_is_fitted(model)
    except NotFittedError:
        raise ModelError(
            f"model is not fitted: call {type(model).__name__}.fit(X, y) before wrapping it"
        ) from None
    if task == "classification" and is_regressor(model):
        raise ParameterError(f"{type(model).__name__} is a regressor; use task='regression'")
    if task == "regression" and is_classifier(model):
        raise ParameterError(f"{type(model).__name__} is a classifier; use task='classification'")


def sklearn_class_count(model: BaseEstimator, task: str) -> int | None:
    if task != "classification":
        return None
    if not hasattr(model, "predict_proba"):
        raise ModelError(
            f"{type(model).__name__} has no predict_proba; wrap a function returning "
            "class probabilities instead"
        )
    classes = getattr(model, "classes_", None)
    if classes is None:
        return None
    if np.ndim(classes) != 1 or len(classes) < 2:
        raise ModelError(f"{type(model).__name__} must be fitted on 2 or more classes, one target")
    return len(classes)


def sklearn_cpu_function(model: BaseEstimator, task: str) -> Callable[[np.ndarray], object]:
    method = model.predict_proba if task == "classification" else model.predict

    def predict(chunk: np.ndarray) -> object:
        with warnings.catch_warnings():
            # Fitted on a DataFrame, predicting on arrays: the columns are the same.
            warnings.filterwarnings("ignore", message="X does not have valid feature names")
            return method(chunk)

    return predict


def estimator_digest(estimator: BaseEstimator) -> str:
    """Hash of an estimator's parameters and fitted arrays.

    A pickle round trip first lays the arrays out the way a model loaded from a file has them
    (a fitted array can be a strided view), so a fitted model and its saved copy hash alike.
    """
    hasher = _PackedHasher(hash_name="md5")
    return "sklearn:" + hasher.hash(pickle.loads(pickle.dumps(estimator)))


class _PackedHasher(joblib.hashing.NumpyHasher):
    """joblib's hash, with structured arrays packed first: the padding bytes of a tree's node
    records are uninitialised memory, so the same trees hashed differently in another process
    (or read back from the sample-model cache) and their stored results were never found."""

    def save(self, obj):
        if isinstance(obj, np.ndarray) and obj.dtype.fields is not None:
            from numpy.lib.recfunctions import repack_fields

            obj = repack_fields(obj)
        super().save(obj)
