from functools import cache

import numpy as np
import pytest
import torch

from analyzers.intrinsic_interactions import IntrinsicInteractionResult, intrinsic_interactions
from analyzers.intrinsic_weights import intrinsic_pair_weights
from workbench.errors import ModelError
from workbench.zoo import build_model
from workbench.zoo.ctr_data import synthetic_ctr
from workbench.zoo.training import TrainingConfig, train_ctr_model


@cache
def planted():
    """Five fields, one planted pure pair interaction f1 × f3 and a main effect on f0."""
    data, truth = synthetic_ctr(
        n_rows=2000,
        n_fields=5,
        seed=3,
        vocab_sizes=(4, 6, 5, 6, 4),
        pairs=((1, 3),),
        triples=(),
        main_fields=(0,),
        pair_strength=2.0,
    )
    return data, truth


@cache
def trained_autoint():
    data, _ = planted()
    torch.manual_seed(0)
    model = build_model("autoint", data, embedding_dim=4, n_layers=1, heads=2, head_dim=4)
    train_ctr_model(model, data, TrainingConfig(max_epochs=6, batch_size=256, patience=2))
    return model


@pytest.mark.slow  # trains an AutoInt: about 6 s of CPU
def test_autoint_measured_sii_ranks_the_planted_pair_first_and_attention_is_reported():
    data, truth = planted()
    result = intrinsic_interactions(
        trained_autoint(), data, rows=40, background=20, model_name="autoint"
    )
    assert truth.pairs == (("f1", "f3"),)
    table = result.pairs
    measured = table[table["source"] == table["source"].iloc[0]].set_index("pair")
    assert measured["measured_rank"].idxmin() == "f1 × f3"  # 1 of 10 pairs
    # one source per layer and head, and their mean; each with its rank correlation
    assert list(result.agreement["source"]) == [
        "attention0 head0",
        "attention0 head1",
        "attention (mean of layers and heads)",
    ]
    assert result.agreement["spearman"].between(-1, 1).all()
    assert (result.agreement["top_measured"] == "f1 × f3").all()
    assert "intrinsic_is_descriptive" in {d.code for d in result.diagnostics}
    again = IntrinsicInteractionResult.from_json(result.to_json())
    assert again.agreement.equals(result.agreement) and again.how == result.how


def test_dcnv2_cross_weights_are_block_norms_of_each_field_pair():
    data, _ = planted()
    model = build_model("dcnv2", data, embedding_dim=2, n_cross=1, cross_type="full")
    W = torch.zeros(10, 10)
    W[2:4, 6:8] = torch.tensor([[3.0, 0.0], [0.0, 4.0]])  # output field 1, input field 3: norm 5
    W[6:8, 2:4] = 1.0  # output field 3, input field 1: norm 2
    with torch.no_grad():
        model.cross_weight[0].copy_(W)
    weights, _ = intrinsic_pair_weights(model, data.X[:5])
    expected = np.zeros((5, 5))
    expected[1, 3] = expected[3, 1] = (5.0 + 2.0) / 2
    np.testing.assert_allclose(weights["cross0"], expected)


def test_dcnv2_mixture_and_finalmlp_give_symmetric_weights_zero_without_the_cross_term():
    data, _ = planted()
    torch.manual_seed(0)
    mix = build_model("dcnv2", data, embedding_dim=2, n_cross=2, n_experts=2, low_rank=3)
    weights, _ = intrinsic_pair_weights(mix, data.X[:20])
    assert set(weights) == {"cross0", "cross1", "cross (sum of layers)"}
    assert all(np.allclose(w, w.T) and (w >= 0).all() for w in weights.values())
    final = build_model("finalmlp", data, embedding_dim=2, stream1_hidden=(8,), stream2_hidden=(8,))
    weights, _ = intrinsic_pair_weights(final, data.X[:20])
    assert weights["bilinear fusion"][1, 3] > 0
    with torch.no_grad():
        final.fusion_bilinear.zero_()  # no bilinear term: the fusion pairs no fields
    weights, _ = intrinsic_pair_weights(final, data.X[:20])
    np.testing.assert_allclose(weights["bilinear fusion"], 0.0)


def test_a_model_without_intrinsic_weights_is_refused_in_one_line():
    data, _ = planted()
    with pytest.raises(ModelError, match="'gdcn' has no intrinsic interaction weights"):
        intrinsic_pair_weights(build_model("gdcn", data, embedding_dim=2), data.X[:5])


def test_zoo_autoint_through_its_softmax_sites_gives_the_built_in_sources():
    data, _ = planted()
    torch.manual_seed(1)  # untrained: the reading, not the learning, is under test
    model = build_model("autoint", data, embedding_dim=4, n_layers=2, heads=2, head_dim=3)
    settings = {"rows": 30, "background": 8, "model_name": "autoint"}
    built_in = intrinsic_interactions(model, data, **settings)
    sites = ["layers.0@softmax", "layers.1@softmax"]  # torch.softmax inside each layer
    named = intrinsic_interactions(model, data, attention_sites=sites, **settings)
    renamed = {f"{site} head{h}": f"attention{layer} head{h}"
               for layer, site in enumerate(sites) for h in range(2)}  # fmt: skip
    by_site = named.pairs.replace({"source": renamed}).set_index(["source", "pair"])
    expected = built_in.pairs.set_index(["source", "pair"])
    assert sorted(by_site.index) == sorted(expected.index)  # 4 heads and their mean, 10 pairs
    np.testing.assert_allclose(
        by_site.loc[expected.index, "intrinsic"], expected["intrinsic"], rtol=1e-6
    )
    np.testing.assert_allclose(by_site.loc[expected.index, "measured"], expected["measured"])
    assert named.settings["attention_sites"] == sites and "attention_sites" not in built_in.settings
