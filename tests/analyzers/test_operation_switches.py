"""OptInter's operation per field pair as an intervention: force it, measure the loss."""

from functools import cache

import pytest
import torch

from analyzers.operation_switches import operation_switches
from workbench.errors import ParameterError
from workbench.kernels.operation_switches import OperationSwitchKernel
from workbench.models import wrap_model
from workbench.zoo import build_model
from workbench.zoo.ctr_data import synthetic_ctr
from workbench.zoo.optinter import OPERATIONS, OptInter
from workbench.zoo.training import TrainingConfig, train_ctr_model

MEMORIZE, FACTORIZE, NAIVE = range(3)
FIELDS, NAMES = [4, 3, 5], ["f0", "f1", "f2"]


def small_data(n_rows=400):
    data, _ = synthetic_ctr(
        n_rows=n_rows, n_fields=3, seed=0, vocab_sizes=(4, 3, 5), triples=(), main_fields=(2,)
    )
    return data


def retrained(choices=("memorize", "factorize", "naive")):
    torch.manual_seed(0)
    return OptInter(
        FIELDS, embedding_dim=3, hidden=[8], choices=list(choices), field_names=NAMES
    ).eval()


@cache
def planted():
    """A searched OptInter on data whose label holds one pure pair term, f1 × f3."""
    data, truth = synthetic_ctr(
        n_rows=1500,
        n_fields=4,
        seed=2,
        vocab_sizes=(4, 5, 4, 5),
        pairs=((1, 3),),
        triples=(),
        main_fields=(0,),
        pair_strength=2.0,
    )
    train, test = data.train_test_split(0.3, seed=0, stratify=True)
    torch.manual_seed(0)
    model = build_model("optinter", train, embedding_dim=4, hidden=[16])
    train_ctr_model(model, train, TrainingConfig(max_epochs=3, batch_size=128, patience=3))
    return model, test, truth


def test_forcing_the_planted_pair_to_naive_hurts_more_than_any_other_pair():
    model, test, truth = planted()
    assert truth.pairs == (("f1", "f3"),)
    result = operation_switches(model, test, n_bootstrap=50, rows=30, background=20)
    naive = result.switches[result.switches["forced"] == "naive"].set_index("pair")
    planted_loss = naive.loss_increase["f1 × f3"]
    others = naive.drop(index="f1 × f3")
    assert planted_loss > 5 * others.loss_increase.abs().max()
    assert naive.loss_increase_low["f1 × f3"] > 0  # beyond its bootstrap interval
    table = result.pairs.set_index("pair")
    assert table.switch_rank["f1 × f3"] == 1 and table.measured_rank["f1 × f3"] == 1
    assert not any(d.code == "no_switch_effect" for d in result.diagnostics)
    assert any(d.code == "search_model_base" for d in result.diagnostics)
    # the base is the softmax mixture it runs: its argmax alone is a different model
    assert result.base_loss == pytest.approx(float(_loss(model, test)), abs=1e-6)
    assert result.settings["argmax_loss"] != result.base_loss


def _loss(model, data):
    with torch.no_grad():
        return torch.nn.functional.binary_cross_entropy_with_logits(model(data.X), data.y)


def test_forcing_a_pair_to_the_operation_it_has_changes_nothing_exactly():
    data = small_data()
    model = retrained()
    result = operation_switches(model, data, n_bootstrap=20, rows=10, background=10)
    switches = result.switches
    same = switches[switches["forced"] == switches["chosen"]]
    assert len(same) == 3 and (same["loss_increase"] == 0.0).all()
    assert (same["mean_abs_logit_change"] == 0.0).all()
    # a retrained model runs its argmax: the base is both
    assert result.base_loss == result.settings["argmax_loss"]
    # the naive pair (f1, f2) has no DNN input: only "naive" is available for it
    naive_pair = switches[switches["pair"] == "f1 × f2"]
    assert naive_pair.set_index("forced")["available"].to_dict() == {
        "memorize": False, "factorize": False, "naive": True
    }  # fmt: skip
    assert result.pairs.set_index("pair").switch_effect["f1 × f2"] == 0.0


def test_a_dnn_that_ignores_the_pair_terms_gets_the_no_switch_effect_diagnostic():
    data = small_data()
    model = retrained(("memorize", "factorize", "factorize"))
    with torch.no_grad():
        model.dnn[0].weight[:, model.flat_dim :] = 0.0  # the pair-term columns count for nothing
    result = operation_switches(model, data, n_bootstrap=20, rows=10, background=10)
    assert (result.switches["loss_increase"].dropna() == 0.0).all()
    assert [d.code for d in result.diagnostics if d.code == "no_switch_effect"] == [
        "no_switch_effect"
    ]


def test_forcing_naive_is_zeroing_the_pairs_term_and_weights_are_untouched():
    data = small_data(50)
    model = retrained()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    X = data.X
    with torch.no_grad():
        override = torch.tensor([NAIVE, -1, -1])  # pair (f0, f1) memorizes; switch it off
        with model.forced_operations(override):
            forced = model(X)
        assert model.operation_override is None
        model.taps["pair_terms"].register_forward_hook(
            lambda _m, _i, out: torch.cat([torch.zeros_like(out[:, :3]), out[:, 3:]], dim=1)
        )
        torch.testing.assert_close(forced, model(X))
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    with pytest.raises(ParameterError, match=r"pair \(1, 2\) was retrained naive"):
        model.check_override(torch.tensor([-1, -1, MEMORIZE]))


def test_batched_switches_equal_one_forward_pass_per_switch():
    data = small_data(60)
    torch.manual_seed(0)
    model = OptInter([4, 3, 5], embedding_dim=3, hidden=[8]).eval()  # search model
    with torch.no_grad():
        model.alpha.normal_()
    overrides = torch.tensor([[-1, -1, -1], [NAIVE, -1, -1], [MEMORIZE, FACTORIZE, NAIVE]])
    adapter = wrap_model(model, task="classification", output="logit", device="cpu")
    kernel = OperationSwitchKernel(adapter, data.X, max_batch_rows=130)  # 2 switches a pass
    batched = kernel.outputs(overrides)
    assert kernel.forward_passes == 2
    with torch.no_grad():
        for override, outputs in zip(overrides, batched, strict=True):
            with model.forced_operations(override):
                torch.testing.assert_close(outputs, model(data.X))
    assert OPERATIONS[NAIVE] == "naive"


def test_bad_input_gets_one_line_naming_the_argument():
    from workbench.errors import ModelError
    from workbench.zoo.optfs import OptFS

    data = small_data(50)
    with pytest.raises(ModelError, match="has no operation switch"):
        operation_switches(OptFS(FIELDS, field_names=NAMES), data)
    with pytest.raises(ParameterError, match="pairs: \\('f0', 'f9'\\) is not a pair"):
        operation_switches(retrained(), data, pairs=[("f0", "f9")])
    with pytest.raises(ParameterError, match=r"operation_override must be \(3,\)"):
        retrained().check_override(torch.tensor([0, 1]))
