import pytest
import torch

from workbench.errors import ParameterError
from workbench.zoo.autoint import AutoInt
from workbench.zoo.fcn import FCN

CODES = torch.tensor([[0, 2, 4], [3, 1, 0], [1, 0, 2]])


def _capture(model, names):
    seen = {}
    for name in names:
        model.taps[name].register_forward_hook(lambda _m, _i, out, n=name: seen.update({n: out}))
    return seen


def test_autoint_attention_is_the_softmax_of_query_key_products():
    """Layer 0, head h: α_{m,k} = softmax_k(⟨W_Q e_m, W_K e_k⟩) (paper eq. 5-6), unscaled."""
    torch.manual_seed(0)
    model = AutoInt([4, 3, 5], embedding_dim=4, n_layers=1, heads=2, head_dim=3).eval()
    seen = _capture(model, ["attention0"])
    with torch.no_grad():
        model(CODES)
        e = model.embedding(CODES)  # (rows, F, d)
        layer = model.layers[0]
        for h in range(2):
            wq = layer.query.weight[h * 3 : (h + 1) * 3]  # (d', d)
            wk = layer.key.weight[h * 3 : (h + 1) * 3]
            expected = torch.softmax((e @ wq.T) @ (e @ wk.T).transpose(1, 2), dim=-1)
            torch.testing.assert_close(seen["attention0"][:, h], expected)


def test_autoint_uniform_attention_mixes_the_mean_value():
    """Replacing α by 1/F through the tap makes every field read the mean value vector, the
    'no attention' intervention the intrinsic-interaction analyses rely on."""
    torch.manual_seed(0)
    model = AutoInt([4, 3, 5], embedding_dim=4, n_layers=1, heads=1, head_dim=4).eval()
    model.taps["attention0"].register_forward_hook(lambda _m, _i, out: torch.full_like(out, 1 / 3))
    with torch.no_grad():
        e = model.embedding(CODES)
        layer = model.layers[0]
        mean_value = layer.value(e).mean(dim=1, keepdim=True)  # (rows, 1, d')
        e1 = torch.relu(mean_value + layer.residual(e))
        expected = model.output(e1.flatten(1)).squeeze(1)
        torch.testing.assert_close(model(CODES), expected)


def test_autoint_refuses_mixed_field_dims():
    with pytest.raises(ParameterError, match="field_dims: AutoInt attends across fields"):
        AutoInt([4, 3], field_dims=[2, 3])


def test_fcn_mask_is_relu_of_layer_norm_and_output_is_the_mean_probability():
    torch.manual_seed(0)
    model = FCN([4, 3, 5], embedding_dim=4, n_linear=2, n_exponential=2).eval()
    names = [s.name for s in model.gate_sites()]
    seen = _capture(model, names)
    with torch.no_grad():
        logit = model(CODES)
        x0 = model.embedding(CODES).flatten(1)
        layer = model.networks["linear"][0]
        h = layer.project(x0)
        torch.testing.assert_close(seen["linear0_mask"], torch.relu(layer.norm(h)))
        # LayerNorm centres H, so (with the initial unit gain, zero bias) about half is masked
        assert 0.3 < float((seen["exponential1_mask"] == 0).float().mean()) < 0.7
        parts = model.network_logits(model.embedding(CODES))
    mean_probability = (torch.sigmoid(parts["linear"]) + torch.sigmoid(parts["exponential"])) / 2
    torch.testing.assert_close(torch.sigmoid(logit), mean_probability)


def test_fcn_exponential_layer_multiplies_by_its_own_input():
    """ECN: x_{l+1} = x_l ⊙ (H' + b) + x_l; LCN uses x_0. With x_1 != x_0 they differ."""
    torch.manual_seed(1)
    model = FCN([4, 3], embedding_dim=2, n_linear=2, n_exponential=2).eval()
    x0 = model.embedding(CODES[:, :2]).flatten(1)
    with torch.no_grad():
        x1 = model.networks["exponential"][0](x0, x0)
        second = model.networks["exponential"][1]
        h = second.project(x1)
        h_masked = torch.cat([h, h * torch.relu(second.norm(h))], dim=1)
        torch.testing.assert_close(second(x0, x1), x1 * (h_masked + second.bias) + x1)


def test_fcn_needs_an_even_width():
    with pytest.raises(ParameterError, match="must be even, got 5"):
        FCN([4, 3], field_dims=[2, 3])
