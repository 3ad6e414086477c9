"""Does sharing rows hurt? The Δloss when colliding features of a shared table get private rows.

Interventional, through ``EmbeddingVariantKernel``: variants of the model in which the colliding
features (of every field, or of one field) read private rows, initialised at their shared row.
A private row has nothing to learn from until it is fitted, so every variant, including the
unchanged shared table, has its table fitted by the same full-batch Adam steps on the fit rows
with the rest of the model frozen, and stopped at its best step on a validation share of them.
The effect of privatising is then the difference of held-out losses between a private variant
and the shared one fitted alike, not the gain of fitting the table a little longer. A negative
Δloss says collisions cost the model loss; about 0 says they do not matter at this data size.
The in-sample difference after all steps (``fit_delta_loss``) says how much capacity the
collisions take away, whether or not that generalises. This measure is about the model's
function, so it holds under any re-parametrisation of the table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch

from analyzers.embeddings.collisions import hash_collisions
from analyzers.embeddings.extract import find_field_embedding
from analyzers.embeddings.invariance import invariance_of
from analyzers.result import Diagnostic, Result
from workbench.deprecation import renamed_parameters
from workbench.errors import ModelError, ParameterError
from workbench.kernels.embedding_variants import EmbeddingVariantKernel

SHARED = "shared"
ALL_FIELDS = "all"


@dataclass(frozen=True, eq=False)
class PrivateRowsEffect(Result):
    """Held-out loss of the model when colliding features get private rows.

    Attributes
    ----------
    reference_loss : float
        Held-out mean loss of the model as trained.
    settings : dict
        n_steps, learning_rate, valid_fraction, row counts, n_buckets, loss.
    variants : DataFrame
        One row per variant: variant ("shared", "all" or a field name: whose colliding
        features are privatised), n_private_rows, fit_loss_before, fit_loss_final,
        fit_delta_loss (fit_loss_final − the shared variant's), best_step (by validation
        loss), valid_loss, eval_loss (held-out, at best_step) and delta_loss (eval_loss − the
        shared variant's eval_loss, fitted alike).
    measure_invariance : dict
    model_names : tuple of str
        Empty: the model is the caller's (``analyze_embeddings`` names it).
    seconds : float
    diagnostics : tuple of Diagnostic
    """

    kind: ClassVar[str] = "private_rows_effect"

    reference_loss: float
    settings: dict[str, Any]
    variants: pd.DataFrame
    measure_invariance: dict[str, str] = field(
        default_factory=lambda: invariance_of("private_rows_delta_loss")
    )
    model_names: tuple[str, ...] = ()
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per variant: its held-out loss and Δloss against the shared table."""
        return self.variants


@renamed_parameters(seed="random_state")
def private_rows_effect(
    adapter,
    fit_data,
    eval_data,
    *,
    per_field: bool = True,
    n_steps: int = 30,
    learning_rate: float = 0.003,
    valid_fraction: float = 0.25,
    max_fit_rows: int | None = 20_000,
    max_batch_rows: int | None = None,
    random_state: int = 0,
    embedding_name: str | None = None,
) -> PrivateRowsEffect:
    """Δloss on held-out rows when colliding features of a shared table get private rows.

    Parameters
    ----------
    adapter : ModelAdapter
        A torch model holding one shared-table FieldEmbedding; binary or regression output.
    fit_data, eval_data : Dataset
        Rows the variant tables are fitted on (the training rows), and the held-out rows they
        are scored on (codes data sets, column f = field f, with a target).
    per_field : bool
        Besides privatising every colliding feature, one variant per field privatising only
        that field's colliding features.
    n_steps : int
        Full-batch Adam steps on the tables of every variant (all variants fitted together).
    learning_rate : float
    valid_fraction : float
        Share of the fit rows held out to stop each variant at its best step: fitting a table
        with the rest of the model frozen overfits within a few steps, and a larger table
        (more private rows) overfits sooner, so a fixed step count would favour the shared one.
    max_fit_rows : int or None
        Seeded sample of fit rows used (cost: variants × rows per step).
    max_batch_rows : int or None
        Rows per forward pass; None sizes it from the device.
    random_state : int
        Seed of the fit-row sample and of the validation split (formerly ``seed``).
    embedding_name : str, optional
        Which embedding, when the model has several.

    Returns
    -------
    PrivateRowsEffect
        ``delta_loss`` on the held-out rows at each variant's best step, and
        ``fit_delta_loss`` on the fit rows after all steps: how much lower the training loss
        can go with private rows (the capacity collisions take away), whether or not that
        generalises.

    Example
    -------
    >>> effect = private_rows_effect(adapter, train, test, n_steps=20)  # doctest: +SKIP
    >>> effect.variants[["variant", "delta_loss"]]
    """
    started = time.perf_counter()
    embedding = find_field_embedding(adapter.module, embedding_name)
    _check_parameters(embedding, n_steps, learning_rate, valid_fraction)
    if max_fit_rows is not None and fit_data.n_rows > int(max_fit_rows):
        fit_data = fit_data.train_test_split(
            test_size=fit_data.n_rows - int(max_fit_rows), seed=random_state
        )[0]
    colliding = colliding_features(embedding, fit_data)
    names, index, table_rows = variant_index(embedding, colliding, per_field)
    fit_part, valid_part = fit_data.train_test_split(float(valid_fraction), seed=random_state)

    def kernel(data) -> EmbeddingVariantKernel:
        return EmbeddingVariantKernel(adapter, embedding, data, max_batch_rows=max_batch_rows)

    fitted = _fit_variants(
        embedding,
        colliding,
        index.to(adapter.device),
        (kernel(fit_part), kernel(valid_part), kernel(eval_data)),
        int(n_steps),
        float(learning_rate),
    )
    n_private = [0] + [
        len(colliding) if name == ALL_FIELDS else int((colliding["field"] == name).sum())
        for name in names[1:]
    ]
    settings = {
        "n_steps": int(n_steps),
        "learning_rate": float(learning_rate),
        "valid_fraction": float(valid_fraction),
        "n_fit_rows": int(fit_part.n_rows),
        "n_valid_rows": int(valid_part.n_rows),
        "n_eval_rows": int(eval_data.n_rows),
        "n_buckets": int(embedding.n_rows_total),
        "n_table_rows": int(table_rows),
        "loss": adapter.loss.name,
    }
    return PrivateRowsEffect(
        reference_loss=float(fitted["reference"]),
        settings=settings,
        variants=_variant_frame(names, n_private, fitted),
        seconds=time.perf_counter() - started,
    )


def _check_parameters(embedding, n_steps, learning_rate, valid_fraction) -> None:
    if not embedding.is_shared:
        raise ParameterError("the model's embedding has a table per field: no rows are shared")
    if int(n_steps) < 0 or not float(learning_rate) > 0:
        raise ParameterError(
            f"n_steps must be >= 0 and learning_rate > 0, got {n_steps!r}, {learning_rate!r}"
        )
    if not 0 < float(valid_fraction) < 1:
        raise ParameterError(f"valid_fraction must be in (0, 1), got {valid_fraction!r}")


def _fit_variants(embedding, colliding, index, kernels, n_steps: int, learning_rate: float):
    """Fit every variant's table by full-batch Adam on the fit rows, each kept at its best
    validation step; their losses before, after all steps and (best step) on the eval rows."""
    fit_kernel, valid_kernel, eval_kernel = kernels
    device = index.device
    with torch.no_grad():
        shared = embedding.shared_weight.detach().to(device)
        buckets = torch.as_tensor(np.array(colliding["bucket"], dtype=np.int64), device=device)
        start = torch.cat([shared, shared[buckets]])  # (table_rows, dim)
    n_variants = index.shape[0]
    tables = start.expand(n_variants, *start.shape).clone().requires_grad_(True)
    reference = eval_kernel.mean_losses(start[None], index[:1])[0]
    optimizer = torch.optim.Adam([tables], lr=learning_rate)
    with torch.no_grad():
        fit_before = fit_kernel.mean_losses(tables, index)
        best_valid = valid_kernel.mean_losses(tables, index)
    best_tables = tables.detach().clone()
    best_step = torch.zeros(n_variants, dtype=torch.int64, device=device)
    for step in range(1, n_steps + 1):
        optimizer.zero_grad()
        fit_kernel.mean_losses(tables, index, grad=True)
        optimizer.step()
        with torch.no_grad():
            valid = valid_kernel.mean_losses(tables, index)
            better = valid < best_valid
            best_valid = torch.where(better, valid, best_valid)
            best_tables[better] = tables.detach()[better]
            best_step[better] = step
    with torch.no_grad():
        fit_final = fit_kernel.mean_losses(tables, index)
        eval_loss = eval_kernel.mean_losses(best_tables, index)
    return {
        "reference": reference,
        "fit_before": fit_before,
        "fit_final": fit_final,
        "best_step": best_step,
        "best_valid": best_valid,
        "eval_loss": eval_loss,
    }


def _variant_frame(names, n_private, fitted: dict) -> pd.DataFrame:
    fit_final, eval_loss = fitted["fit_final"], fitted["eval_loss"]
    return pd.DataFrame(
        {
            "variant": names,
            "n_private_rows": n_private,
            "fit_loss_before": fitted["fit_before"].cpu().numpy(),
            "fit_loss_final": fit_final.cpu().numpy(),
            "fit_delta_loss": (fit_final - fit_final[0]).cpu().numpy(),
            "best_step": fitted["best_step"].cpu().numpy(),
            "valid_loss": fitted["best_valid"].cpu().numpy(),
            "eval_loss": eval_loss.cpu().numpy(),
            "delta_loss": (eval_loss - eval_loss[0]).cpu().numpy(),
        }
    )


def colliding_features(embedding: torch.nn.Module, fit_data) -> pd.DataFrame:
    """Features (field, level) that occur in the fit rows and share their bucket with another.

    Returns
    -------
    DataFrame
        ``HashCollisions.features`` rows of the colliding features: field, level, bucket,
        count, intra_collision, inter_collision.
    """
    if fit_data.n_features != len(embedding.vocab_sizes):
        raise ModelError(
            f"data has {fit_data.n_features} columns but the embedding has "
            f"{len(embedding.vocab_sizes)} fields"
        )
    codes = fit_data.X.round().long()  # (rows, fields)
    names = [str(n) for n in embedding.field_names]
    buckets, counts = {}, {}
    for f, size in enumerate(embedding.vocab_sizes):
        levels = torch.arange(size, device=embedding.shared_weight.device)
        buckets[names[f]] = embedding.row_index(f, levels).cpu().numpy()
        counts[names[f]] = np.bincount(codes[:, f].clamp(0, size - 1).numpy(), minlength=size)
    features = hash_collisions(buckets, embedding.n_rows_total, counts=counts).features
    return features[features["intra_collision"] | features["inter_collision"]].reset_index(
        drop=True
    )


def variant_index(
    embedding: torch.nn.Module, colliding: pd.DataFrame, per_field: bool
) -> tuple[list[str], torch.Tensor, int]:
    """Variants that privatise colliding features, as rows into one table layout.

    The layout is the shared rows, then one private row per colliding feature (in the order
    of ``colliding``).

    Returns
    -------
    (names, index, table_rows)
        Variant names ("shared", "all", then each field with collisions when ``per_field``),
        (variants, fields, max_vocab) int64 index of the row each level reads, rows in the
        layout.
    """
    vocab = embedding.vocab_sizes
    n_buckets = int(embedding.n_rows_total)
    base = torch.zeros(len(vocab), max(vocab), dtype=torch.int64)  # (fields, max_vocab)
    for f, size in enumerate(vocab):
        levels = torch.arange(size, device=embedding.shared_weight.device)
        base[f, :size] = embedding.row_index(f, levels).cpu()
    field_position = {str(n): i for i, n in enumerate(embedding.field_names)}
    fields_with_collisions = list(dict.fromkeys(colliding["field"]))
    names = [SHARED]
    if len(colliding):
        names.append(ALL_FIELDS)
        if per_field:
            names += fields_with_collisions
    index = base.expand(len(names), *base.shape).clone()
    private_row = n_buckets + np.arange(len(colliding))
    for v, name in enumerate(names[1:], start=1):
        chosen = colliding if name == ALL_FIELDS else colliding[colliding["field"] == name]
        rows = private_row[chosen.index.to_numpy()]
        positions = np.array(chosen["field"].map(field_position), dtype=np.int64)
        levels = np.array(chosen["level"], dtype=np.int64)
        index[v, torch.as_tensor(positions), torch.as_tensor(levels)] = torch.as_tensor(rows)
    return names, index, n_buckets + len(colliding)
