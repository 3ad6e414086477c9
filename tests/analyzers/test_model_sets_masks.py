"""Input-mask model sets: FISC's masks as members f*(m ⊙ x), and why they are flat on trees.

Ground truth (issue 14): on boosted trees over COMPAS's binary columns, scaling a column by any
m > 0.5 moves no split (thresholds sit at 0.5), so such mask members are the reference model
itself; the retrained set's members are different models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from analyzers.model_sets import MaskSetBuilder, RetrainedSetBuilder, explore_model_set
from workbench import Dataset
from workbench.errors import ParameterError
from workbench.kernels import SubsetLossKernel
from workbench.models import wrap_model
from workbench.models.scaled_inputs import scale_inputs
from workbench.samples import sample_data_path


@pytest.fixture(scope="module")
def linear_rows():
    """A fitted logistic model (run as a torch module): every mask moves its loss."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    logit = 1.5 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2]
    frame = pd.DataFrame(X, columns=["x1", "x2", "x3"])
    frame["y"] = (rng.random(100) < 1 / (1 + np.exp(-logit))).astype(int)
    dataset = Dataset.from_frame(frame, target="y")
    model = LogisticRegression().fit(X, frame["y"])
    adapter = wrap_model(model, task="classification", device="cpu")
    assert adapter.module is not None
    return adapter, dataset


def test_a_scaled_adapter_runs_the_model_on_scaled_inputs(linear_rows):
    adapter, dataset = linear_rows
    scale = torch.tensor([0.5, 2.0, 1.0])
    member = scale_inputs(adapter, scale)
    X = dataset.X[:10]
    assert torch.allclose(member.forward(X), adapter.forward(X * scale))
    # The kernels' seam gives the same numbers as the plain forward of the scaled rows.
    variants = torch.tensor([[1.0, 1.0, 1.0], [0.0, 1.0, 3.0]])  # (variants, features)
    scaled = member.forward_scaled(variants, X).reshape(2, 10)
    assert torch.allclose(scaled[1], adapter.forward(X * scale * variants[1]))
    assert member.fingerprint() != adapter.fingerprint()


def test_a_scaled_cpu_model_scales_each_chunk():
    X = np.random.default_rng(1).normal(size=(50, 2)).astype(np.float32)
    adapter = wrap_model(lambda rows: rows[:, 0] - 2 * rows[:, 1], task="regression")
    member = scale_inputs(adapter, np.array([3.0, 0.0]))
    assert np.allclose(member.predict(X).numpy(), 3 * X[:, 0])
    assert member.fingerprint() != scale_inputs(adapter, np.array([3.0, 1.0])).fingerprint()
    with pytest.raises(ParameterError, match="scale"):
        scale_inputs(adapter, np.array([np.nan, 1.0]))


def test_mask_members_have_the_kernels_losses_and_the_reference_is_l_star(linear_rows):
    adapter, dataset = linear_rows
    model_set = MaskSetBuilder(adapter, n_members=12, delta=0.25).build(dataset, epsilon_rate=0.1)
    frame = model_set.to_frame()
    assert frame["member"].iloc[0] == "reference" and frame["loss_increase"].iloc[0] == 0
    assert model_set.reference_loss == pytest.approx(frame["loss"].iloc[0])
    assert len(frame) == 12 and frame["member"].is_unique
    # Each member is f*(m ⊙ x): its loss is the FISC kernel's loss of its mask on f*.
    masks = torch.tensor([m.description["masks"] for m in model_set.members], dtype=torch.float64)
    expected = SubsetLossKernel(adapter, dataset).losses(masks).numpy()
    own = [
        SubsetLossKernel(m.adapter, dataset).losses(torch.ones((1, 3)))[0]
        for m in model_set.members
    ]
    assert np.allclose(frame["loss"], expected, rtol=1e-5)
    assert np.allclose(own, expected, rtol=1e-5)
    # FISC's boundary models stay strictly within ε; the set flags them in.
    boundary = [m.in_set for m in model_set.members if m.description["kind"] == "boundary"]
    assert boundary and all(boundary)
    assert model_set.settings["search_stops"].get("boundary", 0) > 0


def test_the_set_is_seeded_and_bad_sizes_say_which_argument(linear_rows):
    adapter, dataset = linear_rows
    names = [
        [
            m.name
            for m in MaskSetBuilder(adapter, n_members=6, delta=0.5, seed=3).build(dataset).members
        ]
        for _ in range(2)
    ]
    assert names[0] == names[1]
    with pytest.raises(ParameterError, match="n_members"):
        MaskSetBuilder(adapter, n_members=0).build(dataset)


@pytest.fixture(scope="module")
def compas_trees():
    """A small boosted-tree model on COMPAS's binary columns (the demo's grouping)."""
    dataset = Dataset.from_csv(
        sample_data_path("compas.csv"), "Recidivate-Within-Two-Years", groups="prefix"
    )
    train, test = dataset.train_test_split(0.2, seed=0)
    train, test = train.subset(np.arange(2000)), test.subset(np.arange(150))
    trees = GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0)
    trees.fit(train.X.numpy(), train.y.numpy().astype(int))
    return trees, train, test


@pytest.mark.slow  # about 17 s on a busy 2-core machine: FISC search and SII on 30 boosted trees
def test_on_boosted_trees_masks_give_the_reference_where_retraining_gives_new_models(
    compas_trees,
):
    trees, train, test = compas_trees
    adapter = wrap_model(trees, task="classification", device="cpu")
    game = {"epsilon_rate": 0.1, "rows": 30, "background": 15}
    masks = explore_model_set(MaskSetBuilder(adapter, n_members=10), test, "sii", **game)
    retrained = explore_model_set(
        RetrainedSetBuilder(trees, train, seeds=(0,), n_bootstrap=3), test, "sii", **game
    )
    stops = masks.settings["builder_settings"]["search_stops"]
    assert stops.get("stall", 0) > stops.get("boundary", 0)  # the halo is (nearly) a dot
    members = masks.members.set_index("member")
    kept_splits = [
        name
        for name, description in zip(members.index, members["description"], strict=True)
        if members.loc[name, "in_set"] and _mask_values(description).min() > 0.5
    ]
    assert len(kept_splits) >= 2
    cloud = masks.clouds.pivot(index="member", columns="pair", values="value")
    # Every mask above 0.5 is the reference model itself: its cloud is one point.
    flat = cloud.loc[kept_splits]
    assert np.allclose(flat.to_numpy(), cloud.loc[["reference"]].to_numpy(), atol=1e-12)
    # The retrained members are other models: the strongest pair's value moves between them.
    top = retrained.ranges["pair"].iloc[0]
    assert retrained.n_in_set >= 2 and retrained.ranges.set_index("pair").loc[top, "range"] > 1e-3


def _mask_values(description: str) -> np.ndarray:
    """The masks=[...] entry of a member's description."""
    listed = description.split("masks=[")[1].split("]")[0]
    return np.array([float(v) for v in listed.split(",")])
