import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from analyzers.gate_attributions import gate_attributions
from analyzers.gate_interactions import field_interactions
from analyzers.gate_results import GateAblation, GateReport, GateStatistics
from analyzers.gates import analyze_gates, gate_ablation, gate_statistics, weighted_auc
from tests.ctr_helpers import trained_on_synthetic
from workbench.data import Dataset
from workbench.errors import ParameterError
from workbench.models import wrap_model
from workbench.zoo import build_model
from workbench.zoo.base import CtrModel
from workbench.zoo.ctr_data import synthetic_ctr


class FixedGateModel(CtrModel):
    """logit = Σ_f gate_f · 2·s_f with s_f = ±1 the field's level: the gate passes field A
    (1), closes field B (0) and half-opens C (0.5), the same for every row."""

    name = "fixed_gate"

    def __init__(self, vocab_sizes, *, field_names=None, embedding_dim=2, gate=(1.0, 0.0, 0.5)):
        super().__init__(
            vocab_sizes, field_names=field_names, embedding_dim=embedding_dim, gate=list(gate)
        )
        self.tap = self._add_site(
            "gate", "gate", self.flat_dim, field_aligned=True, open_value=1.0, value_range="[0, 1]"
        )
        per_unit = torch.repeat_interleave(torch.tensor(gate), embedding_dim)
        self.register_buffer("gate_values", per_unit)
        with torch.no_grad():
            for table in self.embedding.tables:
                table.weight.copy_(torch.tensor([[-1.0] * embedding_dim, [1.0] * embedding_dim]))

    def head(self, emb):
        flat = emb.flatten(1)  # (batch, fields·dim)
        gate = self.tap(self.gate_values.expand_as(flat))
        return (flat * gate).sum(1)


@pytest.fixture(scope="module")
def gated():
    rng = np.random.default_rng(0)
    signs = rng.choice([-1, 1], size=(2000, 3))
    # The label depends on A and B alike, so B is informative: only the gate hides it.
    y = rng.random(2000) < 1 / (1 + np.exp(-2 * (signs[:, 0] + signs[:, 1])))
    frame = pd.DataFrame(np.where(signs > 0, "high", "low"), columns=["A", "B", "C"])
    data = Dataset.from_frame(frame.assign(click=y.astype(int)), "click", categorical="codes")
    model = FixedGateModel([2, 2, 2], field_names=data.feature_names)
    with torch.no_grad():  # codes: "high" = 0, "low" = 1 (sorted labels)
        for table in model.embedding.tables:
            table.weight.copy_(torch.tensor([[1.0, 1.0], [-1.0, -1.0]]))
    return data, model.eval()


def test_statistics_rank_the_passed_field_above_the_closed_one(gated):
    data, model = gated
    stats = gate_statistics(model, data, device="cpu").per_field.set_index("field")
    assert stats.loc["A", "mean"] == pytest.approx(1.0)
    assert stats.loc["B", "mean"] == pytest.approx(0.0)
    assert stats.loc["C", "mean"] == pytest.approx(0.5)
    assert stats.loc["B", "share_near_zero"] == 1.0 and stats.loc["A", "share_near_zero"] == 0.0
    assert (stats["instance_dependence"] == 0).all()  # the gate is the same for every row


def test_ablation_ranks_a_above_b_and_ablating_b_changes_nothing(gated):
    data, model = gated
    result = gate_ablation(model, data, n_bootstrap=50, device="cpu")
    effects = result.effects.set_index(["field", "mode"])
    assert effects.loc[("A", "zero"), "loss_increase_low"] > 0.02
    for mode in ("zero", "mean"):
        row = effects.loc[("B", mode)]
        assert row["loss_increase"] == 0 and row["mean_abs_logit_change"] == 0
        assert row["loss_increase_low"] == 0 and row["loss_increase_high"] == 0
        assert row["auc_change"] == 0
    # A constant gate is its own mean: mean-ablation changes no field.
    assert (result.effects.query("mode == 'mean'")["mean_abs_logit_change"] < 1e-6).all()
    # Opening B lets an informative field in, so the loss falls.
    assert effects.loc[("B", "open"), "loss_increase_high"] < 0
    ranking = result.ranking("gate", "zero")
    assert ranking[0] == "A" and ranking.index("A") < ranking.index("B")
    assert set(ranking) == {"A", "B", "C"}


def test_attributions_give_the_closed_field_nothing(gated):
    data, model = gated
    attributions = gate_attributions(model, data, rows=200, device="cpu").per_field
    for method in ("feature_ablation", "integrated_gradients"):
        by_field = attributions.query(f"method == '{method}'").set_index("field")
        assert by_field.loc["B", "mean_abs_attribution"] == 0
        assert by_field.loc["A", "mean_abs_attribution"] > by_field.loc["C", "mean_abs_attribution"]


@pytest.mark.slow
def test_integrated_gradients_are_complete():
    data = synthetic_ctr(n_rows=400, n_fields=5, seed=1, triples=(), main_fields=(4,))[0]
    torch.manual_seed(0)
    model = build_model("gdcn", data, embedding_dim=4, n_cross=2, hidden=[16])
    with torch.no_grad():  # large embeddings: a strongly non-linear path to integrate along
        for table in model.embedding.tables:
            table.weight.mul_(20)
    result = gate_attributions(model, data, rows=20, n_steps=128, device="cpu")
    gaps = result.completeness.set_index("method")
    gap = gaps.loc["integrated_gradients"]
    assert gap["mean_abs_output_change"] > 0.1
    tolerance = 0.03 * gap["mean_abs_output_change"]
    assert gap["max_abs_gap"] < tolerance
    coarse = gate_attributions(model, data, rows=20, n_steps=4, device="cpu").completeness
    # The gap is an integration error: it shrinks with more steps (the check can fail).
    assert coarse.set_index("method").loc["integrated_gradients", "max_abs_gap"] > tolerance


def test_weighted_auc_matches_scikit_learn_with_ties():
    rng = np.random.default_rng(3)
    scores = np.round(rng.normal(size=500), 1)  # many ties
    y = (rng.random(500) < 0.3).astype(float)
    weights = rng.poisson(1.0, size=(4, 500)).astype(float)
    got = weighted_auc(torch.tensor(scores), torch.tensor(y), torch.tensor(weights))
    for draw in range(4):
        expected = roc_auc_score(y, scores, sample_weight=weights[draw])
        assert got[draw].item() == pytest.approx(expected, abs=1e-12)
    assert weighted_auc(torch.tensor(scores), torch.tensor(y), None).item() == pytest.approx(
        roc_auc_score(y, scores), abs=1e-12
    )


def test_report_round_trips_through_json(gated):
    data, model = gated
    report = analyze_gates(model, data, n_bootstrap=20, attribution_rows=50, n_permutations=2)
    back = GateReport.from_json(report.to_json())
    for name in ("per_field", "per_level", "per_unit_site"):
        pd.testing.assert_frame_equal(
            getattr(back.statistics, name), getattr(report.statistics, name)
        )
    pd.testing.assert_frame_equal(back.ablation.effects, report.ablation.effects)
    pd.testing.assert_frame_equal(
        back.attributions.rank_agreement, report.attributions.rank_agreement
    )
    pd.testing.assert_frame_equal(back.interactions, report.interactions)
    assert back.statistics.sites == report.statistics.sites == ("gate",)
    assert back.ablation.base_loss == report.ablation.base_loss
    assert (
        GateStatistics.from_dict(report.statistics.to_dict()).settings == report.statistics.settings
    )
    assert GateAblation.from_dict(report.ablation.to_dict()).forward_passes > 0
    assert back.model_names == ("model",) and back.seconds == report.seconds > 0
    assert back.diagnostics == report.diagnostics
    assert back.settings == report.settings and back.settings["random_state"] == 0
    pd.testing.assert_frame_equal(back.to_frame(), report.ablation.effects)


def test_a_constant_gate_site_is_flagged_and_a_varying_one_is_not(gated):
    data, model = gated
    stats = gate_statistics(model, data, device="cpu")
    assert [d.code for d in stats.diagnostics] == ["constant_gate_site"]
    assert "'gate'" in stats.diagnostics[0].message
    ctr = synthetic_ctr(n_rows=300, n_fields=4, seed=2, triples=(), main_fields=(3,))[0]
    torch.manual_seed(0)
    varying = build_model("gdcn", ctr, embedding_dim=4, n_cross=1, hidden=[8])
    assert gate_statistics(varying, ctr, device="cpu").diagnostics == ()


def test_a_site_no_ablation_moves_is_flagged(gated):
    data, model = gated
    assert gate_ablation(model, data, n_bootstrap=20, device="cpu").diagnostics == ()
    closed = FixedGateModel([2, 2, 2], field_names=data.feature_names, gate=(0.0, 0.0, 0.0))
    result = gate_ablation(closed, data, modes=("mean", "zero"), n_bootstrap=20, device="cpu")
    assert [d.code for d in result.diagnostics] == ["no_ablation_effect"]


def test_progress_reports_each_stage_and_old_names_still_work(gated):
    data, model = gated
    steps = []
    with pytest.warns(FutureWarning) as renamed:
        report = analyze_gates(
            model,
            data,
            n_bootstrap=20,
            seed=0,
            attributions=False,
            interactions=False,
            model_name="fixed",
            progress=lambda *step: steps.append(step),
        )
    messages = " ".join(str(w.message) for w in renamed)
    for old, new in [("seed", "random_state"), ("attributions", "compute_attributions")]:
        assert f"{old}= is renamed {new}=" in messages
    assert "interactions= is renamed compute_interactions=" in messages
    assert report.attributions is None and report.interactions.empty
    assert steps == [("statistics", 0, 2), ("ablation", 1, 2), ("ablation", 2, 2)]
    with pytest.warns(FutureWarning, match="renamed model_names"):
        assert report.statistics.model == "fixed" == report.statistics.model_name


def test_bad_input(gated):
    data, model = gated
    with pytest.raises(ParameterError, match="modes must be"):
        gate_ablation(model, data, modes=("half",))
    with pytest.raises(ParameterError, match="site 'nope'"):
        gate_statistics(model, data, sites=["nope"])
    # Any torch model is accepted; one that names no sites must be told where they are.
    with pytest.raises(ParameterError, match="names no sites of its own; pass sites"):
        gate_statistics(wrap_model(torch.nn.Linear(3, 1), device="cpu"), data)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["finalmlp", "gdcn"])
def test_planted_pair_has_the_largest_field_interaction(name):
    trained = trained_on_synthetic(name)
    adapter = wrap_model(trained.model, task="classification", output="logit", device="cpu")
    scores = field_interactions(adapter, trained.test, n_permutations=5, random_state=0)
    top = scores.iloc[0]
    assert {top["field_1"], top["field_2"]} == {"f0", "f1"}
    assert abs(top["fis"]) > 5 * abs(scores.iloc[1]["fis"])


def test_an_optfs_with_soft_gates_is_flagged_and_a_hard_one_is_not():
    """An OptFS whose gates σ(τ m) are not near 0/1 (τ = 1 here, m = ±1 or ±5: half soft)
    gets soft_gates, once per report, with the measured share; the same weights at the
    search's final τ (every gate hard) and its 0/1 ticket get none."""
    data, _ = synthetic_ctr(n_rows=200, n_fields=2, seed=0, triples=(), main_fields=(0,))
    torch.manual_seed(0)
    searched = build_model("optfs", data, embedding_dim=2, hidden=[4])
    values = searched.mask_weight.numel()
    with torch.no_grad():  # σ(±1) = 0.73 / 0.27 (soft), σ(±5) = 0.993 / 0.007 (hard)
        searched.mask_weight.copy_(torch.tensor([1.0, -1.0, 5.0, -5.0] * values)[:values])
    hard_share = searched.gate_hardness()
    assert hard_share == pytest.approx(0.5, abs=0.1)
    quick = {"compute_attributions": False, "compute_interactions": False, "n_bootstrap": 10}
    report = analyze_gates(searched.eval(), data, device="cpu", **quick)
    (soft,) = [d for d in report.diagnostics if d.code == "soft_gates"]
    assert f"only {hard_share:.0%} of this OptFS's value gates" in soft.message
    assert "soft_gates" in {
        d.code for d in gate_ablation(searched, data, n_bootstrap=10).diagnostics
    }
    searched.anneal(1, 2)  # τ = final_temperature (200): |τ m| >= 200
    assert searched.gate_hardness() == 1.0
    for model in (searched, searched.ticket().eval()):
        codes = {d.code for d in analyze_gates(model, data, device="cpu", **quick).diagnostics}
        assert "soft_gates" not in codes
