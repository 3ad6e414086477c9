"""A model that takes a dict of tensors (FuxiCTR style), fed through a field specification."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from analyzers.gate_interactions import field_interactions
from analyzers.gates import gate_statistics
from workbench.data import Dataset
from workbench.errors import ModelError, ParameterError
from workbench.field_inputs import DictInputs
from workbench.models import wrap_model
from workbench.sites import SiteSpec


class DictModel(nn.Module):
    """logit = 3·[user = 1]·[item = 2] + sigmoid(a·price + b)·price: one planted pair."""

    def __init__(self) -> None:
        super().__init__()
        self.price_gate = nn.Sequential(nn.Linear(1, 1), nn.Sigmoid())

    def forward(self, inputs: dict) -> torch.Tensor:
        pair = (inputs["user"] == 1).float() * (inputs["item"] == 2).float()  # (rows,)
        price = inputs["price"]  # (rows,) float
        return 3 * pair + self.price_gate(price[:, None]).squeeze(1) * price


@pytest.fixture(scope="module")
def wrapped():
    rng = np.random.default_rng(0)
    n = 1500
    frame = pd.DataFrame(
        {
            "user": rng.choice(["u0", "u1", "u2"], n),
            "item": rng.choice(["i0", "i1", "i2"], n),
            "price": rng.normal(size=n).round(2),
        }
    )
    logit = 3 * ((frame["user"] == "u1") & (frame["item"] == "i2")) - 1 + frame["price"]
    frame["click"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    data = Dataset.from_frame(frame, "click", categorical="codes")
    torch.manual_seed(0)
    fields = {"user": "user", "item": "item", "price": ["price"]}
    model = DictInputs(DictModel(), fields, data.feature_names, dtypes={"price": "float"})
    return data.with_groups(model.groups()), model


def test_field_spec_feeds_the_dict_and_finds_the_planted_pair(wrapped):
    data, model = wrapped
    adapter = wrap_model(model, task="classification", output="logit", device="cpu")
    pairs = field_interactions(adapter, data, n_permutations=3, random_state=0)
    assert {pairs.iloc[0]["field_1"], pairs.iloc[0]["field_2"]} == {"user", "item"}
    # Sites are the wrapped model's own paths.
    site = SiteSpec("price_gate.1", field_aligned=False)
    stats = gate_statistics(adapter, data, sites=[site]).per_unit_site
    price = data.X[:, data.feature_names.index("price")]
    with torch.no_grad():
        expected = model.wrapped_model.price_gate(price[:, None]).mean()
    assert stats.iloc[0]["mean"] == pytest.approx(float(expected), rel=1e-6)


def test_a_field_spec_that_does_not_match_is_one_line(wrapped):
    data, _ = wrapped
    with pytest.raises(ParameterError, match="no column 'prise' in the data; closest: price"):
        DictInputs(DictModel(), {"price": "prise"}, data.feature_names)
    partial = DictInputs(DictModel(), {"user": "user", "price": "price"}, data.feature_names)
    with pytest.raises(ModelError, match="reads input 'item', which the field specification"):
        partial(data.X[:3])
    with pytest.raises(ParameterError, match="dtypes must map"):
        DictInputs(DictModel(), {"user": "user"}, data.feature_names, dtypes={"user": "int8"})
