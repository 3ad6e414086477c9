"""Tree models: shap's exact TreeSHAP interaction values, reported on the SII scale.

``shap.TreeExplainer(model).shap_interaction_values(X)`` splits each SII between the two cells
(i, j) and (j, i), so the pair score here is 2 × the off-diagonal value.

Value function: shap's "tree_path_dependent" one, the expectation over absent features taken by
following the tree's own cover statistics (the training rows that reached each node). It is
not the interventional game v_x(S) = mean_b f(x_S, b_{-S}) of the model-agnostic indices, and
the two agree only where the covers make them equal: for example a tree trained on a full
factorial grid of independent features, explained with that grid as the background. shap 0.51
does not compute interaction values with ``feature_perturbation="interventional"`` (its C code
prints "does not support interactions" and returns zeros), so that option is refused here; the
interventional SII of a tree model is ``index="sii"``.

Scores are on shap's raw output: the log-odds of gradient-boosted classifiers (scikit-learn's,
xgboost's and lightgbm's, their Boosters included), the class probability of random forests, the
value of regressors. Groups of several columns get the sum
of their columns' values (the SII of a group is not exactly that sum; single-column groups
are exact).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.base import is_classifier

from analyzers.interaction_result import InteractionResult
from analyzers.interactions import frames
from workbench.errors import ModelError, ParameterError
from workbench.models import ModelAdapter
from workbench.models.boosters import booster_info, is_booster

TREE_VALUE_FUNCTIONS = ("path_dependent",)
_BOOSTING_MODULES = ("xgboost", "lightgbm", "catboost")


def tree_interactions(
    model,
    dataset,
    rows: np.ndarray,
    *,
    model_name: str,
    value_function: str = "path_dependent",
    output: str | None = None,
    class_index: int | None = None,
) -> InteractionResult:
    """Local pairwise interaction values of a tree model from shap, on the SII scale.

    Parameters
    ----------
    model : fitted tree model
        A scikit-learn tree, forest or (hist) gradient-boosting estimator, an xgboost or
        lightgbm model (scikit-learn wrapper or Booster, e.g. read by
        ``workbench.models.boosters.read_native_model``).
    dataset : Dataset
    rows : ndarray
        Positions of the explained rows.
    model_name : str
    value_function : {"path_dependent"}
    output : str or None
        Must match shap's raw output scale when given (see the module docstring).
    class_index : int or None
        Class of a classifier whose raw output has one column per class (default: 1).

    Returns
    -------
    InteractionResult
        Local pair scores; main effects: mean |Shapley value| per group.
    """
    start = time.perf_counter()
    explainer, scale = _explainer(model, value_function, output)
    explained = dataset.X[torch.as_tensor(rows, dtype=torch.int64)].numpy().astype(np.float64)
    values = _interaction_values(explainer, explained, class_index)
    grouped = _group_sums(values, [list(g.columns) for g in dataset.groups])  # (rows, p, p)
    names = dataset.group_names
    p = len(names)
    upper_j, upper_k = np.triu_indices(p, k=1)
    pair_values = 2.0 * grouped[:, upper_j, upper_k]  # SII = 2 × shap's off-diagonal cell
    shapley_values = grouped.sum(axis=2)  # each row of the matrix sums to the Shapley value
    settings = {
        "estimator": "treeshap",
        "value_function": value_function,
        "output": scale,
        "class_index": class_index,
        "order": 2,
        "n_rows": len(rows),
        "main_effect_aggregate": "mean_abs",
    }
    return InteractionResult(
        model_names=(model_name,),
        index="tree",
        group_names=names,
        scores=frames.local_scores(model_name, "tree", names, {2: pair_values}, rows, range(2, 3)),
        main_effects=frames.main_effect_frame(
            model_name, "tree", names, np.abs(shapley_values).mean(0)
        ),
        settings=settings,
        seconds=time.perf_counter() - start,
    )


def _explainer(model, value_function: str, output: str | None):
    """shap's TreeExplainer of ``model`` and the scale of its raw output (arguments checked)."""
    import shap

    if value_function not in TREE_VALUE_FUNCTIONS:
        advice = (
            "; use index='sii' for the interventional game"
            if value_function == "interventional"
            else ""
        )
        raise ParameterError(
            f"tree_value_function must be one of {TREE_VALUE_FUNCTIONS}, got "
            f"{value_function!r}{advice}"
        )
    if isinstance(model, ModelAdapter):
        raise ParameterError(
            "index='tree' needs the fitted tree model itself (e.g. GradientBoostingClassifier, "
            "XGBClassifier, an xgboost/lightgbm Booster), not a wrapped adapter"
        )
    try:
        explainer = shap.TreeExplainer(model)
    except Exception as error:  # shap raises bare exceptions for unsupported models
        raise ModelError(
            f"shap.TreeExplainer cannot explain {type(model).__name__}: {str(error)[:200]}"
        ) from None
    scale = _raw_scale(model)
    if output is not None and output != scale:
        raise ParameterError(
            f"output={output!r}: shap gives {type(model).__name__}'s interactions on the "
            f"{scale!r} scale only"
        )
    return explainer, scale


def _interaction_values(explainer, explained: np.ndarray, class_index: int | None) -> np.ndarray:
    """(rows, features, features) shap interaction values, of one class for classifiers."""
    values = np.asarray(explainer.shap_interaction_values(explained))
    if values.ndim == 4:  # (rows, features, features, outputs)
        chosen = 1 if class_index is None else int(class_index)
        if not 0 <= chosen < values.shape[3]:
            raise ParameterError(f"class_index must be in 0..{values.shape[3] - 1}")
        values = values[..., chosen]
    return values


def _group_sums(values: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """(rows, groups, groups) block sums of a (rows, features, features) matrix."""
    membership = np.zeros((values.shape[1], len(groups)))
    for g, columns in enumerate(groups):
        membership[columns, g] = 1.0
    return np.einsum("rab,ag,bh->rgh", values, membership, membership)


def _raw_scale(model) -> str:
    """The scale of shap's raw output for a tree model: boosted trees sum log-odds, forests
    average probabilities."""
    if is_booster(model):
        return "logit" if booster_info(model).task == "classification" else "value"
    if not is_classifier(model):
        return "value"
    name = type(model).__name__
    boosted = "GradientBoosting" in name or type(model).__module__.startswith(_BOOSTING_MODULES)
    return "logit" if boosted else "probability"
