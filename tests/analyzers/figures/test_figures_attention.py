"""Attention small multiples: one heat map per layer and head, labelled with the case's values."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from analyzers.attention_maps import attention_maps
from analyzers.figures.attention_maps import attention_map_figure
from analyzers.figures.reading import reading_of
from workbench.data import Dataset
from workbench.errors import ParameterError
from workbench.zoo.autoint import AutoInt

FIELDS = ("colour", "size", "shape")
LEVELS = {"colour": ("red", "green"), "size": ("S", "M", "L"), "shape": ("disc", "cube")}


@pytest.fixture(scope="module")
def result():
    X = torch.tensor([[0, 2, 1], [1, 0, 0], [1, 1, 1], [0, 0, 0]], dtype=torch.float64)
    data = Dataset.from_arrays(X, torch.tensor([0.0, 1, 1, 0]), feature_names=FIELDS,
                               groups="columns")  # fmt: skip
    torch.manual_seed(0)
    model = AutoInt([2, 3, 2], field_names=FIELDS, embedding_dim=4, n_layers=2, heads=3,
                    head_dim=2).eval()  # fmt: skip
    return attention_maps(model, replace(data, code_levels=LEVELS), rows=[0], sample=0)


def test_case_figure_has_a_map_per_layer_and_head_labelled_with_the_row_values(result):
    fig = attention_map_figure(result, row=0)
    assert len(fig.data) == 2 * 3  # 2 layers x 3 heads
    labels = ["colour = red", "size = L", "shape = cube"]
    fourth = fig.data[3]  # attention1, head 0
    assert list(fourth.y) == labels and list(fourth.x) == labels
    np.testing.assert_allclose(np.asarray(fourth.z), result.matrix("attention1", 0, row=0))
    assert "attention1 · head 0" in [a.text for a in fig.layout.annotations]
    assert "each row sums to 1" in reading_of(fig) and "row 0" in reading_of(fig)


def test_global_figure_names_the_fields_and_the_sample(result):
    fig = attention_map_figure(result)
    assert list(fig.data[0].x) == list(FIELDS)
    np.testing.assert_allclose(np.asarray(fig.data[0].z), result.matrix("attention0", 0))
    assert "mean of the per-row maps over 4 rows" in reading_of(fig)
    with pytest.raises(ParameterError, match=r"row: 2 is not a case of this result"):
        attention_map_figure(result, row=2)
