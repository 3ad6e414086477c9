"""Stacked sites ("tables.*"): several modules' outputs joined as fields, in the data's order."""

import pytest
import torch
from torch import nn

from workbench.errors import ParameterError
from workbench.kernels.tap_edits import TapKernel
from workbench.models import wrap_model
from workbench.sites import SiteHooks, SiteSpec, measure_sites, parse_site


class PerFieldTables(nn.Module):
    """One table per field, registered in the reverse of the input's column order, with
    different widths (b: 3, a: 2), looked up one at a time as DeepCTR-Torch does."""

    def __init__(self) -> None:
        super().__init__()
        self.tables = nn.ModuleDict({"b": nn.Embedding(4, 3), "a": nn.Embedding(5, 2)})

    def forward(self, X):  # X: (rows, 2) codes of a, b
        a = self.tables["a"](X[:, 0].long())  # (rows, 2)
        b = self.tables["b"](X[:, 1].long())  # (rows, 3)
        return torch.cat([a, b], 1).sum(1, keepdim=True)


def test_a_stacked_site_joins_the_tables_in_field_order_with_their_widths():
    model = PerFieldTables()
    X = torch.tensor([[4.0, 1.0], [0.0, 3.0]])
    [site] = measure_sites(model, [parse_site("tables.*", "embedding")], lambda: model(X), 2,
                           ("a", "b"))  # fmt: skip
    assert site.members == ("a", "b") and site.field_slices == ((0, 2), (2, 5))
    read = TapKernel(wrap_model(model, task="classification"), X).capture([site])["tables.*"]
    with torch.no_grad():
        by_hand = torch.cat([model.tables["a"].weight[[4, 0]], model.tables["b"].weight[[1, 3]]], 1)
    assert torch.equal(read, by_hand)
    # fields not named like the children: the children's own order
    [plain] = measure_sites(model, [parse_site("tables.*", "embedding")], lambda: model(X), 2)
    assert plain.members is None and plain.field_slices == ((0, 3), (3, 5))


def test_a_stacked_site_with_a_wrong_member_or_a_replacement_is_one_line():
    model = PerFieldTables()
    X = torch.zeros(2, 2)
    with pytest.raises(ParameterError, match="no child 'c'"):
        measure_sites(model, [SiteSpec("tables.*", kind="embedding", members=("a", "c"))],
                      lambda: model(X), 2)  # fmt: skip
    with pytest.raises(ParameterError, match="can be read, not replaced"):
        with SiteHooks(model, {parse_site("tables.*", "embedding"): torch.zeros_like}):
            model(X)
