"""Interventional test of the gates: replace a field's gate at one site, measure loss and AUC.

Replacing a gate by its mean, by its open value or by 0 and measuring the loss on real rows is
the faithful test of what a gate means (docs/ctr-models.md §1.2, tier I). All edits of a site
share forward passes (``workbench.kernels.tap_edits.TapKernel``); intervals are paired
bootstrap percentiles over rows.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence

import pandas as pd
import torch

from analyzers.gate_common import (
    as_site_adapter,
    chosen_sites,
    field_names_of,
    soft_gate_diagnostics,
)
from analyzers.gate_results import GateAblation
from analyzers.result import Diagnostic
from workbench.deprecation import renamed_parameters
from workbench.errors import ParameterError
from workbench.kernels.tap_edits import TapEdit, TapKernel
from workbench.sites import SiteSpec

__all__ = ["ABLATION_MODES", "ALL_FIELDS", "gate_ablation", "poisson_weights", "weighted_auc"]

ABLATION_MODES = ("mean", "open", "zero")
ALL_FIELDS = "(all)"  # the row of an ablation that replaces the whole site


@renamed_parameters(seed="random_state")
def gate_ablation(
    model,
    dataset,
    *,
    sites: Sequence[str | SiteSpec] | None = None,
    site_kind: str = "gate",
    modes: Sequence[str] = ABLATION_MODES,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    random_state: int = 0,
    max_batch_rows: int | None = None,
    device: str = "auto",
    model_name: str = "model",
) -> GateAblation:
    """Replace one field's gate at one site (or a whole site) and measure loss and AUC.

    For each site, field and mode the field's units at the site are set to their mean over the
    rows ("mean"), to the site's open value ("open": 1 for multiplicative gates and masks;
    skipped for cross terms and expert gates) or to 0 ("zero"); field ``"(all)"`` replaces the
    whole site. All edits of a site run in shared forward passes (``TapKernel``).

    Parameters
    ----------
    model : torch.nn.Module or ModelAdapter wrapping one
    dataset : Dataset
        Rows with a 0/1 target; its groups are the fields unless the model names its own.
    sites, site_kind
        As for ``gate_statistics``: zoo site names, module paths (``"path#call"``) or specs.
    modes : sequence of {"mean", "open", "zero"}
    n_bootstrap : int
        Paired bootstrap resamples of the rows (Poisson weights) for the intervals.
    confidence : float
    random_state : int
        Seed of the bootstrap weights (formerly ``seed``).
    max_batch_rows : int or None
    device : str
    model_name : str

    Returns
    -------
    GateAblation
        With a ``no_ablation_effect`` diagnostic for a site where every interval holds 0,
        and ``soft_gates`` for a searched OptFS whose gates are not yet 0/1.
    """
    start = time.perf_counter()
    _check_parameters(modes, confidence, n_bootstrap, dataset)
    adapter, module = as_site_adapter(model, device)
    chosen = chosen_sites(adapter, dataset, sites, site_kind)
    fields = field_names_of(module, dataset)
    kernel = TapKernel(adapter, dataset.X, max_batch_rows=max_batch_rows)
    edits, labels = _edits(fields, chosen, modes, _site_means(kernel, chosen, dataset.n_rows))
    base = adapter.predict(dataset.X)  # (rows,) logits
    edited = kernel.outputs(edits)  # (edits, rows)
    weights = poisson_weights(int(n_bootstrap), dataset.n_rows, random_state)  # (draws, rows)
    rows = _effect_rows(adapter.loss, base, edited, dataset.y, labels, weights, confidence)
    effects = pd.DataFrame(rows, columns=_ABLATION_COLUMNS)
    return GateAblation(
        model_names=(model_name,),
        field_names=fields,
        sites=tuple(s.name for s in chosen),
        effects=effects,
        base_loss=float(adapter.loss.per_row(base, dataset.y).mean()),
        base_auc=float(weighted_auc(base, dataset.y, None)),
        settings={
            "modes": list(modes),
            "n_bootstrap": int(n_bootstrap),
            "confidence": confidence,
            "random_state": random_state,
            "n_rows": dataset.n_rows,
            "loss": adapter.loss.name,
            "batch_rows": kernel.batch_rows,
        },
        forward_passes=kernel.forward_passes,
        seconds=time.perf_counter() - start,
        diagnostics=soft_gate_diagnostics(module) + no_effect_diagnostics(effects, confidence),
    )


_ABLATION_COLUMNS = [
    "site", "field", "mode", "replacement", "loss_increase", "loss_increase_low",
    "loss_increase_high", "auc_change", "auc_change_low", "auc_change_high",
    "mean_abs_logit_change",
]  # fmt: skip


def _check_parameters(modes, confidence: float, n_bootstrap: int, dataset) -> None:
    bad = [m for m in modes if m not in ABLATION_MODES]
    if bad or not modes:
        raise ParameterError(f"modes must be taken from {ABLATION_MODES}, got {list(modes)!r}")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must be in (0, 1), got {confidence!r}")
    if int(n_bootstrap) < 10:
        raise ParameterError(f"n_bootstrap must be >= 10, got {n_bootstrap!r}")
    if dataset.y is None:
        raise ParameterError("dataset has no target; ablation measures the loss")


def _site_means(kernel: TapKernel, chosen, n_rows: int) -> dict[str, torch.Tensor]:
    """site → (width,) mean of its output over the rows."""
    sums = kernel.capture(chosen, reduce=lambda _site, out: out.double().sum(0, keepdim=True))
    return {site: parts.sum(0) / n_rows for site, parts in sums.items()}


def _edits(fields, chosen, modes, means: dict[str, torch.Tensor]):
    """Every (site, field, mode) edit, and its label (site, field, mode, replacement)."""
    edits, labels = [], []
    for site in chosen:
        groups = [(ALL_FIELDS, slice(None))]
        if site.field_aligned:
            groups = [*zip(fields, site.slices(), strict=True), *groups]
        for (field, columns), mode in itertools.product(groups, modes):
            if mode == "open" and site.open_value is None:
                continue
            units = torch.zeros(site.width, dtype=torch.bool)
            units[columns] = True
            values = {
                "mean": means[site.name].float(),
                "open": torch.full((site.width,), float(site.open_value or 0.0)),
                "zero": torch.zeros(site.width),
            }[mode]
            edits.append(TapEdit(site, units, values))
            labels.append((site.name, field, mode, float(values[units].mean())))
    return edits, labels


def _effect_rows(loss, base, edited, y, labels, weights, confidence: float) -> list[dict]:
    """Loss and AUC change of each edit, with paired bootstrap intervals over the rows."""
    base_loss = loss.per_row(base, y)  # (rows,) float64
    alpha = (1 - confidence) / 2
    base_auc = weighted_auc(base, y, None)
    base_auc_draws = weighted_auc(base, y, weights)
    rows = []
    for (site, field, mode, replacement), outputs in zip(labels, edited, strict=True):
        loss_change = loss.per_row(outputs, y) - base_loss  # (rows,)
        loss_draws = (weights * loss_change).sum(1) / weights.sum(1)
        auc_draws = weighted_auc(outputs, y, weights) - base_auc_draws
        rows.append(
            {
                "site": site,
                "field": field,
                "mode": mode,
                "replacement": replacement,
                "loss_increase": float(loss_change.mean()),
                "loss_increase_low": float(torch.quantile(loss_draws, alpha)),
                "loss_increase_high": float(torch.quantile(loss_draws, 1 - alpha)),
                "auc_change": float(weighted_auc(outputs, y, None) - base_auc),
                "auc_change_low": float(torch.quantile(auc_draws, alpha)),
                "auc_change_high": float(torch.quantile(auc_draws, 1 - alpha)),
                "mean_abs_logit_change": float((outputs - base).abs().mean()),
            }
        )
    return rows


def no_effect_diagnostics(effects: pd.DataFrame, confidence: float) -> tuple[Diagnostic, ...]:
    """A ``no_ablation_effect`` warning for each site where no edit (any field, any mode) moves
    the loss beyond its bootstrap interval: nothing there says what the gate does."""
    moved = (effects["loss_increase_low"] > 0) | (effects["loss_increase_high"] < 0)
    silent = moved.groupby(effects["site"], sort=False).any()
    return tuple(
        Diagnostic(
            "no_ablation_effect",
            f"site {site!r}: no ablation of any field changes the loss beyond its "
            f"{confidence:.0%} bootstrap interval; the model does not need this gate here",
        )
        for site, any_moved in silent.items()
        if not any_moved
    )


def poisson_weights(draws: int, rows: int, random_state: int) -> torch.Tensor:
    """(draws, rows) float64 Poisson(1) row weights of a seeded paired bootstrap."""
    generator = torch.Generator().manual_seed(int(random_state))
    return torch.poisson(torch.ones(draws, rows, dtype=torch.float64), generator=generator)


def weighted_auc(
    scores: torch.Tensor, y: torch.Tensor, weights: torch.Tensor | None
) -> torch.Tensor:
    """ROC AUC with row weights, ties counted half (as scikit-learn); one AUC per weight row.

    Parameters
    ----------
    scores : Tensor (rows,)
    y : Tensor (rows,) of 0/1
    weights : Tensor (draws, rows) or None (all rows weight 1; returns a scalar)

    Returns
    -------
    Tensor (draws,) float64, or a 0-d tensor when ``weights`` is None.
    """
    single = weights is None
    w = torch.ones(1, scores.shape[0], dtype=torch.float64) if single else weights
    distinct, inverse = torch.unique(scores.double().cpu(), return_inverse=True)
    positive = y.double().cpu()
    pos = torch.zeros(w.shape[0], distinct.numel(), dtype=torch.float64)
    neg = torch.zeros_like(pos)
    pos.index_add_(1, inverse, w * positive)  # (draws, distinct scores)
    neg.index_add_(1, inverse, w * (1 - positive))
    below = neg.cumsum(1) - neg
    auc = (pos * (below + 0.5 * neg)).sum(1) / (pos.sum(1) * neg.sum(1))
    return auc[0] if single else auc
