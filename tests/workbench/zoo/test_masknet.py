import torch

from workbench.zoo import MODELS
from workbench.zoo.ctr_data import synthetic_ctr
from workbench.zoo.masknet import MaskNet
from workbench.zoo.training import TrainingConfig, _cache_key


def _layer_norm(x, gain, bias, eps=1e-5):
    """LayerNorm over the last axis, written out (biased variance, as the paper and torch)."""
    centred = x - x.mean(dim=-1, keepdim=True)
    variance = (centred**2).mean(dim=-1, keepdim=True)
    return centred / torch.sqrt(variance + eps) * gain + bias


def test_serial_masknet_output_is_a_hand_recomputation_of_eq_9():
    torch.manual_seed(3)
    model = MaskNet([4, 3, 5], embedding_dim=3, n_blocks=1, block_width=4, hidden=()).eval()
    with torch.no_grad():  # non-trivial gains and biases, different per field
        for norm in model.field_norms:
            norm.weight.uniform_(0.5, 2.0)
            norm.bias.uniform_(-0.5, 0.5)
    codes = torch.tensor([[0, 2, 4], [3, 1, 0]])
    e = [model.embedding.field_table(f)[codes[:, f]] for f in range(3)]  # 3 × (rows, 3)
    v_emb = torch.cat(e, dim=1)
    # eq. 9: LN_EMB = concat(LN(e_1), ..., LN(e_f)), each field with its own gain and bias
    ln_emb = torch.cat(
        [
            _layer_norm(e[f], model.field_norms[f].weight, model.field_norms[f].bias)
            for f in range(3)
        ],
        dim=1,
    )
    block = model.blocks[0]
    first, second = block.mask_layer[0], block.mask_layer[2]
    mask = torch.relu(v_emb @ first.weight.T + first.bias) @ second.weight.T + second.bias
    hidden = (mask * ln_emb) @ block.hidden.weight.T
    out = torch.relu(_layer_norm(hidden, block.norm.weight, block.norm.bias))
    final = model.output_mlp[0]
    expected = (out @ final.weight.T + final.bias).squeeze(1)
    with torch.no_grad():
        torch.testing.assert_close(model(codes), expected)
        # one LayerNorm over the whole concatenation (the old code) gives another input
        whole = _layer_norm(v_emb, 1.0, 0.0)
        assert not torch.allclose(model.normalise_fields(v_emb), whole, atol=1e-3)


def test_masknet_revision_changes_the_cache_key_of_its_sample_model():
    data = synthetic_ctr(n_rows=50, n_fields=3, seed=0, triples=(), main_fields=(1,))[0]
    training = TrainingConfig()
    before = _cache_key("masknet", data, {}, training, 0.2)
    try:
        MODELS["masknet"].revision = 1
        assert _cache_key("masknet", data, {}, training, 0.2) != before
    finally:
        MODELS["masknet"].revision = 2
    assert MaskNet.revision == 2
