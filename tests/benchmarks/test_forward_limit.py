"""The forward-only limit counts the rows the model really receives, and replays exactly those."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
import torch

from workbench import wrap_model
from workbench.models.adapter import ModelAdapter

# benchmarks/ is a folder of scripts, not a package: its modules import each other by name.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from forward_limit import forward_only, record_batches


class SeenRows(torch.nn.Module):
    """A linear model that keeps every input batch it was called with."""

    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)
        self.seen: list[torch.Tensor] = []

    def forward(self, x):
        self.seen.append(x.clone())
        return self.linear(x)


class AssemblingAdapter(ModelAdapter):
    """Scaled rows without calling forward (as a cached first layer would)."""

    def forward_scaled(self, scale, inputs):
        return torch.zeros(scale.shape[0] * inputs.shape[0])


def toy_adapter():
    return wrap_model(SeenRows(), task="regression", device="cpu")


def test_rows_per_call_count_scaled_variants_once():
    adapter = toy_adapter()
    with record_batches() as log:
        adapter.forward(torch.zeros(5, 3))
        adapter.forward_scaled(torch.ones(4, 3), torch.zeros(7, 3))  # 4 variants × 7 rows
        adapter.predict(torch.zeros(2, 3))
    # forward_scaled runs forward inside; the 28 rows are one call, not two.
    assert log.rows_per_call == [5, 28, 2]
    assert (log.calls, log.rows) == (3, 35)


def test_methods_restored_after_the_block_even_on_error():
    forward, scaled = ModelAdapter.forward, ModelAdapter.forward_scaled
    adapter = toy_adapter()
    with pytest.raises(RuntimeError), record_batches() as log:
        adapter.forward(torch.zeros(1, 3))
        raise RuntimeError("the benchmark failed")
    adapter.forward(torch.zeros(9, 3))
    assert log.rows_per_call == [1]
    assert ModelAdapter.forward is forward and ModelAdapter.forward_scaled is scaled


def test_subclass_override_is_counted_and_inheritance_restored():
    module = SeenRows()
    own_scaled = AssemblingAdapter.__dict__["forward_scaled"]
    wrapped = wrap_model(module, task="regression", device="cpu")
    fields = {f.name: getattr(wrapped, f.name) for f in dataclasses.fields(wrapped) if f.init}
    adapter = AssemblingAdapter(**fields)
    with record_batches(AssemblingAdapter, modules=(module,)) as log:
        adapter.forward_scaled(torch.ones(3, 3), torch.zeros(2, 3))
        module(torch.zeros(4, 3))  # a kernel calling the module directly
        adapter.forward(torch.zeros(6, 3))  # the module call inside is not counted again
    assert log.rows_per_call == [6, 4, 6]
    assert "forward" not in AssemblingAdapter.__dict__
    assert AssemblingAdapter.__dict__["forward_scaled"] is own_scaled


def test_replay_feeds_the_same_batches_of_tiled_data_rows():
    adapter = toy_adapter()
    with record_batches() as log:
        adapter.forward_scaled(torch.ones(2, 3), torch.zeros(4, 3))
        adapter.forward(torch.zeros(3, 3))
    data = torch.arange(9, dtype=torch.float32).reshape(3, 3)  # 3 real rows
    adapter.module.seen.clear()
    limit = forward_only(adapter, log, data, repeats=2)
    # a warm-up call, then each recorded batch once per repeat
    assert [len(x) for x in adapter.module.seen] == [8, 8, 3, 8, 3]
    assert torch.equal(adapter.module.seen[1], data.repeat(3, 1)[:8])
    assert (limit.calls, limit.rows, limit.largest_batch) == (2, 11, 8)
    assert limit.seconds > 0 and limit.ratio(2 * limit.seconds) == pytest.approx(2.0)
