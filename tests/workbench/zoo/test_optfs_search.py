"""OptFS search → ticket → retrain: the ticket drops a noise field's values."""

import pytest
import torch

from workbench.errors import ParameterError
from workbench.zoo.ctr_data import synthetic_ctr
from workbench.zoo.optfs_search import STAGES, search_optfs_ticket
from workbench.zoo.training import TrainingConfig

SEARCH = {
    "embedding_dim": 4,
    "hidden": [16],
    "penalty": 0.01,
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
    run = search_optfs_ticket(data, config=SEARCH, training=TRAINING)
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
