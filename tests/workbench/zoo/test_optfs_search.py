"""OptFS search → ticket → retrain: the ticket drops a noise field's values."""

import pytest
import torch

from analyzers.optfs_selection import optfs_selection
from workbench.errors import ParameterError
from workbench.zoo.ctr_data import synthetic_ctr
from workbench.zoo.optfs_search import STAGES, search_optfs_ticket
from workbench.zoo.training import TrainingConfig

SEARCH = {
    "embedding_dim": 4,
    "hidden": [16],
    "penalty": 5e-4,  # a sum over the 18 values (0.01 as the mean it once was, ~5.6e-4)
    "mask_init": 0.05,
    "final_temperature": 20.0,
}
TRAINING = TrainingConfig(max_epochs=3, batch_size=128, patience=3, learning_rate=0.02)


def test_the_ticket_keeps_far_fewer_values_of_a_noise_field_than_of_informative_ones():
    """f0 and f1 move the label, f2 is pure noise (seeded: f2 loses every value, f0 none)."""
    data, truth = synthetic_ctr(
        n_rows=2000,
        n_fields=3,
        seed=1,
        vocab_sizes=(6, 6, 6),
        pairs=(),
        triples=(),
        main_fields=(0, 1),
        main_strength=1.5,
    )
    assert truth.main_fields == ("f0", "f1")
    run = search_optfs_ticket(data, config=SEARCH, training=TRAINING, search_epochs=3)
    share = run.fields.set_index("field")["kept_share"]
    assert share["f2"] <= 0.2 and min(share["f0"], share["f1"]) >= share["f2"] + 0.4
    assert tuple(run.metrics["stage"]) == STAGES
    # the retrained ticket's gates are its kept values, exactly 0/1 per row
    kept = torch.tensor(run.values["kept"].to_numpy())
    gates = run.ticket.value_gates(data.X[:50])
    torch.testing.assert_close(gates, kept[data.X[:50].long() + run.ticket._value_offsets].float())
    # the backbone is the DNN with every gate 1, and the ticket does not lose its accuracy
    assert bool((run.backbone.value_gates(data.X) == 1).all())
    auc = run.metrics.set_index("stage")["test_auc"]
    assert auc["ticket retrained"] > auc["backbone"] - 0.03
    assert 0 < run.kept_share < 1 and run.to_dict()["fields"][2]["field"] == "f2"


def test_a_phase_in_the_config_is_refused():
    data, _ = synthetic_ctr(n_rows=50, n_fields=2, seed=0, triples=(), main_fields=(0,))
    with pytest.raises(ParameterError, match="config: phase is set by the search"):
        search_optfs_ticket(data, config={"phase": "ticket"})


def _small_data():
    return synthetic_ctr(
        n_rows=600, n_fields=3, seed=2, vocab_sizes=(5, 5, 5), pairs=(), triples=(),
        main_fields=(0, 1),
    )[0]  # fmt: skip


def test_a_search_ends_with_hard_gates_even_when_training_would_stop_after_one_epoch():
    """The search runs all its epochs and τ reaches final_temperature at its last step, so
    early stopping (max_epochs=1 here, which used to leave τ at 1) cannot leave soft gates."""
    early = TrainingConfig(max_epochs=1, patience=1, batch_size=128, learning_rate=0.02)
    config = {**SEARCH, "mask_init": 0.5, "final_temperature": 200.0}
    run = search_optfs_ticket(data := _small_data(), config=config, training=early, search_epochs=3)
    assert float(run.searched.temperature) == pytest.approx(200.0)
    assert run.gate_hardness >= 0.95 and run.to_dict()["gate_hardness"] == run.gate_hardness
    # hard gates: the searched model's gate is its ticket's 0/1 gate, up to the 1/σ(m_0) scale
    scale = 1 / torch.sigmoid(torch.tensor(config["mask_init"]))
    agree = torch.isclose(
        run.searched.value_gates(data.X), scale * run.ticket.value_gates(data.X), atol=0.1
    )
    assert float(agree.float().mean()) >= 0.95


def test_a_search_that_ends_with_soft_gates_says_so():
    """final_temperature 1 never hardens the gates: the Result warns that the ticket rounds
    soft gates, with the measured share."""
    config = {**SEARCH, "final_temperature": 1.0}
    result = optfs_selection(
        _small_data(), config=config, max_epochs=1, search_epochs=1, backbone=False
    )
    assert result.gate_hardness < 0.5
    (soft,) = [d for d in result.diagnostics if d.code == "soft_gates"]
    assert f"{result.gate_hardness:.0%} of the searched gates" in soft.message
    assert type(result).from_dict(result.to_dict()).gate_hardness == result.gate_hardness


def test_search_epochs_must_be_a_positive_integer():
    with pytest.raises(ParameterError, match="search_epochs must be an integer >= 1, got 0"):
        search_optfs_ticket(_small_data(), search_epochs=0)


def test_the_zoos_optfs_is_the_searched_model_of_workbench_optfs(tmp_path):
    """sample_ctr_model (the demo's, a workspace's and ``workbench gates``' zoo models) trains
    an OptFS by the same search: the same weights as search_optfs_ticket's searched model, not
    the early-stopping loop (which picked an early epoch, its τ annealed per epoch), and its
    metrics say how hard its gates ended and how many values its ticket keeps."""
    from workbench.zoo.training import sample_ctr_model

    data = _small_data()
    config = {**SEARCH, "mask_init": 0.5, "final_temperature": 200.0}
    early = TrainingConfig(max_epochs=2, patience=1, batch_size=128, learning_rate=0.02)
    trained = sample_ctr_model("optfs", data, config=config, training=early, cache_dir=tmp_path)
    run = search_optfs_ticket(data, config=config, training=early, search_epochs=2, backbone=False)
    for name, weight in run.searched.state_dict().items():
        torch.testing.assert_close(trained.model.state_dict()[name], weight, rtol=0, atol=0)
    assert float(trained.model.temperature) == pytest.approx(200.0)
    metrics = trained.metrics
    assert metrics["epochs_run"] == metrics["best_epoch"] == 2
    assert metrics["gate_hardness"] == run.gate_hardness >= 0.95
    assert metrics["kept_share"] == pytest.approx(run.kept_share)
    # the recorded hardness is in the saved description, and the cached copy is the same model
    again = sample_ctr_model("optfs", data, config=config, training=early, cache_dir=tmp_path)
    assert again.metrics["gate_hardness"] == metrics["gate_hardness"]
    assert again.model.gate_hardness() == metrics["gate_hardness"]


def test_the_trainer_searches_at_most_search_epochs():
    """max_epochs bounds the search, which is otherwise OptFS's usual SEARCH_EPOCHS (the
    length the default penalty was measured at), never the generic 30."""
    from workbench.zoo import build_model
    from workbench.zoo.optfs_search import SEARCH_EPOCHS
    from workbench.zoo.training import train_ctr_model

    data = synthetic_ctr(n_rows=200, n_fields=2, seed=0, triples=(), main_fields=(0,))[0]
    model = build_model("optfs", data, embedding_dim=2, hidden=[4])
    metrics = train_ctr_model(model, data, TrainingConfig(batch_size=200))
    assert metrics["epochs_run"] == SEARCH_EPOCHS == 10 and "valid_log_loss" not in metrics
    # a ticket is a fixed-gate model: the ordinary loop trains it, with its validation split
    ticket = model.ticket()
    assert "valid_log_loss" in train_ctr_model(ticket, data, TrainingConfig(max_epochs=2))
