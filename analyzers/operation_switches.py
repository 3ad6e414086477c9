"""Force OptInter's operation per field pair and measure the loss: its choice as an intervention.

OptInter states, per field pair, whether the pair is memorized (a value-pair embedding),
factorized (e_i ⊙ e_j) or naive (no explicit term). That choice is an interaction claim; the
test is to switch the pair to another operation with every weight kept
(``OptInter.operation_override``) and measure the loss change on real rows, with paired
bootstrap intervals, beside the pair's measured interaction (SII by default) and the rank
agreement between "how much the pair's operation matters" and the measured interaction.

All switches run in shared forward passes (``workbench.kernels.operation_switches``). The base
is the model as it runs, and one switch forces one pair. For a retrained model, forcing a pair
to its chosen operation changes nothing (exactly 0); a search model runs a softmax mixture of
the operations, so forcing a pair to its argmax also moves the loss: that pair's share of the
discretisation (``settings["argmax_loss"]`` is the loss with every pair at its argmax).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from analyzers.result import Diagnostic, Result
from workbench.errors import ModelError, ParameterError

__all__ = ["OperationSwitchResult", "operation_switches"]

SWITCH_SOURCE = "largest |Δloss| of a switch"
NAIVE_SOURCE = "Δloss of forcing naive"


@dataclass(frozen=True)
class OperationSwitchResult(Result):
    """Loss change of each forced operation per field pair, beside the measured interaction.

    Attributes
    ----------
    model_names, field_names : tuple of str
    measured_index : str
    switches : DataFrame
        One row per pair and forced operation: pair, field_a, field_b, chosen, forced,
        available (False: a retrained naive pair has no term to switch on), loss_increase,
        loss_increase_low, loss_increase_high (paired bootstrap interval), mean_abs_logit_change.
        Forcing the chosen operation of a retrained model gives exactly 0. Also ``to_frame()``.
    pairs : DataFrame
        One row per pair: pair, field_a, field_b, chosen, switch_effect (largest |Δloss| of its
        available switches), naive_loss_increase (Δloss of forcing naive),
        measured, switch_rank, measured_rank (1 = strongest).
    agreement : DataFrame
        Spearman, Kendall and top-3 overlap of switch_effect and of naive_loss_increase against
        the measured interaction (``analyzers.intrinsic_interactions.rank_agreement``).
    base_loss : float
        Mean loss of the model as it runs.
    settings, seconds, diagnostics
        As for every ``Result``.
    """

    kind = "operation_switches"

    model_names: tuple[str, ...]
    field_names: tuple[str, ...]
    measured_index: str
    switches: pd.DataFrame
    pairs: pd.DataFrame
    agreement: pd.DataFrame
    base_loss: float
    settings: dict[str, Any]
    seconds: float
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.switches


def operation_switches(
    model,
    dataset,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    index: str = "sii",
    rows: int = 100,
    background: int = 50,
    random_state: int = 0,
    max_batch_rows: int | None = None,
    device: str = "auto",
    model_name: str = "model",
) -> OperationSwitchResult:
    """Switch each field pair of an OptInter to memorize, factorize and naive; measure Δloss.

    Parameters
    ----------
    model : OptInter or its adapter
        A search model (``choices=None``) or a retrained one.
    dataset : Dataset
        Coded fields with a 0/1 target; every row is used for the loss.
    pairs : sequence of (field, field), optional
        Pairs to switch; default every pair. The measured interaction covers every pair.
    n_bootstrap : int
        Poisson bootstrap resamples of the rows for the Δloss intervals.
    confidence : float
    index, rows, background : as for ``analyzers.intrinsic_interactions``
        Measured index, explained rows (a seeded sample) and background rows.
    random_state : int
        Seeds the bootstrap, the explained rows and the background.
    max_batch_rows : int or None
        Model rows per forward pass (tiled switches count).
    device, model_name : str

    Returns
    -------
    OperationSwitchResult
        With ``no_switch_effect`` when no switch moves the loss beyond its interval.

    Example
    -------
    >>> result = operation_switches(trained.model, trained.test, model_name="optinter")
    >>> result.pairs.nlargest(3, "switch_effect")[["pair", "chosen", "switch_effect", "measured"]]
    """
    from analyzers.gate_ablation import poisson_weights
    from analyzers.gate_common import as_site_adapter, sample_rows
    from analyzers.interactions import score_interactions
    from analyzers.intrinsic_interactions import measured_pair_matrix, rank_agreement
    from workbench.kernels.operation_switches import OperationSwitchKernel
    from workbench.zoo.optinter import OPERATIONS

    start = time.perf_counter()
    _check(dataset, n_bootstrap, confidence)
    adapter, module = as_site_adapter(model, device)
    if not hasattr(module, "operation_override"):
        raise ModelError(f"model: {type(module).__name__} has no operation switch (OptInter only)")
    fields = tuple(module.field_names)
    chosen = [OPERATIONS.index(op) for op in module.choices()]
    positions = _pair_positions(module, pairs)
    # variant 0: the model as it runs (-1: no pair forced); 1: every pair at its argmax
    overrides, labels = [torch.full((len(chosen),), -1), torch.tensor(chosen)], []
    for p, forced in itertools.product(positions, range(len(OPERATIONS))):
        available = p in module.active or OPERATIONS[forced] == "naive"
        labels.append((p, forced, available))
        if available:
            variant = torch.full((len(chosen),), -1)
            variant[p] = forced
            overrides.append(variant)
    kernel = OperationSwitchKernel(adapter, dataset.X, max_batch_rows=max_batch_rows)
    outputs = kernel.outputs(torch.stack(overrides))  # (2 + available switches, rows)
    y = dataset.y
    base_row_loss = adapter.loss.per_row(outputs[0], y)  # (rows,)
    weights = poisson_weights(int(n_bootstrap), dataset.n_rows, random_state)  # (draws, rows)
    alpha = (1 - confidence) / 2
    records, computed = [], iter(outputs[2:])
    for p, forced, available in labels:
        i, j = module.pairs[p]
        record = {
            "pair": f"{fields[i]} × {fields[j]}",
            "field_a": fields[i],
            "field_b": fields[j],
            "chosen": OPERATIONS[chosen[p]],
            "forced": OPERATIONS[forced],
            "available": available,
        }
        if available:
            out = next(computed)
            change = adapter.loss.per_row(out, y) - base_row_loss  # (rows,)
            draws = (weights * change).sum(1) / weights.sum(1)
            record |= {
                "loss_increase": float(change.mean()),
                "loss_increase_low": float(torch.quantile(draws, alpha)),
                "loss_increase_high": float(torch.quantile(draws, 1 - alpha)),
                "mean_abs_logit_change": float((out - outputs[0]).abs().mean()),
            }
        records.append(record)
    switches = pd.DataFrame(records, columns=_SWITCH_COLUMNS)
    explained = sample_rows(dataset.n_rows, rows, random_state)
    measured_result = score_interactions(
        adapter,
        dataset,
        index=index,
        rows=explained,
        background=background,
        random_state=random_state,
        model_name=model_name,
    )
    measured = measured_pair_matrix(measured_result, fields)
    pair_table = _pair_table(switches, measured, fields)
    agreement = rank_agreement(_as_sources(pair_table))
    argmax_loss = float(adapter.loss.per_row(outputs[1], y).mean())
    base_loss = float(base_row_loss.mean())
    return OperationSwitchResult(
        model_names=(model_name,),
        field_names=fields,
        measured_index=measured_result.index,
        switches=switches,
        pairs=pair_table,
        agreement=agreement,
        base_loss=base_loss,
        settings={
            "searching": bool(module.searching),
            "argmax_loss": argmax_loss,
            "n_rows": dataset.n_rows,
            "n_bootstrap": int(n_bootstrap),
            "confidence": confidence,
            "index": index,
            "rows": len(explained),
            "background": background,
            "random_state": random_state,
            "loss": adapter.loss.name,
            "forward_passes": kernel.forward_passes,
        },
        seconds=time.perf_counter() - start,
        diagnostics=(
            *measured_result.diagnostics,
            *_diagnostics(switches, module.searching, base_loss, argmax_loss, confidence),
        ),
    )


_SWITCH_COLUMNS = [
    "pair", "field_a", "field_b", "chosen", "forced", "available", "loss_increase",
    "loss_increase_low", "loss_increase_high", "mean_abs_logit_change",
]  # fmt: skip


def _check(dataset, n_bootstrap: int, confidence: float) -> None:
    if dataset.y is None:
        raise ParameterError("dataset has no target; operation switches measure the loss")
    if isinstance(n_bootstrap, bool) or int(n_bootstrap) < 10:
        raise ParameterError(f"n_bootstrap must be >= 10, got {n_bootstrap!r}")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must be in (0, 1), got {confidence!r}")


def _pair_positions(module, pairs) -> list[int]:
    """Positions in ``module.pairs`` of the named field pairs (either order); all by default."""
    if pairs is None:
        return list(range(len(module.pairs)))
    position = {name: f for f, name in enumerate(module.field_names)}
    chosen = []
    for pair in pairs:
        if len(pair) != 2 or not set(pair) <= set(position) or pair[0] == pair[1]:
            raise ParameterError(
                f"pairs: {pair!r} is not a pair of the model's fields "
                f"({', '.join(module.field_names[:6])}, ...)"
            )
        i, j = sorted((position[pair[0]], position[pair[1]]))
        chosen.append(module.pairs.index((i, j)))
    return sorted(set(chosen))


def _pair_table(switches: pd.DataFrame, measured: np.ndarray, fields) -> pd.DataFrame:
    position = {name: f for f, name in enumerate(fields)}
    records = []
    for pair, part in switches.groupby("pair", sort=False):
        others = part[part["available"]]
        naive = part[part["forced"] == "naive"]["loss_increase"]
        first = part.iloc[0]
        records.append(
            {
                "pair": pair,
                "field_a": first["field_a"],
                "field_b": first["field_b"],
                "chosen": first["chosen"],
                "switch_effect": float(others["loss_increase"].abs().max()) if len(others) else 0.0,
                "naive_loss_increase": float(naive.iloc[0]),
                "measured": float(measured[position[first["field_a"]], position[first["field_b"]]]),
            }
        )
    table = pd.DataFrame(records)
    table["switch_rank"] = table["switch_effect"].rank(ascending=False, method="min").astype(int)
    table["measured_rank"] = table["measured"].rank(ascending=False, method="min").astype(int)
    return table


def _as_sources(pair_table: pd.DataFrame) -> pd.DataFrame:
    """The pair table in ``rank_agreement``'s layout, one source per switch reading."""
    parts = [
        pair_table.assign(source=source, intrinsic=pair_table[column])
        for source, column in (
            (SWITCH_SOURCE, "switch_effect"),
            (NAIVE_SOURCE, "naive_loss_increase"),
        )
    ]
    return pd.concat(parts, ignore_index=True)[["source", "pair", "intrinsic", "measured"]]


def _diagnostics(switches, searching: bool, base_loss: float, argmax_loss: float, confidence):
    found = []
    moved = (switches["loss_increase_low"] > 0) | (switches["loss_increase_high"] < 0)
    if not moved.any():
        found.append(
            Diagnostic(
                "no_switch_effect",
                f"no switch of any pair's operation moves the loss beyond its {confidence:.0%} "
                "bootstrap interval: the model's choice of operations says nothing measurable "
                "about its interactions on these rows",
            )
        )
    if searching:
        found.append(
            Diagnostic(
                "search_model_base",
                f"a search model: the base is the softmax mixture of operations it runs (loss "
                f"{base_loss:.4f}), so forcing a pair to its argmax moves the loss too; every "
                f"pair at its argmax (the model OptInter derives) has loss {argmax_loss:.4f}",
                "info",
            )
        )
    return found
