import pytest
import torch

from tests.user_ctr import user_data, user_model
from workbench.errors import ParameterError
from workbench.kernels.tap_edits import TapEdit, TapKernel
from workbench.models import wrap_model
from workbench.sites import SiteHooks, SiteSpec, discover_sites, parse_site, resolve_module


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


class TwoSoftmaxes(torch.nn.Module):
    """Attention computed by function calls, as DeepCTR-Torch's layers do: no module to hook."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.mix = torch.nn.Linear(3, 3)
        self.fail = fail

    def forward(self, x):
        first = torch.nn.functional.softmax(self.mix(x), dim=-1)  # (rows, 3)
        second = torch.softmax(x, dim=-1)
        if self.fail:
            raise RuntimeError("forward failed")
        return (first * second).sum(-1)


class Outer(torch.nn.Module):
    def __init__(self, fail: bool = False) -> None:
        super().__init__()
        self.block = TwoSoftmaxes(fail)

    def forward(self, x):
        return self.block(x) + torch.softmax(x, dim=-1)[:, 0]  # a call outside the block


def test_function_sites_read_and_replace_each_softmax_call_inside_the_module():
    torch.manual_seed(0)
    model, x = Outer(), torch.randn(5, 3)
    adapter = wrap_model(model, task="classification", output="logit", device="cpu")
    read = TapKernel(adapter, x).capture(["block@softmax", "block@softmax#1"])
    with torch.no_grad():
        torch.testing.assert_close(read["block@softmax"], torch.softmax(model.block.mix(x), -1))
        torch.testing.assert_close(read["block@softmax#1"], torch.softmax(x, -1))
    edit = TapEdit(parse_site("block@softmax#1"), torch.ones(3, dtype=torch.bool), torch.ones(3))
    edited = TapKernel(adapter, x).outputs([edit])[0]
    with torch.no_grad():
        expected = torch.softmax(model.block.mix(x), -1).sum(-1) + torch.softmax(x, -1)[:, 0]
    torch.testing.assert_close(edited, expected)  # the outer call is not the site's
    assert torch.nn.functional.softmax is ORIGINAL_SOFTMAX and torch.softmax is ORIGINAL_TORCH


ORIGINAL_SOFTMAX, ORIGINAL_TORCH = torch.nn.functional.softmax, torch.softmax


def test_function_sites_restore_the_function_when_forward_raises():
    model = Outer(fail=True)
    spec = parse_site("block@softmax")
    with SiteHooks(model, {spec: lambda out: None}):
        with pytest.raises(RuntimeError, match="forward failed"):
            model(torch.randn(2, 3))
        assert torch.nn.functional.softmax is ORIGINAL_SOFTMAX  # restored before the block ends
        assert torch.softmax is ORIGINAL_TORCH


def test_function_site_errors_are_one_line(setup):
    data, _model, adapter = setup
    kernel = TapKernel(adapter, data.X)
    with pytest.raises(ParameterError, match=r"softmax is never called inside module 'layers\.0'"):
        kernel.capture(["layers.0@softmax"])
    with pytest.raises(ParameterError, match=r"'layers\.9': .* no module at this path"):
        kernel.capture(["layers.9@softmax"])
    with pytest.raises(ParameterError, match="function 'relu' cannot be a site; choose from"):
        parse_site("layers.0@relu")
    spec = parse_site("int_layers.0@softmax#2", "attention", rows_axis=1)
    assert (spec.path, spec.function, spec.call, spec.name) == (
        "int_layers.0", "softmax", 2, "int_layers.0@softmax#2"
    )  # fmt: skip
    assert SiteSpec.from_dict(spec.to_dict()) == spec


def test_zoo_autoint_read_through_its_softmax_equals_its_tap():
    from workbench.zoo.autoint import AutoInt

    torch.manual_seed(0)
    model = AutoInt([4, 3, 5], embedding_dim=4, n_layers=2, heads=2, head_dim=3).eval()
    adapter = wrap_model(model, task="classification", output="logit", device="cpu")
    codes = torch.tensor([[0, 2, 4], [3, 1, 0], [1, 0, 2]])
    read = TapKernel(adapter, codes).capture(["attention1", "layers.1@softmax"])
    torch.testing.assert_close(read["layers.1@softmax"], read["attention1"], rtol=0, atol=0)


def test_discover_sites_lists_function_calls_inside_modules():
    torch.manual_seed(0)
    found = {r["name"]: r for r in discover_sites(Outer(), torch.randn(5, 3))}
    first, second = found["block@softmax#0"], found["block@softmax#1"]
    assert (first["function"], first["calls"], first["width"], first["bounded"]) == (
        "softmax", 2, 3, True
    )  # fmt: skip
    assert second["type"] == "softmax()" and "block.mix" in found
    assert not [name for name in found if name.startswith("@")]  # the root's call has no path
    assert torch.nn.functional.softmax is ORIGINAL_SOFTMAX
