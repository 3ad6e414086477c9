"""Seeded training with early stopping, evaluation, and pickle-free saving of the CTR models.

Weights are saved as a plain ``state_dict`` read back with ``torch.load(weights_only=True)``
(tensors only, no code runs on load) beside a JSON file holding the model name, its config and
the measured metrics. Sample models are trained on first use and cached (``sample_ctr_model``):
every sample trains in seconds on a quiet CPU; only the demo's FinalMLP and GDCN weights ship
(``sample_data/zoo``), so that ``workbench demo`` starts without training.

An OptFS in its search phase is the one model not trained by the early-stopping loop: its value
gates are what the Gates page studies, and they mean the 0/1 selection OptFS makes only once τ
has reached ``final_temperature``. So ``train_ctr_model`` hands it to OptFS's own search
(``workbench.zoo.optfs_search.run_search``: a fixed length, τ per step, no early stopping), and
the zoo's OptFS is the searched model ``workbench optfs`` derives its ticket from.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from workbench.data import Dataset
from workbench.errors import DataError, ModelError, ParameterError
from workbench.zoo import CtrModel, build_model, model_from_config
from workbench.zoo.optfs import OptFS

__all__ = [
    "SAMPLE_DATA",
    "TrainedModel",
    "TrainingConfig",
    "evaluate_ctr_model",
    "load_ctr_model",
    "sample_ctr_model",
    "save_ctr_model",
    "train_ctr_model",
]

SAMPLE_DATA = ("adult", "synthetic")
# bump when training changes, so stale caches are retrained (a model's own change bumps its
# ``CtrModel.revision`` instead, which the key also holds)
_CACHE_LAYOUT = 1


@dataclass(frozen=True)
class TrainingConfig:
    """Settings of ``train_ctr_model``.

    Attributes
    ----------
    max_epochs : int
    batch_size : int
    learning_rate : float
        Adam step size.
    weight_decay : float
    patience : int
        Epochs without a better validation log-loss before stopping (the best epoch is kept).
    valid_fraction : float
        Share of the training rows held out for early stopping.
    seed : int
        Seeds initialisation, the validation split and the batch order.
    """

    max_epochs: int = 30
    batch_size: int = 2048
    learning_rate: float = 5e-3
    weight_decay: float = 1e-6
    patience: int = 3
    valid_fraction: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("max_epochs", "batch_size", "patience"):
            if int(getattr(self, name)) < 1:
                raise ParameterError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if not 0 < self.valid_fraction < 1:
            raise ParameterError(f"valid_fraction must be in (0, 1), got {self.valid_fraction!r}")
        if self.learning_rate <= 0:
            raise ParameterError(f"learning_rate must be > 0, got {self.learning_rate!r}")


@dataclass(frozen=True)
class TrainedModel:
    """A trained CTR model with the rows it was trained and tested on.

    Attributes
    ----------
    name : str
        Registry name of the model.
    model : CtrModel
        In eval mode, on the CPU.
    train, test : Dataset
    metrics : dict
        ``test_auc``, ``test_log_loss``, ``best_epoch``, ``epochs_run``, ``train_seconds``;
        for an OptFS search also ``gate_hardness`` and ``kept_share`` (``train_ctr_model``).
    """

    name: str
    model: CtrModel
    train: Dataset
    test: Dataset
    metrics: dict[str, float]


def seed_everything(seed: int) -> None:
    """Seed torch's global generator (initialisation and dropout)."""
    torch.manual_seed(int(seed))


def train_ctr_model(
    model: CtrModel, train: Dataset, config: TrainingConfig | None = None
) -> dict[str, float]:
    """Train ``model`` in place with Adam on log-loss, stopping early on a validation split.

    An OptFS in its search phase is trained by OptFS's search instead (``run_search``, the one
    ``workbench optfs`` runs): min(max_epochs, ``SEARCH_EPOCHS``) epochs on every row of
    ``train``, all run, τ annealed per step to ``final_temperature``, no early stopping, so its
    gates end hard. ``SEARCH_EPOCHS`` (10, OptFS's usual search) is the length its default
    penalty was measured at; ``max_epochs`` only shortens it.

    Parameters
    ----------
    model : CtrModel
        Freshly built (seed torch before building it for reproducible initial weights).
    train : Dataset
        Coded rows with a 0/1 target.
    config : TrainingConfig, optional

    Returns
    -------
    dict
        ``best_epoch``, ``epochs_run``, ``valid_log_loss`` (at the best epoch), ``train_seconds``
        (wall) and ``train_cpu_seconds``. An OptFS search has no validation split (no
        ``valid_log_loss``; its best epoch is its last) and reports ``gate_hardness`` (share
        of gates within 0.05 of 0 or 1, ``OptFS.gate_hardness``) and ``kept_share`` (share of
        values with m > 0, those its ticket keeps).
    """
    config = config or TrainingConfig()
    _check_binary_target(train)
    if isinstance(model, OptFS) and model.config["phase"] == "search":
        return _train_search(model, train, config)
    start, cpu_start = time.perf_counter(), time.process_time()
    fit, valid = train.train_test_split(config.valid_fraction, seed=config.seed, stratify=True)
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    best_loss, best_state, best_epoch, epoch = float("inf"), None, 0, 0
    for epoch in range(1, config.max_epochs + 1):
        model.train()
        order = torch.randperm(fit.n_rows, generator=generator)
        for batch in order.split(config.batch_size):
            optimizer.zero_grad()
            loss = loss_fn(model(fit.X[batch]), fit.y[batch])
            loss.backward()
            optimizer.step()
        valid_loss = evaluate_ctr_model(model, valid)["log_loss"]
        if valid_loss < best_loss - 1e-5:
            best_loss, best_epoch = valid_loss, epoch
            best_state = copy.deepcopy(model.state_dict())
        elif epoch - best_epoch >= config.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return {
        "best_epoch": best_epoch,
        "epochs_run": epoch,
        "valid_log_loss": best_loss,
        "train_seconds": time.perf_counter() - start,
        # CPU seconds of this process: the machine's load does not inflate them.
        "train_cpu_seconds": time.process_time() - cpu_start,
    }


def _train_search(model: OptFS, train: Dataset, config: TrainingConfig) -> dict[str, float]:
    """``train_ctr_model`` for an OptFS search: OptFS's own schedule, and how hard it ended."""
    # imported here: optfs_search imports this module (it retrains the ticket with it)
    from workbench.zoo.optfs_search import SEARCH_EPOCHS, run_search

    epochs = min(int(config.max_epochs), SEARCH_EPOCHS)
    cpu_start = time.process_time()
    seconds = run_search(model, train, config, epochs)
    return {
        "best_epoch": epochs,
        "epochs_run": epochs,
        "train_seconds": seconds,
        "train_cpu_seconds": time.process_time() - cpu_start,
        "gate_hardness": model.gate_hardness(),
        "kept_share": float(model.kept_values().float().mean()),
    }


def evaluate_ctr_model(model: CtrModel, data: Dataset, batch_rows: int = 65536) -> dict[str, float]:
    """Test AUC and log-loss (natural log) of a model on coded rows with a 0/1 target."""
    _check_binary_target(data)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(chunk) for chunk in data.X.split(batch_rows)])
    model.train(was_training)
    y = data.y
    log_loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y).item()
    auc = roc_auc_score(y.numpy(), logits.numpy()) if 0 < y.sum() < y.numel() else float("nan")
    return {"auc": float(auc), "log_loss": float(log_loss)}


def save_ctr_model(
    model: CtrModel, path: str | Path, metrics: dict[str, Any] | None = None
) -> Path:
    """Write ``<path>.pt`` (state_dict) and ``<path>.json`` (name, config, metrics).

    Returns the path of the JSON file. Files are written to a temporary name and renamed, so a
    reader never sees half a file.
    """
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    weights, meta = base.with_suffix(".pt"), base.with_suffix(".json")
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    partial = weights.with_suffix(".pt.partial")
    torch.save(state, partial)
    os.replace(partial, weights)
    document = {"model": model.name, "config": model.config, "metrics": metrics or {}}
    partial = meta.with_suffix(".json.partial")
    partial.write_text(json.dumps(document, indent=2, sort_keys=True))
    os.replace(partial, meta)
    return meta


def load_ctr_model(path: str | Path) -> tuple[CtrModel, dict[str, Any]]:
    """Rebuild a model saved by ``save_ctr_model`` (no pickle); returns (model, metrics)."""
    base = Path(path)
    meta, weights = base.with_suffix(".json"), base.with_suffix(".pt")
    if not meta.is_file() or not weights.is_file():
        raise ModelError(f"path={str(base)!r}: needs both {meta.name} and {weights.name}")
    try:
        document = json.loads(meta.read_text())
        model = model_from_config(document["model"], document["config"])
        model.load_state_dict(torch.load(weights, weights_only=True, map_location="cpu"))
    except (KeyError, ValueError, RuntimeError, OSError) as error:
        raise ModelError(f"could not load CTR model {str(base)!r}: {error}") from None
    return model.eval(), document.get("metrics", {})


def sample_data(name: str, seed: int = 0) -> Dataset:
    """The data set of a sample model: "adult" (sample_data/adult.csv.gz) or "synthetic"."""
    from workbench.zoo.ctr_data import adult_fields, synthetic_ctr

    if name == "adult":
        return adult_fields()
    if name == "synthetic":
        return synthetic_ctr(n_rows=20_000, n_fields=8, seed=seed)[0]
    raise ParameterError(
        f"data: unknown sample data {name!r}; choose from {', '.join(SAMPLE_DATA)}"
    )


def sample_ctr_model(
    model: str,
    data: str | Dataset = "adult",
    *,
    config: dict[str, Any] | None = None,
    training: TrainingConfig | None = None,
    cache_dir: str | Path | None = None,
    test_size: float = 0.2,
) -> TrainedModel:
    """A trained sample model: loaded from the cache, or trained now (seeded) and cached.

    Parameters
    ----------
    model : str
        Registry name ("finalmlp", "masknet", "gdcn", "dcnv2", "autoint", "fcn", "optfs",
        "optinter").
    data : "adult", "synthetic" or Dataset
        A coded data set with a 0/1 target.
    config : dict, optional
        Model keyword arguments (e.g. ``{"mode": "parallel"}`` for MaskNet).
    training : TrainingConfig, optional
    cache_dir : str or Path, optional
        Default ``$WORKBENCH_CACHE_DIR/zoo`` or ``~/.cache/interaction-workbench/zoo``.
    test_size : float
        Stratified split with the training seed; the test rows are never seen in training.

    Returns
    -------
    TrainedModel
    """
    training = training or TrainingConfig()
    dataset = sample_data(data, training.seed) if isinstance(data, str) else data
    train, test = dataset.train_test_split(test_size, seed=training.seed, stratify=True)
    key = _cache_key(model, dataset, config or {}, training, test_size)
    path = _cache_root(cache_dir) / f"{model}-{key}"
    if path.with_suffix(".json").is_file() and path.with_suffix(".pt").is_file():
        trained, metrics = load_ctr_model(path)
        return TrainedModel(model, trained, train, test, metrics)
    seed_everything(training.seed)
    fresh = build_model(model, dataset, **(config or {}))
    metrics = train_ctr_model(fresh, train, training)
    scores = evaluate_ctr_model(fresh, test)
    metrics = {"test_auc": scores["auc"], "test_log_loss": scores["log_loss"], **metrics}
    save_ctr_model(fresh, path, metrics)
    return TrainedModel(model, fresh, train, test, metrics)


def _cache_root(cache_dir: str | Path | None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    root = os.environ.get("WORKBENCH_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "interaction-workbench"
    return base / "zoo"


def _cache_key(model, dataset, config, training, test_size) -> str:
    from workbench.zoo import model_class

    # the model's revision: weights cached before a model changed are retrained, not reused
    revision = model_class(model).revision
    parts = [_CACHE_LAYOUT, model, revision, dataset.fingerprint(), config, asdict(training)]
    text = json.dumps([*parts, test_size], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _check_binary_target(data: Dataset) -> None:
    if data.y is None:
        raise DataError("the data set has no target; CTR models need a 0/1 target")
    values = np.unique(data.y.numpy())
    if not set(values.tolist()) <= {0.0, 1.0}:
        raise DataError(f"the target must be 0/1 for a CTR model, got values {values[:5].tolist()}")
