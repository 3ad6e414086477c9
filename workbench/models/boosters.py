"""xgboost and lightgbm Boosters: their task, how they predict, and their native model files.

A Booster is the model object of each library (``XGBClassifier.get_booster()``,
``LGBMClassifier.booster_``, or what a native file loads into). The scikit-learn wrappers
(``XGBClassifier``, ``LGBMRegressor``...) are scikit-learn estimators and are wrapped as such;
a Booster says what it predicts only through its objective, read here.

Native files (xgboost JSON/UBJ, lightgbm text) hold trees and parameters only, so reading one
runs no code, unlike a joblib/pickle file. Neither library is a dependency of the workbench:
both are imported only when a Booster or a native file is met, and a missing one is a one-line
error saying how to install it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.errors import DataError, ModelError, ParameterError

#: native model files, by extension, and the library that reads them
NATIVE_SUFFIXES = {".json": "xgboost", ".ubj": "xgboost", ".txt": "lightgbm"}
INSTALL_HINT = "pip install 'interaction-workbench[trees]' (or xgboost-cpu / lightgbm)"
# Names a library makes up when a model was trained on a bare array: they say nothing about
# which column is which, so only the count is checked.
_PLACEHOLDER_NAME = re.compile(r"(Column_|f)\d+")
_XGB_REGRESSION = ("reg:", "count:", "survival:", "rank:")
_LGB_CLASSIFICATION = ("binary", "multiclass", "multiclassova")
_LGB_REGRESSION = (
    "regression",
    "regression_l1",
    "huber",
    "fair",
    "poisson",
    "quantile",
    "mape",
    "gamma",
    "tweedie",
    "cross_entropy",
    "cross_entropy_lambda",
    "lambdarank",
    "rank_xendcg",
)


@dataclass(frozen=True)
class BoosterInfo:
    """What a Booster predicts, read from its objective."""

    library: str  # "xgboost" or "lightgbm"
    task: str  # "classification" or "regression"
    output_kind: str  # "probability", "logit" or "value": what ``predict`` returns
    n_classes: int  # 1 for regression
    n_features: int
    feature_names: tuple[str, ...] | None  # None: trained on a bare array


def is_booster(model: object) -> bool:
    """Whether ``model`` is an xgboost or lightgbm Booster (without importing either)."""
    return type(model).__name__ == "Booster" and _library(model) is not None


def booster_info(model: object) -> BoosterInfo:
    """Task, output, classes and features of an xgboost or lightgbm Booster.

    Raises a one-line ModelError for an objective whose predictions are not probabilities,
    log-odds or values (a hinge loss, class labels, a custom objective).
    """
    if _library(model) == "xgboost":
        return _xgboost_info(model)
    return _lightgbm_info(model)


def booster_predict(model: object, info: BoosterInfo) -> Callable[[np.ndarray], np.ndarray]:
    """A function (rows, features) float32 -> (rows,) or (rows, classes) of ``info.output_kind``."""
    if info.library == "xgboost":
        kind = "margin" if info.output_kind == "logit" else "value"
        return lambda chunk: model.inplace_predict(chunk, predict_type=kind)
    return model.predict


def booster_digest(model: object) -> str:
    """Hash of a Booster's saved form, so a Booster and its file read back hash alike.

    xgboost's free-form attributes are left out: ``XGBClassifier.save_model`` adds one (the
    scikit-learn estimator type) that the in-memory Booster does not carry.
    """
    if _library(model) == "xgboost":
        saved_model = json.loads(bytes(model.save_raw("json")))
        saved_model["learner"].pop("attributes", None)
        saved = json.dumps(saved_model, sort_keys=True).encode()
    else:
        saved = model.model_to_string().encode()
    return f"{_library(model)}:" + hashlib.sha256(saved).hexdigest()


def read_native_model(path: str | Path) -> object:
    """The Booster saved in an xgboost ``.json``/``.ubj`` or a lightgbm ``.txt`` file.

    Parameters
    ----------
    path : str or Path
        ``booster.save_model("model.json")`` (or ``.ubj``) for xgboost,
        ``booster.save_model("model.txt")`` for lightgbm.

    Returns
    -------
    xgboost.Booster or lightgbm.Booster

    Examples
    --------
    >>> booster = read_native_model("model.json")  # doctest: +SKIP
    """
    path = Path(path)
    library = NATIVE_SUFFIXES.get(path.suffix.lower())
    if library is None:
        raise ModelError(f"{path.name!r} is not an xgboost (.json/.ubj) or lightgbm (.txt) file")
    if not path.is_file():
        raise ModelError(f"model file not found: {str(path)!r}")
    module = _import(library, path.name)
    try:
        return module.Booster(model_file=str(path))
    except Exception as error:  # the libraries raise their own errors for a wrong file
        kind = "an xgboost model" if library == "xgboost" else "a lightgbm text model"
        raise ModelError(
            f"could not load {path.name} as {kind}: {_library_message(error)}"
        ) from None


def is_native_file(path: str | Path) -> bool:
    """Whether ``path`` names an xgboost or lightgbm native model file (by its extension)."""
    return Path(path).suffix.lower() in NATIVE_SUFFIXES


def check_feature_names(
    model_names: tuple[str, ...] | None, n_model_features: int, data_names: list[str], what: str
) -> None:
    """One line when the features a model was trained on are not the data's, in its order.

    ``model_names`` None (or a library's placeholders such as ``Column_0``): only the count is
    compared, as nothing says which column is which.
    """
    data_names = list(data_names)
    if model_names is None or all(_PLACEHOLDER_NAME.fullmatch(n) for n in model_names):
        if n_model_features != len(data_names):
            raise DataError(
                f"{what} was trained on {n_model_features} features, the data has {len(data_names)}"
            )
        return
    missing = [name for name in model_names if name not in data_names]
    extra = [name for name in data_names if name not in model_names]
    if missing or extra:
        parts = [f"missing from the data: {', '.join(missing)}"] if missing else []
        parts += [f"not used by the model: {', '.join(extra)}"] if extra else []
        raise DataError(f"{what} does not match the data's features; {'; '.join(parts)}")
    if list(model_names) != data_names:
        raise DataError(
            f"{what} expects the features in the order {', '.join(model_names)}; "
            "reorder the data's columns"
        )


def _library(model: object) -> str | None:
    root = type(model).__module__.split(".")[0]
    return root if root in ("xgboost", "lightgbm") else None


def _import(library: str, file_name: str):
    try:
        if library == "xgboost":
            import xgboost as module
        else:
            import lightgbm as module
    except ImportError:
        raise ModelError(f"reading {file_name} needs {library}: {INSTALL_HINT}") from None
    return module


def _xgboost_info(model) -> BoosterInfo:
    learner = json.loads(model.save_config())["learner"]
    objective = learner["objective"]["name"]
    n_classes = max(int(learner["learner_model_param"]["num_class"]), 2)
    if objective == "binary:logistic":
        task, output_kind, n_classes = "classification", "probability", 2
    elif objective == "binary:logitraw":
        task, output_kind, n_classes = "classification", "logit", 2
    elif objective == "multi:softprob":
        task, output_kind = "classification", "probability"
    elif objective == "multi:softmax":
        task, output_kind = "classification", "logit"  # margins; predict gives labels
    elif objective.startswith(_XGB_REGRESSION):
        task, output_kind, n_classes = "regression", "value", 1
    else:
        raise ModelError(_objective_error("xgboost", objective))
    names = tuple(model.feature_names) if model.feature_names else None
    return BoosterInfo("xgboost", task, output_kind, n_classes, model.num_features(), names)


def _lightgbm_info(model) -> BoosterInfo:
    dumped = model.dump_model(num_iteration=0)
    objective = str(dumped.get("objective", "")).split(" ")[0]
    if objective in _LGB_CLASSIFICATION:
        task, output_kind = "classification", "probability"
        n_classes = max(int(dumped.get("num_class", 1)), 2)
    elif objective in _LGB_REGRESSION:
        task, output_kind, n_classes = "regression", "value", 1
    else:
        raise ModelError(_objective_error("lightgbm", objective or "custom"))
    names = tuple(model.feature_name())
    return BoosterInfo("lightgbm", task, output_kind, n_classes, model.num_feature(), names)


def _objective_error(library: str, objective: str) -> str:
    return (
        f"unsupported {library} model: objective {objective!r} predicts neither probabilities, "
        "log-odds nor values; wrap a function returning those instead"
    )


def _library_message(error: Exception) -> str:
    """The cause in a library error, without xgboost's '[time] file:line: Check failed:'."""
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    text = re.sub(r"^\[[\d:]+\] \S+:\d+: (Check failed: )?", "", text)
    return re.sub(r"\[LightGBM\] \[Fatal\].*$", "", text).strip()[:300]


def check_booster_task(info: BoosterInfo, task: str) -> str:
    """The task of a Booster: its own, or a ParameterError when ``task`` says otherwise."""
    if task not in ("auto", info.task):
        raise ParameterError(
            f"the {info.library} model's objective is a {info.task} one; use task={info.task!r}"
        )
    return info.task
