"""Case-level and global attention maps (AutoInt paper Fig. 7) on hand-checked AutoInts."""

import numpy as np
import pytest
import torch

from analyzers.attention_maps import AttentionMapsResult, attention_maps
from workbench.data import Dataset
from workbench.errors import ParameterError
from workbench.zoo.autoint import AutoInt
from workbench.zoo.gdcn import GDCN

FIELDS = ("colour", "size", "shape")
LEVELS = {"colour": ("red", "green", "blue", "grey"), "size": ("S", "M", "L"),
          "shape": ("disc", "cube", "cone", "ring", "star")}  # fmt: skip
CODES = torch.tensor([[0, 2, 4], [3, 1, 0], [1, 0, 2], [2, 2, 1], [0, 1, 3], [3, 0, 0]])


@pytest.fixture(scope="module")
def data():
    y = torch.tensor([0.0, 1, 0, 1, 1, 0])
    base = Dataset.from_arrays(CODES.double(), y, feature_names=FIELDS, groups="columns")
    from dataclasses import replace

    return replace(base, code_levels=LEVELS)


def _autoint(seed=0, **kwargs):
    torch.manual_seed(seed)
    config = {"embedding_dim": 4, "n_layers": 2, "heads": 2, "head_dim": 3, **kwargs}
    return AutoInt([4, 3, 5], field_names=FIELDS, **config).eval()


def test_case_map_is_the_hand_softmax_of_query_key_products(data):
    model = _autoint()
    result = attention_maps(model, data, rows=[4], sample=0)
    with torch.no_grad():
        e = model.embedding(CODES[4:5])  # (1, F, d)
        layer = model.layers[0]
        for h in range(2):
            wq = layer.query.weight[h * 3 : (h + 1) * 3]  # (d', d)
            wk = layer.key.weight[h * 3 : (h + 1) * 3]
            scores = (e[0] @ wq.T) @ (e[0] @ wk.T).T  # (F, F): query m, key k
            expected = torch.softmax(scores, dim=-1).double().numpy()
            np.testing.assert_allclose(result.matrix("attention0", h, row=4), expected, atol=1e-6)
    for site in ("attention0", "attention1"):
        assert result.heads(site) == (0, 1)
        for h in (0, 1):
            np.testing.assert_allclose(result.matrix(site, h, row=4).sum(1), 1.0, atol=1e-6)
    assert result.case_values(4) == {"colour": "red", "size": "M", "shape": "ring"}


def test_global_map_is_the_mean_of_every_row_map(data):
    result = attention_maps(_autoint(seed=1), data, rows=range(6), sample=0)
    for site in result.sites:
        for h in result.heads(site):
            per_row = np.mean([result.matrix(site, h, row=r) for r in range(6)], axis=0)
            np.testing.assert_allclose(result.matrix(site, h), per_row, atol=1e-9)


def test_zero_queries_give_uniform_maps_and_say_so(data):
    model = _autoint(n_layers=1)
    with torch.no_grad():
        model.layers[0].query.weight.zero_()  # every score 0: softmax is 1/F
    result = attention_maps(model, data, rows=[2], sample=0)
    np.testing.assert_allclose(result.matrix("attention0", 1, row=2), np.full((3, 3), 1 / 3))
    codes = {d.code for d in result.diagnostics}
    assert "attention_uniform" in codes
    assert any("global map" in d.message and "0.3333" in d.message for d in result.diagnostics)


def test_sharp_queries_are_reported_as_one_hot(data):
    model = _autoint(n_layers=1, heads=1)
    with torch.no_grad():  # huge scores: each query puts all its weight on one key
        model.layers[0].query.weight.mul_(1e4)
        model.layers[0].key.weight.mul_(1e4)
    result = attention_maps(model, data, rows=[0], sample=0)
    codes = {d.code for d in result.diagnostics}
    assert "attention_one_hot" in codes and "attention_uniform" not in codes


def test_result_round_trips_and_bad_input_is_one_line(data):
    result = attention_maps(_autoint(), data, rows=[1, 3], sample=4, model_name="tiny")
    back = AttentionMapsResult.from_json(result.to_json())
    np.testing.assert_allclose(
        back.matrix("attention1", 0, row=3), result.matrix("attention1", 0, row=3)
    )
    assert back.rows == (1, 3) and back.settings["sample_rows"] == 4
    with pytest.raises(ParameterError, match=r"rows: 6 is not a row position 0\.\.5"):
        attention_maps(_autoint(), data, rows=[6])
    torch.manual_seed(0)
    with pytest.raises(ParameterError, match="names no attention sites"):
        attention_maps(GDCN([4, 3, 5], embedding_dim=4, field_names=FIELDS), data)
