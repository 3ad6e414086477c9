"""Dropout members: the batched kernel equals a loop over members' own adapters; masks are
seeded, nested in the rate, and named layers are checked."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from analyzers.model_sets.model_set import member_loss
from workbench import Dataset
from workbench.errors import ModelError, ParameterError
from workbench.kernels.dropout_losses import DropoutLossKernel
from workbench.kernels.dropout_masks import (
    DropoutMember,
    default_layers,
    draw_masks,
    resolve_layers,
    unit_shapes,
)
from workbench.models import wrap_model


@pytest.fixture(scope="module")
def mlp():
    """A 5-16-16-1 ReLU network and 60 labelled rows."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(5, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 16),
        torch.nn.ReLU(),
        torch.nn.Linear(16, 1),
    )
    X = torch.randn(60, 5)
    y = (X[:, 0] * X[:, 1] > 0).to(torch.float32)
    data = Dataset.from_arrays(X.numpy(), y.numpy(), feature_names=[f"x{i}" for i in range(5)])
    return wrap_model(net, task="classification", device="cpu"), data


def one_by_one(adapter, masks, data):
    """Each member as its own adapter, scored by the subset-loss kernel (the set's path)."""
    losses = []
    for j in range(len(masks)):
        module = DropoutMember(adapter.module, masks.mode, masks.member(j))
        member = dataclasses.replace(adapter, module=module, _source_digest=None)
        losses.append(member_loss(member, data))
    return torch.tensor(losses, dtype=torch.float64)


@pytest.mark.parametrize("mode", ["activations", "weights"])
@pytest.mark.parametrize("max_batch_rows", [200, 45])  # 3 members a pass; rows in chunks
def test_batched_losses_equal_members_one_by_one(mlp, mode, max_batch_rows):
    adapter, data = mlp
    layers = resolve_layers(adapter.module, None, mode)
    shapes = unit_shapes(adapter.module, layers, mode, data.X[:1])
    masks = draw_masks(shapes, range(7), 0.3, mode, seed=1)
    kernel = DropoutLossKernel(adapter, data.X, data.y, max_batch_rows=max_batch_rows)
    batched = kernel.losses(masks)
    torch.testing.assert_close(batched, one_by_one(adapter, masks, data), rtol=0, atol=1e-6)
    # Members differ from each other, so equal losses are not the reference's seven times.
    assert batched.unique().numel() == 7
    expected_passes = 3 if max_batch_rows == 200 else 7 * 2
    assert kernel.forward_passes == expected_passes


def test_rate_zero_is_the_reference_and_masks_are_seeded_and_nested(mlp):
    adapter, data = mlp
    shapes = unit_shapes(adapter.module, ["1", "3"], "activations", data.X[:1])
    assert shapes == {"1": (16,), "3": (16,)}
    kernel = DropoutLossKernel(adapter, data.X, data.y)
    at_zero = kernel.losses(draw_masks(shapes, range(3), 0.0, "activations", seed=0))
    assert torch.allclose(at_zero, torch.full((3,), kernel.reference_loss(), dtype=torch.float64))
    low = draw_masks(shapes, range(4), 0.2, "activations", seed=5)
    again = draw_masks(shapes, range(4), 0.2, "activations", seed=5)
    high = draw_masks(shapes, range(4), 0.5, "activations", seed=5)
    other = draw_masks(shapes, range(4), 0.2, "activations", seed=6)
    assert torch.equal(low.factors["1"], again.factors["1"])
    assert not torch.equal(low.factors["1"], other.factors["1"])
    # A larger rate drops a superset of the units, and kept units are scaled by 1/(1-p).
    assert ((high.factors["1"] > 0) <= (low.factors["1"] > 0)).all()
    assert low.factors["1"].unique().tolist() == pytest.approx([0.0, 1 / 0.8])
    # Member k's mask does not depend on how many members are drawn with it.
    assert torch.equal(
        draw_masks(shapes, [2], 0.2, "activations", 5).factors["1"][0], low.factors["1"][2]
    )


def test_default_layers_and_one_line_errors(mlp):
    adapter, _ = mlp
    assert default_layers(adapter.module, "activations") == ["1", "3"]
    assert default_layers(adapter.module, "weights") == ["0", "2"]
    with pytest.raises(
        ParameterError, match=r"layers: '7' is not a module of the model; modules: 0, 1"
    ):
        resolve_layers(adapter.module, ["7"], "activations")
    with pytest.raises(ParameterError, match="'1' has no weight to mask"):
        resolve_layers(adapter.module, ["1"], "weights")
    logistic = wrap_model(torch.nn.Linear(5, 1), task="classification", device="cpu")
    with pytest.raises(ParameterError, match="no hidden layer to drop out"):
        resolve_layers(logistic.module, None, "activations")


def test_a_cpu_model_is_refused(mlp):
    _, data = mlp

    def constant(X):
        return torch.full((len(X),), 0.5)

    adapter = wrap_model(constant, task="classification", output="probability", device="cpu")
    with pytest.raises(ModelError, match="dropout members need a torch model"):
        DropoutLossKernel(adapter, data.X, data.y)
