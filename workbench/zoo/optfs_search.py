"""OptFS end to end: search the value gates, derive the 0/1 ticket, retrain it, report.

The paper's recipe (Lyu et al., WWW 2023) in one call: train the search model (gates
σ(τ m_x) with a sparsity penalty and a rising temperature), keep the values with m_x > 0 (the
ticket), retrain the ticket from the searched weights with its gates fixed, and measure test
AUC and log-loss at each stage, beside the plain backbone (the same DNN with every gate 1)
trained from scratch with the same seed. The kept values per field are the feature set OptFS
selected: a field the label ignores should lose most of its values.

The search runs a fixed number of epochs with no early stopping, as OptFS's
``maskTrainer.search`` (``search_epoch``; validation there is only logged). τ follows the
code's curve final^(t / T) (there multiplied once per epoch, here per step) and reaches
``final_temperature`` at the search's last step, so the gates are hard when the ticket is read
whatever ``TrainingConfig.max_epochs`` and early stopping do to the retraining.
``gate_hardness`` reports it (a soft ticket is never silent). Unlike OptFS, which rewinds to
the weights of an early search epoch, the ticket retrains from the searched weights.

Default λ (``OptFS(penalty=1e-4)``, a sum over values): the paper's λ·N (λ times the number
of values N) is 0.01..0.07 (README: λ 2e-9..1e-8 over millions of values); Adult has N = 160,
so λ·N = 0.016. ``workbench optfs --data adult`` (seed 0) keeps 66.2 % of the values (the old
mean with λ = 1e-3 kept 95.6 %), 99.4 % of the gates end hard, and the retrained ticket scores
test AUC 0.9220 / log-loss 0.2889 against the ungated backbone's 0.9210 / 0.2913.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch

from workbench.data import Dataset
from workbench.errors import ParameterError
from workbench.progress import ProgressCallback
from workbench.zoo import build_model, check_config
from workbench.zoo.optfs import OptFS
from workbench.zoo.training import (
    TrainingConfig,
    evaluate_ctr_model,
    seed_everything,
    train_ctr_model,
)

__all__ = ["SEARCH_EPOCHS", "OptFSTicket", "run_search", "search_optfs_ticket"]

STAGES = ("search", "ticket before retraining", "ticket retrained", "backbone")
# OptFS's README tunes the search length in {5, 10, 15, 20} epochs (10 for most settings)
SEARCH_EPOCHS = 10


@dataclass(frozen=True)
class OptFSTicket:
    """What an OptFS search selected and what the selection costs.

    Attributes
    ----------
    values : DataFrame
        One row per feature value: field, level (label), code, mask_weight (m_x), kept
        (m_x > 0), train_rows (rows of the training split holding the value).
    fields : DataFrame
        One row per field: field, n_values, n_kept, kept_share (of its values), kept_row_share
        (of training rows whose value in the field is kept).
    metrics : DataFrame
        One row per stage (search, ticket before retraining, ticket retrained, backbone):
        test_auc, test_log_loss, train_seconds (0 for the ticket before retraining).
    gate_hardness : float
        Share of values whose searched gate σ(τ m) lies within 0.05 of 0 or 1 at the end of
        the search (``OptFS.gate_hardness``); below 1 the ticket rounds some soft gates.
    searched, ticket : OptFS
        The search model and the retrained ticket (eval mode, CPU).
    backbone : OptFS or None
        Every gate 1, trained from scratch; None when skipped.
    settings : dict
        Model config, training config, test_size, rows.
    """

    values: pd.DataFrame
    fields: pd.DataFrame
    metrics: pd.DataFrame
    gate_hardness: float
    searched: OptFS
    ticket: OptFS
    backbone: OptFS | None
    settings: dict[str, Any]

    @property
    def kept_share(self) -> float:
        """Share of all feature values the ticket keeps."""
        return float(self.values["kept"].mean())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready summary (no weights)."""
        return {
            "kept_share": self.kept_share,
            "gate_hardness": self.gate_hardness,
            "fields": self.fields.to_dict(orient="records"),
            "metrics": self.metrics.to_dict(orient="records"),
            "settings": self.settings,
        }


def search_optfs_ticket(
    dataset: Dataset,
    *,
    config: dict[str, Any] | None = None,
    training: TrainingConfig | None = None,
    search_epochs: int = SEARCH_EPOCHS,
    test_size: float = 0.2,
    backbone: bool = True,
    progress: ProgressCallback | None = None,
) -> OptFSTicket:
    """Run OptFS's search, derive the ticket, retrain it and measure every stage.

    Parameters
    ----------
    dataset : Dataset
        Coded fields with a 0/1 target (``adult_fields``, ``synthetic_ctr``).
    config : dict, optional
        OptFS options (``penalty``, ``mask_init``, ``final_temperature``, ``hidden``, ...).
    training : TrainingConfig, optional
        Batch size, learning rate, weight decay and seed of every run; ``max_epochs`` and
        early stopping apply to the retraining and the backbone only.
    search_epochs : int
        Length of the search (all run; τ reaches ``final_temperature`` at its last step).
    test_size : float
        Stratified split seeded with ``training.seed``; metrics are on the test rows.
    backbone : bool
        Also train the ungated backbone (one more training run) for comparison.
    progress : callable, optional
        ``progress(stage, done, total)`` before each training run ("training search",
        "retraining ticket", "training backbone") and once all are done.

    Returns
    -------
    OptFSTicket

    Example
    -------
    >>> run = search_optfs_ticket(adult_fields(), training=TrainingConfig(max_epochs=5))
    >>> run.fields[["field", "kept_share"]], run.metrics
    """
    config = dict(config or {})
    if "phase" in config:
        raise ParameterError("config: phase is set by the search (search, then ticket)")
    check_config("optfs", config)
    training = training or TrainingConfig()
    if isinstance(search_epochs, bool) or not isinstance(search_epochs, int) or search_epochs < 1:
        raise ParameterError(f"search_epochs must be an integer >= 1, got {search_epochs!r}")
    if not 0 < test_size < 1:
        raise ParameterError(f"test_size must be in (0, 1), got {test_size!r}")
    train, test = dataset.train_test_split(test_size, seed=training.seed, stratify=True)
    runs = 3 if backbone else 2

    def report(stage: str, done: int) -> None:
        if progress is not None:
            progress(stage, done, runs)

    stages: dict[str, tuple[OptFS, float]] = {}
    seed_everything(training.seed)
    searched = build_model("optfs", dataset, **config)
    report("training search", 0)
    stages["search"] = (searched, run_search(searched, train, training, search_epochs))
    ticket = searched.ticket()
    stages["ticket before retraining"] = (ticket.ticket().eval(), 0.0)  # a frozen copy
    report("retraining ticket", 1)
    stages["ticket retrained"] = (ticket, train_ctr_model(ticket, train, training)["train_seconds"])
    plain = None
    if backbone:
        report("training backbone", 2)
        seed_everything(training.seed)
        # mask_init > 0 and no gradient through 1[m > 0]: every gate stays 1
        plain = build_model("optfs", dataset, **{**config, "phase": "ticket"})
        stages["backbone"] = (plain, train_ctr_model(plain, train, training)["train_seconds"])
    metrics = pd.DataFrame(
        [
            {"stage": stage, **_scores(model, test), "train_seconds": seconds}
            for stage, (model, seconds) in stages.items()
        ]
    )
    values = _value_table(searched, dataset, train)
    report("done", runs)
    return OptFSTicket(
        values=values,
        fields=_field_table(values),
        metrics=metrics,
        gate_hardness=searched.gate_hardness(),
        searched=searched,
        ticket=ticket,
        backbone=plain,
        settings={
            "config": searched.config,
            "training": training.__dict__.copy(),
            "search_epochs": search_epochs,
            "test_size": test_size,
            "train_rows": train.n_rows,
            "test_rows": test.n_rows,
        },
    )


def run_search(model: OptFS, train: Dataset, training: TrainingConfig, epochs: int) -> float:
    """OptFS's search phase in place: ``epochs`` passes over ``train`` with Adam on log-loss
    plus the gate penalty, τ annealed per step (``OptFS.anneal``); returns wall seconds.

    No early stopping and no best-epoch restore: either could end on an early epoch whose
    gates are still soft. The gate weights get no weight decay (OptFS's ``getOptim``). The
    zoo's ``train_ctr_model`` runs this too for a search-phase OptFS (the zoo's OptFS models).
    """
    start = time.perf_counter()
    gates = [model.mask_weight]
    rest = [p for name, p in model.named_parameters() if name != "mask_weight"]
    optimizer = torch.optim.Adam(
        [{"params": rest, "weight_decay": training.weight_decay}, {"params": gates}],
        lr=training.learning_rate,
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(training.seed)
    steps = epochs * math.ceil(train.n_rows / training.batch_size)
    step = 0
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(train.n_rows, generator=generator).split(training.batch_size):
            model.anneal(step, steps)
            step += 1
            optimizer.zero_grad()
            loss = loss_fn(model(train.X[batch]), train.y[batch])
            penalty = model.training_penalty()
            (loss if penalty is None else loss + penalty).backward()
            optimizer.step()
    model.eval()
    return time.perf_counter() - start


def _scores(model: OptFS, test: Dataset) -> dict[str, float]:
    scores = evaluate_ctr_model(model, test)
    return {"test_auc": scores["auc"], "test_log_loss": scores["log_loss"]}


def _value_table(searched: OptFS, dataset: Dataset, train: Dataset) -> pd.DataFrame:
    m = searched.mask_weight.detach().cpu()
    records, start = [], 0
    sizes = searched.embedding.vocab_sizes
    for f, (name, size) in enumerate(zip(searched.field_names, sizes, strict=True)):
        counts = torch.bincount(train.X[:, f].long(), minlength=size)
        labels = (dataset.code_levels or {}).get(name, ())
        for code in range(size):
            weight = float(m[start + code])
            records.append(
                {
                    "field": name,
                    "level": labels[code] if code < len(labels) else str(code),
                    "code": code,
                    "mask_weight": weight,
                    "kept": weight > 0,
                    "train_rows": int(counts[code]),
                }
            )
        start += size
    return pd.DataFrame(records)


def _field_table(values: pd.DataFrame) -> pd.DataFrame:
    rows = values.assign(kept_rows=values["train_rows"] * values["kept"])
    table = rows.groupby("field", sort=False).agg(
        n_values=("kept", "size"),
        n_kept=("kept", "sum"),
        kept_rows=("kept_rows", "sum"),
        total_rows=("train_rows", "sum"),
    )
    table["kept_share"] = table["n_kept"] / table["n_values"]
    table["kept_row_share"] = table["kept_rows"] / table["total_rows"].clip(lower=1)
    table = table.reset_index()
    return table[["field", "n_values", "n_kept", "kept_share", "kept_row_share"]]
