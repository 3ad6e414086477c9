"""Rebuild scikit-learn models whose maths is a few affine maps as equivalent torch modules.

A converted model runs batched on the adapter's device like any torch model. Classifiers
return logits (binary: one logit log(p1/p0); multi-class: logits whose softmax is
``predict_proba``), regressors their prediction. Anything without an exact equivalent here
returns None, and the caller runs the original estimator on the CPU instead.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.linear_model import (
    ElasticNet,
    ElasticNetCV,
    Lasso,
    LassoCV,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    Ridge,
    RidgeCV,
    SGDClassifier,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

# Exact types, not isinstance: a subclass may override predict and change the maths.
_LINEAR_REGRESSORS = (LinearRegression, Ridge, RidgeCV, Lasso, LassoCV, ElasticNet, ElasticNetCV)
_LOGISTIC_REGRESSIONS = (LogisticRegression, LogisticRegressionCV)
_MLP_ACTIVATIONS = {
    "identity": torch.nn.Identity,
    "logistic": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
}


class FixedAffine(torch.nn.Module):
    """``(x - center) * factor + shift``, optionally clipped: a fitted scaler step.

    Subtracting the centre first keeps float32 precise for features with a large mean.
    """

    def __init__(
        self,
        center: np.ndarray,
        factor: np.ndarray,
        shift: np.ndarray,
        bounds: tuple[float, float] | None = None,
    ) -> None:
        super().__init__()
        self.register_buffer("center", torch.tensor(center, dtype=torch.float32))  # (features,)
        self.register_buffer("factor", torch.tensor(factor, dtype=torch.float32))  # (features,)
        self.register_buffer("shift", torch.tensor(shift, dtype=torch.float32))  # (features,)
        self.bounds = bounds

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scaled = (x - self.center) * self.factor + self.shift
        return scaled if self.bounds is None else scaled.clamp(*self.bounds)


class SklearnTorchModule(torch.nn.Sequential):
    """A scikit-learn model rebuilt from torch layers; outputs logits or regression values."""


def to_torch_module(estimator: object) -> SklearnTorchModule | None:
    """An equivalent float32 torch module for a fitted estimator, or None if there is none.

    Parameters
    ----------
    estimator : fitted scikit-learn estimator
        MLPClassifier, MLPRegressor, LogisticRegression(CV), SGDClassifier(loss="log_loss"),
        LinearRegression, Ridge(CV), Lasso(CV), ElasticNet(CV), or a Pipeline of
        StandardScaler / MinMaxScaler steps ending in one of those.

    Returns
    -------
    SklearnTorchModule or None
        Input (rows, features); output (rows, 1) for binary classifiers and regressors,
        (rows, classes) for multi-class classifiers.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> module = to_torch_module(LinearRegression().fit([[0.0], [1.0]], [1.0, 3.0]))
    >>> float(module(torch.tensor([[2.0]])))
    5.0
    """
    is_pipeline = isinstance(estimator, Pipeline)
    steps = [step for _, step in estimator.steps] if is_pipeline else [estimator]
    layers = []
    for step in steps[:-1]:
        if step is None or step == "passthrough":
            continue
        scaler = _scaler_layer(step)
        if scaler is None:
            return None
        layers.append(scaler)
    model_layers = _model_layers(steps[-1])
    if model_layers is None:
        return None
    return SklearnTorchModule(*layers, *model_layers).eval()


def _scaler_layer(step: object) -> FixedAffine | None:
    if type(step) is StandardScaler:
        n_features = step.n_features_in_
        center = step.mean_ if step.mean_ is not None else np.zeros(n_features)
        factor = 1.0 / step.scale_ if step.scale_ is not None else np.ones(n_features)
        return FixedAffine(center, factor, np.zeros(n_features))
    if type(step) is MinMaxScaler:
        low, high = step.feature_range
        bounds = (float(low), float(high)) if step.clip else None
        return FixedAffine(step.data_min_, step.scale_, np.full(step.n_features_in_, low), bounds)
    return None


def _model_layers(model: object) -> list[torch.nn.Module] | None:
    if type(model) in (MLPClassifier, MLPRegressor):
        return _mlp_layers(model)
    if type(model) in _LOGISTIC_REGRESSIONS or (
        type(model) is SGDClassifier and model.loss == "log_loss"
    ):
        layers = [_linear(model.coef_, model.intercept_)]
        if model.coef_.shape[0] > 1 and _is_one_vs_rest(model):
            # predict_proba normalises per-class sigmoids; softmax of their logs is the same.
            layers.append(torch.nn.LogSigmoid())
        return layers
    if type(model) in _LINEAR_REGRESSORS:
        coef = np.atleast_2d(model.coef_)  # (targets, features)
        if coef.shape[0] != 1:
            return None
        return [_linear(coef, np.atleast_1d(model.intercept_))]
    return None


def _mlp_layers(mlp: MLPClassifier | MLPRegressor) -> list[torch.nn.Module] | None:
    multi_output_sigmoid = mlp.out_activation_ == "logistic" and mlp.n_outputs_ > 1
    multi_target = mlp.out_activation_ == "identity" and mlp.n_outputs_ > 1
    if multi_output_sigmoid or multi_target or mlp.activation not in _MLP_ACTIVATIONS:
        return None
    layers: list[torch.nn.Module] = []
    for coef, intercept in zip(mlp.coefs_, mlp.intercepts_, strict=True):
        layers += [_linear(coef.T, intercept), _MLP_ACTIVATIONS[mlp.activation]()]
    return layers[:-1]  # the output activation is the loss's job, so the module returns logits


def _is_one_vs_rest(model: LogisticRegression | SGDClassifier) -> bool:
    if isinstance(model, SGDClassifier):
        return True
    # scikit-learn < 1.7 only: later versions always use the multinomial (softmax) form.
    multi_class = getattr(model, "multi_class", None)
    if multi_class in ("auto", "deprecated"):
        return model.solver == "liblinear"
    return multi_class == "ovr"


def _linear(weight: np.ndarray, bias: np.ndarray) -> torch.nn.Linear:
    out_features, in_features = weight.shape
    layer = torch.nn.Linear(in_features, out_features)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(np.asarray(weight), dtype=torch.float32))
        layer.bias.copy_(torch.as_tensor(np.asarray(bias), dtype=torch.float32))
    return layer
