"""The CUDA path gives the CPU path's numbers (run on a machine with a GPU; skipped elsewhere).

CI has no GPU, so these run only on a lent device machine (`pytest tests/test_cuda_paths.py`).
Each analysis runs twice on the same model and rows, once per device; float32 models on two
devices differ in summation order only, so results agree to float32 rounding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.neural_network import MLPClassifier

from analyzers.interactions import score_interactions
from analyzers.model_sets import DropoutSetBuilder, explore_model_set
from analyzers.rashomon import explore_rashomon
from workbench import Dataset
from workbench.kernels.dropout_masks import DropoutMember
from workbench.models import wrap_model

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.fixture(scope="module")
def fitted():
    """A small MLP on a planted x0·x1 interaction: binary features and two with 9 levels each
    (few levels keep the exact estimator's rows small)."""
    rng = np.random.default_rng(0)
    levels = np.clip(np.round(rng.normal(size=(600, 2)) * 2) / 2, -2, 2)
    X = np.column_stack([rng.integers(0, 2, (600, 3)), levels]).astype(float)
    logit = 2.0 * (X[:, 0] - 0.5) * (X[:, 1] - 0.5) * 4 + X[:, 3]
    y = (rng.random(600) < 1 / (1 + np.exp(-logit))).astype(int)
    mlp = MLPClassifier((16, 16), max_iter=500, random_state=0).fit(X[:400], y[:400])
    frame = pd.DataFrame(X[400:], columns=[f"x{i}" for i in range(5)]).assign(y=y[400:])
    return mlp, Dataset.from_frame(frame, "y")


def both_devices(mlp, run):
    return [run(wrap_model(mlp, task="classification", device=d)) for d in ("cpu", "cuda")]


def test_fisc_exact_and_permutation_agree_across_devices(fitted):
    mlp, data = fitted
    for approximator in ("exact", "permutation"):
        cpu, cuda = both_devices(
            mlp,
            lambda a, approximator=approximator: explore_rashomon(
                a, data, epsilon_rate=0.1, approximator=approximator, random_state=0
            ),
        )
        assert cpu.extra["rows_evaluated"] == cuda.extra["rows_evaluated"]
        left, right = cpu.summary(), cuda.summary()
        assert list(left["interaction"]) == list(right["interaction"])
        np.testing.assert_allclose(left["reference_fis"], right["reference_fis"], atol=1e-5)
        np.testing.assert_allclose(left["range"], right["range"], atol=1e-4)


def test_exact_sii_agrees_across_devices(fitted):
    mlp, data = fitted
    cpu, cuda = both_devices(mlp, lambda a: score_interactions(a, data, "sii", rows=50))
    left, right = cpu.to_frame(), cuda.to_frame()
    value = next(c for c in left.columns if left[c].dtype.kind == "f")
    np.testing.assert_allclose(left[value], right[value], atol=1e-5)


def test_batched_permutation_fis_agrees_across_devices(fitted):
    # score_interactions' permutation FIS runs the batched kernel path (many pairs per pass).
    mlp, data = fitted
    cpu, cuda = both_devices(
        mlp,
        lambda a: score_interactions(
            a, data, "fis", max_order=3, approximator="permutation", n_permutations=5
        ),
    )
    np.testing.assert_allclose(cpu.scores["value"], cuda.scores["value"], atol=1e-5)
    np.testing.assert_allclose(cpu.main_effects["value"], cuda.main_effects["value"], atol=1e-5)


def test_dropout_members_and_their_batched_losses_run_on_the_gpu(fitted):
    mlp, data = fitted
    sets = both_devices(
        mlp,
        lambda a: DropoutSetBuilder(a, rate=0.2, n_members=8, seed=1).build(data),
    )
    np.testing.assert_allclose(
        [m.loss for m in sets[0].members], [m.loss for m in sets[1].members], atol=1e-5
    )
    member = sets[1].members[0].adapter
    assert isinstance(member.module, DropoutMember)
    assert all(b.device.type == "cuda" for b in member.module.buffers())
    result = explore_model_set(sets[1], data, "h2", rows=20)
    assert len(result.ranges) == 10
