import pytest
import torch

from tests.user_ctr import user_data, user_model
from workbench.errors import ParameterError
from workbench.kernels.tap_edits import TapEdit, TapKernel
from workbench.models import wrap_model
from workbench.sites import SiteSpec, discover_sites, parse_site, resolve_module


@pytest.fixture(scope="module")
def setup():
    data = user_data(n_rows=50)
    model = user_model()
    adapter = wrap_model(model, task="classification", output="logit", device="cpu")
    return data, model, adapter


def test_parse_site_reads_path_and_call():
    spec = parse_site("gate_sigmoid#1", "mask")
    assert (spec.path, spec.call, spec.kind, spec.name) == (
        "gate_sigmoid",
        1,
        "mask",
        "gate_sigmoid#1",
    )
    assert parse_site("layers.0").name == "layers.0" and parse_site("layers.0").call == 0
    assert SiteSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(ParameterError, match="PATH#CALL"):
        parse_site("gate_sigmoid#x")


def test_each_call_of_a_reused_module_is_its_own_site(setup):
    data, model, adapter = setup
    kernel = TapKernel(adapter, data.X)
    read = kernel.capture(["gate_sigmoid#0", "gate_sigmoid#1"])
    with torch.no_grad():
        h = model.embed(data.X)
        first = torch.sigmoid(model.layers[0](h.flatten(1)))  # (rows, fields)
        second = torch.sigmoid(model.layers[1]((h * first.unsqueeze(-1)).flatten(1)))
    torch.testing.assert_close(read["gate_sigmoid#0"], first, rtol=0, atol=0)
    torch.testing.assert_close(read["gate_sigmoid#1"], second, rtol=0, atol=0)


def test_editing_call_one_changes_only_the_second_use(setup):
    data, model, adapter = setup
    half = torch.full((3,), 0.5)
    edit = TapEdit(parse_site("gate_sigmoid#1"), torch.tensor([True, False, True]), half)
    edited = TapKernel(adapter, data.X).outputs([edit])[0]  # (rows,)
    with torch.no_grad():
        h = model.embed(data.X)
        first = torch.sigmoid(model.layers[0](h.flatten(1)))
        second = torch.sigmoid(model.layers[1]((h * first.unsqueeze(-1)).flatten(1)))
        second[:, [0, 2]] = 0.5  # fields A and C of the second layer's gate only
        expected = model.by_hand(data.X, {1: second})
        untouched = model(data.X)
    torch.testing.assert_close(edited, expected)
    assert (edited - untouched).abs().max() > 1e-3  # the edit did something


def test_one_line_errors_for_wrong_sites(setup):
    data, model, adapter = setup
    with pytest.raises(ParameterError, match="no module at this path; closest: gate_sigmoid"):
        resolve_module(model, "gate_sigmoi")
    kernel = TapKernel(adapter, data.X)
    with pytest.raises(ParameterError, match="'unused' never runs during a forward pass"):
        kernel.capture(["unused"])
    with pytest.raises(ParameterError, match=r"call #2 asked.*runs 2 time\(s\) per forward pass"):
        kernel.capture(["gate_sigmoid#2"])


def test_discover_sites_lists_each_call_of_the_shared_sigmoid_first(setup):
    data, model, _ = setup
    found = discover_sites(model, data.X[:8])
    assert [r["name"] for r in found[:2]] == ["gate_sigmoid#0", "gate_sigmoid#1"]
    assert all(r["calls"] == 2 and r["bounded"] and r["width"] == 3 for r in found[:2])
    assert "unused" not in {r["path"] for r in found}
