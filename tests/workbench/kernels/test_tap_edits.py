import pytest
import torch

from workbench.errors import ModelError, ParameterError
from workbench.kernels.tap_edits import TapEdit, TapKernel
from workbench.models import wrap_model
from workbench.zoo import build_model
from workbench.zoo.ctr_data import synthetic_ctr


@pytest.fixture(scope="module")
def setup():
    data = synthetic_ctr(n_rows=300, n_fields=4, seed=0, triples=(), main_fields=(3,))[0]
    torch.manual_seed(0)
    model = build_model("gdcn", data, embedding_dim=3, n_cross=2, hidden=[8]).eval()
    adapter = wrap_model(model, task="classification", output="logit", device="cpu")
    return data, model, adapter


def _edits(width):
    generator = torch.Generator().manual_seed(0)
    edits = []
    for site in ("cross0_gate", "cross1", "cross0_gate"):
        units = torch.rand(width, generator=generator) < 0.4
        values = torch.randn(width, generator=generator)
        edits.append(TapEdit(site, units, values))
    return edits


def _one_pass_per_edit(model, X, edit):
    """Reference: the user's own model, one hooked forward pass per edit."""

    def hook(_m, _i, out):
        return torch.where(edit.units, edit.values, out)

    handle = model.taps[edit.site].register_forward_hook(hook)
    try:
        with torch.no_grad():
            return model(X)
    finally:
        handle.remove()


@pytest.mark.parametrize("max_batch_rows", [None, 1000, 128])
def test_stacked_edits_equal_one_forward_pass_per_edit(setup, max_batch_rows):
    data, model, adapter = setup
    edits = _edits(12)
    kernel = TapKernel(adapter, data.X, max_batch_rows=max_batch_rows)
    got = kernel.outputs(edits)
    expected = torch.stack([_one_pass_per_edit(model, data.X, e) for e in edits])
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        assert not torch.allclose(got[0], model(data.X))  # the edits do change the outputs
    if max_batch_rows is None:
        assert kernel.forward_passes == 2  # one pass per site, not per edit


def test_capture_reads_the_tap_outputs(setup):
    data, model, adapter = setup
    kernel = TapKernel(adapter, data.X, max_batch_rows=64)
    captured = kernel.capture(["cross0_gate"])["cross0_gate"]
    seen = []
    handle = model.taps["cross0_gate"].register_forward_hook(lambda _m, _i, o: seen.append(o))
    with torch.no_grad():
        model(data.X)
    handle.remove()
    torch.testing.assert_close(captured, seen[0])
    assert ((captured > 0) & (captured < 1)).all()  # a sigmoid gate


def test_bad_sites_and_shapes(setup):
    data, _, adapter = setup
    kernel = TapKernel(adapter, data.X)
    with pytest.raises(ParameterError, match=r"site 'nope'.*sites: cross0_gate"):
        kernel.capture(["nope"])
    wrong = TapEdit("cross0_gate", torch.ones(5, dtype=torch.bool), torch.zeros(5))
    with pytest.raises(ParameterError, match="does not match"):
        kernel.outputs([wrong])
    sklearn_like = wrap_model(lambda X: X[:, 0] * 0 + 0.5, device="cpu")
    with pytest.raises(ModelError, match="torch model"):
        TapKernel(sklearn_like, data.X)
