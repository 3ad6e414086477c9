"""The planted-interaction generator: seeded, and its function is the target without noise."""

import numpy as np
import torch

from workbench.data.planted import planted_interactions


def test_seeded_and_the_model_is_the_noise_free_target():
    first = planted_interactions(n_rows=50, n_features=10, n_pairs=2, noise=0.1, seed=4)
    again = planted_interactions(n_rows=50, n_features=10, n_pairs=2, noise=0.1, seed=4)
    assert first.pairs == again.pairs and len(set(sum(first.pairs, ()))) == 4
    torch.testing.assert_close(first.dataset.X, again.dataset.X)
    with torch.no_grad():
        residual = first.dataset.y - first.model(first.dataset.X)
    assert 0.05 < float(residual.std()) < 0.2  # the noise, and only the noise


def test_planted_product_is_the_only_mixed_derivative():
    planted = planted_interactions(n_rows=4, n_features=6, n_pairs=1, strength=2.0, seed=0)
    (a, b), names = planted.pairs[0], planted.dataset.feature_names
    i, k = names.index(a), names.index(b)
    x = torch.zeros((4, 6))
    x[1, i] = 1.0
    x[2, k] = 1.0
    x[3, [i, k]] = 1.0
    with torch.no_grad():
        f = planted.model(x).numpy()
    np.testing.assert_allclose(f[3] - f[1] - f[2] + f[0], 2.0, rtol=1e-6)
