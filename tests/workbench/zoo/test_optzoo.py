"""OptFS (per-value gates, search and 0/1 ticket) and OptInter (an operation per field pair)."""

import math
from functools import cache

import numpy as np
import pytest
import torch

from analyzers.intrinsic_weights import intrinsic_pair_weights
from workbench.errors import ParameterError
from workbench.zoo import build_model, model_from_config
from workbench.zoo.base import mlp
from workbench.zoo.ctr_data import synthetic_ctr
from workbench.zoo.optfs import OptFS
from workbench.zoo.optinter import OptInter
from workbench.zoo.training import TrainingConfig, train_ctr_model


def _sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


CODES = torch.tensor([[0, 2, 4], [3, 1, 0], [1, 2, 2], [2, 0, 1]])
VOCAB = [4, 3, 5]


def test_optfs_site_is_a_field_aligned_gate_repeating_each_values_gate_over_its_field():
    torch.manual_seed(0)
    model = OptFS(VOCAB, embedding_dim=2, hidden=[8]).eval()
    (site,) = model.gate_sites()
    assert (site.name, site.kind, site.width, site.field_aligned) == ("value_gate", "gate", 6, True)
    assert model.site_specs()[0].field_slices == ((0, 2), (2, 4), (4, 6))
    with torch.no_grad():
        model.mask_weight.normal_()
        seen = {}
        model.taps["value_gate"].register_forward_hook(lambda _m, _i, out: seen.update(g=out))
        model(CODES)
    expected = torch.sigmoid(model.mask_weight[torch.tensor([0, 4, 7]) + CODES]) / (
        1 / (1 + np.exp(-0.5))
    )  # σ(τ m_x) / σ(m_0), τ = 1, per (row, field)
    torch.testing.assert_close(seen["g"], expected.repeat_interleave(2, dim=1))


def test_optfs_with_every_gate_one_is_the_ungated_backbone():
    torch.manual_seed(0)
    model = OptFS(VOCAB, embedding_dim=3, hidden=[8, 4]).eval()
    with torch.no_grad():
        ungated = model.head(model.embed(CODES))
        # at the start m = m_0 and τ = 1, so every gate is σ(m_0) / σ(m_0) = 1
        torch.testing.assert_close(model(CODES), ungated)
        model.mask_weight.normal_()  # gates now differ from 1 ...
        assert not torch.allclose(model(CODES), ungated)
        model.taps["value_gate"].register_forward_hook(lambda _m, _i, out: torch.ones_like(out))
        torch.testing.assert_close(model(CODES), ungated)  # ... and opening them restores it


def test_optfs_ticket_gates_are_zero_or_one_and_a_dropped_values_row_does_nothing():
    torch.manual_seed(0)
    searched = OptFS(VOCAB, embedding_dim=2, hidden=[8]).eval()
    with torch.no_grad():
        searched.mask_weight.normal_()
        searched.mask_weight[4 + 2] = -1.0  # field 1, level 2: dropped by the ticket
        searched.mask_weight[4 + 0] = 1.0  # field 1, level 0: kept
    ticket = searched.ticket().eval()
    assert ticket.config["phase"] == "ticket" and searched.config["phase"] == "search"
    gates = ticket.value_gates(CODES)
    assert set(gates.unique().tolist()) <= {0.0, 1.0}
    torch.testing.assert_close(
        gates, (searched.mask_weight[CODES + ticket._value_offsets] > 0).float()
    )
    with torch.no_grad():
        before = ticket(CODES)
        ticket.embedding.tables[1].weight[2] += 5.0  # rows 0 and 2 hold level 2 of field 1
        torch.testing.assert_close(ticket(CODES), before)
        ticket.embedding.tables[1].weight[0] += 5.0  # a kept value (row 3) does matter
        after = ticket(CODES)
    assert not torch.allclose(after[3], before[3])
    torch.testing.assert_close(after[:3], before[:3])


def test_optfs_ticket_of_hard_search_gates_computes_the_searched_model():
    """Once τ m is large, σ(τ m)/σ(m_0) is 1[m > 0]/σ(m_0): the ticket (0/1 gates, the scale
    in its embedding) predicts exactly what the searched model predicts."""
    torch.manual_seed(0)
    searched = OptFS(VOCAB, embedding_dim=2, hidden=[8]).eval()
    with torch.no_grad():
        searched.mask_weight.copy_(torch.tensor([0.5, -0.5] * 6))
    searched.anneal(1, 2)  # τ = 200: |τ m| = 100, every gate hard
    assert searched.gate_hardness() == 1.0
    ticket = searched.ticket().eval()
    with torch.no_grad():
        torch.testing.assert_close(ticket(CODES), searched(CODES))
        torch.testing.assert_close(ticket.ticket()(CODES), ticket(CODES))  # no second scaling


def test_optfs_temperature_anneals_and_the_penalty_only_searches():
    model = OptFS(VOCAB, embedding_dim=2, final_temperature=100.0, penalty=0.01)
    model.anneal(0, 11)
    assert float(model.temperature) == 1.0
    model.anneal(5, 11)  # half way through 11 steps: √100
    assert float(model.temperature) == pytest.approx(10.0)
    model.anneal(10, 11)
    assert float(model.temperature) == pytest.approx(100.0)
    # a sum over the 12 values, as OptFS's MaskEmbedding.reg: every gate is on (m = 0.5)
    torch.testing.assert_close(model.training_penalty(), torch.tensor(0.01 * 12 * _sig(50.0)))
    assert model.ticket().training_penalty() is None
    with pytest.raises(ParameterError, match="mask_init must be > 0"):
        OptFS(VOCAB, mask_init=0.0)


def test_optfs_gate_hardness_counts_gates_within_005_of_0_or_1():
    model = OptFS([4], embedding_dim=2)
    with torch.no_grad():  # σ(τ m) at τ = 1: 0.5, 0.952, 0.047, 0.73
        model.mask_weight.copy_(torch.tensor([0.0, math.log(20), -3.0, 1.0]))
    assert model.gate_hardness() == pytest.approx(0.5)
    model.anneal(1, 2)  # τ = 200: every gate but the one at m = 0 is hard
    assert model.gate_hardness() == pytest.approx(0.75)
    assert model.ticket().gate_hardness() == 1.0


def test_optfs_penalty_switches_gates_off_and_a_noise_field_goes_first():
    """train_ctr_model adds the search penalty: fewer values survive than without it, and the
    values of the field the label ignores (f2) sink below those of the planted fields."""
    data, _ = synthetic_ctr(
        n_rows=1500,
        n_fields=3,
        seed=1,
        vocab_sizes=(4, 4, 6),
        pairs=((0, 1),),
        triples=(),
        main_fields=(0,),
    )
    training = TrainingConfig(max_epochs=3, batch_size=128, patience=3, learning_rate=0.02)
    searched = {}
    for penalty in (0.0, 0.05):
        torch.manual_seed(0)
        model = build_model(
            "optfs",
            data,
            embedding_dim=4,
            hidden=[16],
            penalty=penalty,
            mask_init=0.1,
            final_temperature=10.0,
        )
        train_ctr_model(model, data, training)
        searched[penalty] = model
    assert int(searched[0.05].kept_values().sum()) < int(searched[0.0].kept_values().sum())
    m = searched[0.05].mask_weight.detach()
    assert float(m[8:].mean()) < float(m[:8].mean())  # f2's 6 values after f0's and f1's 8


def test_optinter_every_pair_naive_is_the_dnn_on_the_embeddings():
    torch.manual_seed(0)
    model = OptInter(VOCAB, embedding_dim=3, hidden=[8], choices=["naive"] * 3).eval()
    assert model.gate_sites() == ()
    base = mlp(9, [8], out_features=1)
    base.load_state_dict(model.dnn.state_dict())  # the same widths: no pair columns at all
    with torch.no_grad():
        torch.testing.assert_close(model(CODES), base(model.embed(CODES).flatten(1)).squeeze(1))


def test_optinter_search_mixes_the_operations_with_softmax_weights():
    torch.manual_seed(0)
    model = OptInter(VOCAB, embedding_dim=2, hidden=[8], memorize_buckets=7).eval()
    (site,) = model.gate_sites()
    assert (site.name, site.kind, site.width) == ("pair_terms", "cross", 3 * 2)
    assert model.cross.num_embeddings == 7  # 12 + 20 + 15 cross values hashed into 7 rows
    with torch.no_grad():
        model.alpha.copy_(torch.tensor([[0.0, 0.0, 50.0], [0.0, 50.0, 0.0], [50.0, 0.0, 0.0]]))
        seen = {}
        model.taps["pair_terms"].register_forward_hook(lambda _m, _i, out: seen.update(t=out))
        model(CODES)
        e = model.embed(CODES)
        terms = seen["t"].view(4, 3, 2)
        torch.testing.assert_close(terms[:, 0], torch.zeros(4, 2))  # (0, 1): naive
        torch.testing.assert_close(terms[:, 1], e[:, 0] * e[:, 2])  # (0, 2): factorize
        pair_id = model._pair_start[2] + CODES[:, 1] * 5 + CODES[:, 2]  # (1, 2): memorize
        torch.testing.assert_close(terms[:, 2], model.cross(model._cross_bucket[pair_id]))
    assert model.choices() == ["naive", "factorize", "memorize"]
    derived = model.derive()
    assert derived.config["choices"] == ["naive", "factorize", "memorize"]
    assert model_from_config("optinter", derived.config).choices() == derived.choices()
    assert derived.gate_sites()[0].width == 2 * 2  # the naive pair is dropped


def test_optinter_untrained_pairs_claim_no_interaction():
    assert OptInter(VOCAB, embedding_dim=2).choices() == ["naive"] * 3
    with pytest.raises(ParameterError, match="choices must hold 3"):
        OptInter(VOCAB, choices=["memorize"])


@cache
def planted_search():
    data, truth = synthetic_ctr(
        n_rows=3000,
        n_fields=4,
        seed=2,
        vocab_sizes=(4, 5, 4, 5),
        pairs=((1, 3),),
        triples=(),
        main_fields=(0,),
        pair_strength=2.0,
    )
    torch.manual_seed(0)
    model = build_model("optinter", data, embedding_dim=4, hidden=[16])
    train_ctr_model(model, data, TrainingConfig(max_epochs=5, batch_size=128, patience=5))
    return model, data, truth


def test_optinter_search_picks_an_explicit_operation_for_the_planted_pair():
    """The argmax alone does not single the pair out: in this short one-level search every
    pair's argmax is memorize (the extra parameters help the training loss everywhere), so the
    test also asks that the planted pair has the least weight on naive (6 of 6 seeds and data
    seeds tried)."""
    model, _, truth = planted_search()
    assert truth.pairs == (("f1", "f3"),)
    planted = model.pairs.index((1, 3))
    assert model.choices()[planted] != "naive"
    # and the planted pair leans furthest away from naive of the six pairs
    naive_weight = model.operation_weights().detach()[:, 2]
    assert int(naive_weight.argmin()) == planted


def test_optinter_chosen_operation_is_an_intrinsic_interaction_source():
    model = OptInter(VOCAB, embedding_dim=2, choices=["memorize", "naive", "factorize"])
    weights, how = intrinsic_pair_weights(model, CODES)
    expected = np.array([[0, 2, 0], [2, 0, 1], [0, 1, 0]], dtype=float)
    np.testing.assert_array_equal(
        weights["chosen operation (memorize 2, factorize 1, naive 0)"], expected
    )
    assert list(weights) == ["chosen operation (memorize 2, factorize 1, naive 0)"]
    searched, data, _ = planted_search()
    weights, how = intrinsic_pair_weights(searched, data.X[:5])
    explicit = weights["α weight on memorize + factorize"]
    assert explicit[1, 3] == explicit.max() and "softmax" in how


def test_gate_analyses_read_the_ticket_per_field():
    """The zoo's gate analyses see OptFS's value gate per field: opening the gates of a field
    whose every value the ticket keeps changes nothing; one with dropped values does change."""
    from analyzers.gates import analyze_gates

    data, _ = synthetic_ctr(
        n_rows=300, n_fields=3, seed=1, vocab_sizes=(4, 5, 4), triples=(), main_fields=(2,)
    )
    torch.manual_seed(0)
    searched = build_model("optfs", data, embedding_dim=4, hidden=[8])
    with torch.no_grad():
        searched.mask_weight.copy_(torch.tensor([1.0] * 4 + [1.0, -1.0] * 2 + [-1.0] + [1.0] * 4))
    report = analyze_gates(
        searched.ticket().eval(),
        data,
        compute_attributions=False,
        compute_interactions=False,
        n_bootstrap=10,
        device="cpu",
    )
    table = report.ablation.to_frame()
    opened = table[table["mode"] == "open"].set_index("field")
    assert opened.loc["f0", "mean_abs_logit_change"] == 0.0
    assert opened.loc["f1", "mean_abs_logit_change"] > 0.0
