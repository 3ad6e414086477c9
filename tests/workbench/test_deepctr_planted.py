"""DeepCTR-Torch models that learned a planted field pair, analysed through the generic path:
the measured interactions find the pair, the agreement table reports the attention beside
them with its rank correlation, and zero-ablating a SENET gate changes the loss."""

import importlib.util

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

# As tests/workbench/test_deepctr.py: never a plain import of deepctr_torch (its network check).
if importlib.util.find_spec("deepctr_torch") is None:
    pytest.skip("deepctr-torch is not installed", allow_module_level=True)

from analyzers.interactions.score import score_interactions
from tests.deepctr_planted import PLANTED_PAIR, planted_clicks, planted_model
from workbench.deepctr import DEEPCTR_SITES, wrap_deepctr
from workbench.sites import SiteSpec

SENET = SiteSpec("SE.excitation.3", **DEEPCTR_SITES["FiBiNET"]["SE.excitation.3"])


@pytest.fixture(scope="module")
def data():
    return planted_clicks()[1]


@pytest.mark.parametrize("name", ["AutoInt", "FiBiNET"])
def test_measured_sii_ranks_the_planted_pair_first(name, data):
    result = score_interactions(
        wrap_deepctr(planted_model(name)), data, "sii", rows=20, background=20, random_state=0
    )
    scores = result.global_scores().set_index("pair")["value"].abs().sort_values()
    assert scores.index[-1] == PLANTED_PAIR
    assert scores.iloc[-1] > 5 * scores.iloc[-2]  # learnt, not a near tie among ~0 values


def test_autoint_agreement_reports_the_attention_beside_sii_with_its_rank_correlation(data):
    from analyzers.intrinsic_interactions import intrinsic_interactions

    site = "int_layers.0@softmax"
    result = intrinsic_interactions(
        wrap_deepctr(planted_model("AutoInt")), data, rows=20, background=20,
        attention_sites=[site],
    )  # fmt: skip
    agreement = result.agreement.set_index("source")
    assert list(agreement.index) == [f"{site} head0", f"{site} head1",
                                     "attention (mean of layers and heads)"]  # fmt: skip
    for source, row in agreement.iterrows():
        pairs = result.pairs[result.pairs["source"] == source]
        # the measured column is the model's SII: the planted pair first, whatever the head says
        assert row["top_measured"] == PLANTED_PAIR
        assert np.ptp(pairs["intrinsic"]) > 1e-3  # a trained attention, not a uniform one
        expected = spearmanr(pairs["intrinsic"], pairs["measured"]).statistic
        assert row["n_pairs"] == 6 and row["spearman"] == pytest.approx(expected, abs=1e-9)


def test_zero_ablating_the_senet_gate_of_a_planted_field_raises_the_loss(data):
    from analyzers.gates import gate_ablation, gate_statistics

    adapter = wrap_deepctr(planted_model("FiBiNET"))
    stats = gate_statistics(adapter, data, sites=[SENET]).per_field.set_index("field")
    assert (stats["std"] > 1e-3).all()  # the excitation reads each row: a live gate per field
    effects = gate_ablation(adapter, data, sites=[SENET], n_bootstrap=50).effects
    zero = effects[effects["mode"] == "zero"].set_index("field")
    for field in ("f0", "f1"):  # the planted pair goes through the SENET product path
        assert zero.loc[field, "loss_increase_low"] > 0  # the 95% interval excludes 0
    # the noise field's gate carries nothing the model needs
    assert zero.loc["f3", "loss_increase"] < 0.1 * zero.loc["f0", "loss_increase"]


def test_the_shared_models_learned_the_table(data):
    """The guard of the tests above: both beat the constant click rate's log loss."""
    base = torch.full_like(data.y, float(data.y.mean()))
    constant = float(torch.nn.functional.binary_cross_entropy(base, data.y))
    for name in ("AutoInt", "FiBiNET"):
        with torch.no_grad():
            p = planted_model(name)(data.X).squeeze(1)
        assert float(torch.nn.functional.binary_cross_entropy(p, data.y)) < constant - 0.1
