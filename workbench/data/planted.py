"""Seeded synthetic data with planted pairwise interactions, and the known function itself.

The function is

    f(x) = sum_j w_j x_j + sum_{(i, k) planted} c_ik x_i x_k

on independent standard normal features, and the target is f(x) plus Gaussian noise. With the
function itself as the model (no training), the planted pairs are the ground truth of any
interaction screen: every other pair is additive, so its interaction is zero in expectation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from workbench.data.dataset import Dataset
from workbench.errors import ParameterError


class PlantedFunction(torch.nn.Module):
    """The known function of ``planted_interactions`` as a torch module (rows, features) -> (rows,).

    Written with elementwise products and row sums only (no matrix product), so a row's output
    does not depend on which other rows share its batch: results are bit-identical however a
    kernel batches them.
    """

    def __init__(self, weights: np.ndarray, pairs: np.ndarray, strengths: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("weights", torch.as_tensor(weights, dtype=torch.float32))
        self.register_buffer("first", torch.as_tensor(pairs[:, 0], dtype=torch.int64))
        self.register_buffer("second", torch.as_tensor(pairs[:, 1], dtype=torch.int64))
        self.register_buffer("strengths", torch.as_tensor(strengths, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        main = (x * self.weights).sum(dim=1)  # (rows,)
        products = x[:, self.first] * x[:, self.second] * self.strengths  # (rows, pairs)
        return main + products.sum(dim=1)


@dataclass(frozen=True)
class PlantedData:
    """Data, the function that generated it, and the pairs planted in it.

    Attributes
    ----------
    dataset : Dataset
        Features ``x0 .. x{p-1}`` (one group each) and the noisy target.
    model : PlantedFunction
        The noise-free function (wrap it with ``wrap_model(model, task="regression")``).
    pairs : tuple of (str, str)
        The planted pairs by feature name, first name first in data order.
    """

    dataset: Dataset
    model: PlantedFunction
    pairs: tuple[tuple[str, str], ...]


def planted_interactions(
    n_rows: int = 500,
    n_features: int = 200,
    n_pairs: int = 5,
    *,
    strength: float = 1.0,
    main_scale: float = 0.3,
    noise: float = 0.1,
    seed: int = 0,
) -> PlantedData:
    """Seeded data with ``n_pairs`` planted pairwise interactions among ``n_features``.

    Parameters
    ----------
    n_rows, n_features : int
        Shape of the feature matrix (standard normal, independent columns).
    n_pairs : int
        Disjoint planted pairs, chosen at random among the features.
    strength : float
        Coefficient c of every planted product x_i x_k.
    main_scale : float
        Main-effect weights are drawn uniformly from [-main_scale, main_scale].
    noise : float
        Standard deviation of the Gaussian noise added to the target.
    seed : int
        Seed of everything drawn.

    Returns
    -------
    PlantedData

    Examples
    --------
    >>> planted = planted_interactions(n_rows=100, n_features=20, n_pairs=2, seed=1)
    >>> len(planted.pairs)
    2
    """
    if n_rows < 2 or n_features < 2:
        raise ParameterError(f"need n_rows >= 2 and n_features >= 2, got {n_rows}, {n_features}")
    if not 0 <= 2 * n_pairs <= n_features:
        raise ParameterError(f"n_pairs must be in 0..{n_features // 2}, got {n_pairs}")
    generator = np.random.default_rng(seed)
    X = generator.standard_normal((n_rows, n_features)).astype(np.float32)  # (rows, features)
    weights = generator.uniform(-main_scale, main_scale, n_features).astype(np.float32)
    chosen = generator.choice(n_features, size=2 * n_pairs, replace=False)
    pairs = np.sort(chosen.reshape(n_pairs, 2), axis=1)  # (pairs, 2), first < second
    model = PlantedFunction(weights, pairs, np.full(n_pairs, strength, dtype=np.float32))
    with torch.no_grad():
        clean = model(torch.from_numpy(X)).numpy()
    y = clean + noise * generator.standard_normal(n_rows).astype(np.float32)
    names = [f"x{j}" for j in range(n_features)]
    dataset = Dataset.from_arrays(X, y, feature_names=names, target_name="y")
    return PlantedData(
        dataset=dataset,
        model=model,
        pairs=tuple((names[i], names[k]) for i, k in pairs.tolist()),
    )
