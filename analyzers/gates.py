"""What the gates and masks of a CTR model do: statistics, ablation, attributions, interactions.

Three tiers (docs/ctr-models.md §1.2): gate *statistics* describe values (a gate of 0.9 on a
field the model ignores downstream still reads 0.9); *attributions* (captum) are faithful to
first order or along a path; *ablation* replaces a field's gate at one site by its mean, by the
open value (1) or by 0 and measures the loss on real rows, the faithful test of what a gate
means. Every model evaluation goes through ``workbench.kernels.tap_edits.TapKernel``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from analyzers.gate_results import GateAblation, GateReport, GateStatistics
from workbench.errors import ModelError, ParameterError
from workbench.kernels.tap_edits import TapEdit, TapKernel
from workbench.models import ModelAdapter, wrap_model

__all__ = ["ABLATION_MODES", "analyze_gates", "gate_ablation", "gate_statistics", "weighted_auc"]

ABLATION_MODES = ("mean", "open", "zero")
ALL_FIELDS = "(all)"  # the row of an ablation that replaces the whole site
_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def as_ctr_adapter(model, device: str = "auto") -> tuple[ModelAdapter, torch.nn.Module]:
    """(adapter, the adapter's own CtrModel) for a CtrModel or an adapter wrapping one."""
    if isinstance(model, ModelAdapter):
        adapter = model
    elif isinstance(model, torch.nn.Module):
        adapter = wrap_model(model, task="classification", output="logit", device=device)
    else:
        raise ModelError(f"model must be a zoo CtrModel or its adapter, got {type(model).__name__}")
    module = adapter.module
    if module is None or not hasattr(module, "gate_sites"):
        raise ModelError("model has no gate sites; gate analyses need a workbench.zoo model")
    return adapter, module


def _sites(module, sites: Sequence[str] | None):
    if sites is None:
        return list(module.gate_sites())
    return [module.site(name) for name in sites]


def _model_name(module, model_name: str | None) -> str:
    return model_name or getattr(module, "name", type(module).__name__)


# --------------------------------------------------------------------------- statistics


def gate_statistics(
    model,
    dataset,
    *,
    sites: Sequence[str] | None = None,
    near_zero: float = 0.05,
    max_batch_rows: int | None = None,
    device: str = "auto",
    model_name: str | None = None,
) -> GateStatistics:
    """Per-site, per-field statistics of gate and mask values over the rows of ``dataset``.

    Parameters
    ----------
    model : CtrModel or ModelAdapter wrapping one
    dataset : Dataset
        Coded rows (``adult_fields``, ``synthetic_ctr``).
    sites : sequence of str, optional
        Default every site of the model.
    near_zero : float
        |value| below this counts as closed (sparsity).
    max_batch_rows : int or None
    device : str
    model_name : str, optional

    Returns
    -------
    GateStatistics

    Example
    -------
    >>> stats = gate_statistics(trained.model, trained.test)
    >>> stats.per_field.query("site == 'stream1_gate'").sort_values("mean").tail(3)
    """
    start = time.perf_counter()
    adapter, module = as_ctr_adapter(model, device)
    chosen = _sites(module, sites)
    if near_zero <= 0:
        raise ParameterError(f"near_zero must be > 0, got {near_zero!r}")
    slices = module.field_slices()
    names = module.field_names
    kernel = TapKernel(adapter, dataset.X, max_batch_rows=max_batch_rows)
    aligned = {s.name for s in chosen if s.field_aligned}

    def per_field(site: str, output: torch.Tensor) -> torch.Tensor:
        if site not in aligned:
            return output.float()
        parts = [output[:, cols].float() for cols in slices]
        return torch.stack(  # (rows, fields, 3): mean, mean square, share near zero
            [
                torch.stack([p.mean(1), (p * p).mean(1), (p.abs() < near_zero).float().mean(1)], 1)
                for p in parts
            ],
            dim=1,
        )

    captured = kernel.capture([s.name for s in chosen], reduce=per_field)
    codes = dataset.X.long()
    field_rows, level_rows, unit_rows = [], [], []
    for layer, site in enumerate(chosen):
        values = captured[site.name].double()
        if site.name not in aligned:
            for unit in range(values.shape[1]):
                column = values[:, unit]
                unit_rows.append(
                    {
                        "site": site.name,
                        "unit": unit,
                        "mean": float(column.mean()),
                        "std": float(column.std()),
                        "share_near_zero": float((column.abs() < near_zero).double().mean()),
                    }
                )
            continue
        for f, name in enumerate(names):
            gate = values[:, f, 0]  # (rows,) field-level gate ḡ_f(x)
            quantiles = torch.quantile(gate, torch.tensor(_QUANTILES, dtype=gate.dtype)).tolist()
            second = float((gate * gate).mean())
            field_rows.append(
                {
                    "site": site.name,
                    "kind": site.kind,
                    "layer": layer,
                    "field": name,
                    "mean": float(gate.mean()),
                    "std": float(gate.std()),
                    **dict(zip(("q05", "q25", "median", "q75", "q95"), quantiles, strict=True)),
                    "share_near_zero": float(values[:, f, 2].mean()),
                    "share_above_half": float((gate > 0.5).double().mean()),
                    "energy": float(values[:, f, 1].mean()),
                    "instance_dependence": float(gate.var(unbiased=False)) / second
                    if second > 0
                    else 0.0,
                }
            )
            level_rows += _level_means(site.name, name, gate, codes[:, f], dataset)
    return GateStatistics(
        model=_model_name(module, model_name),
        field_names=tuple(names),
        sites=tuple(s.name for s in chosen),
        per_field=pd.DataFrame(field_rows, columns=_FIELD_COLUMNS),
        per_level=pd.DataFrame(level_rows, columns=_LEVEL_COLUMNS),
        per_unit_site=pd.DataFrame(unit_rows, columns=_UNIT_COLUMNS),
        settings={"near_zero": near_zero, "n_rows": dataset.n_rows},
        seconds=time.perf_counter() - start,
    )


_FIELD_COLUMNS = [
    "site", "kind", "layer", "field", "mean", "std", "q05", "q25", "median", "q75", "q95",
    "share_near_zero", "share_above_half", "energy", "instance_dependence",
]  # fmt: skip
_LEVEL_COLUMNS = ["site", "field", "level", "level_label", "rows", "mean_gate"]
_UNIT_COLUMNS = ["site", "unit", "mean", "std", "share_near_zero"]


def _level_means(site: str, field: str, gate: torch.Tensor, codes: torch.Tensor, dataset):
    n_levels = int(codes.max()) + 1
    counts = torch.bincount(codes, minlength=n_levels)
    sums = torch.bincount(codes, weights=gate, minlength=n_levels)
    labels = dataset.code_levels.get(field, ())
    return [
        {
            "site": site,
            "field": field,
            "level": level,
            "level_label": labels[level] if level < len(labels) else str(level),
            "rows": int(counts[level]),
            "mean_gate": float(sums[level] / counts[level]),
        }
        for level in range(n_levels)
        if counts[level] > 0
    ]


# --------------------------------------------------------------------------- ablation


def gate_ablation(
    model,
    dataset,
    *,
    sites: Sequence[str] | None = None,
    modes: Sequence[str] = ABLATION_MODES,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    max_batch_rows: int | None = None,
    device: str = "auto",
    model_name: str | None = None,
) -> GateAblation:
    """Replace one field's gate at one site (or a whole site) and measure loss and AUC.

    For each site, field and mode the field's units at the site are set to their mean over the
    rows ("mean"), to the site's open value ("open": 1 for multiplicative gates and masks;
    skipped for cross terms and expert gates) or to 0 ("zero"); field ``"(all)"`` replaces the
    whole site. All edits of a site run in shared forward passes (``TapKernel``).

    Parameters
    ----------
    model : CtrModel or ModelAdapter wrapping one
    dataset : Dataset
        Coded rows with a 0/1 target.
    sites : sequence of str, optional
    modes : sequence of {"mean", "open", "zero"}
    n_bootstrap : int
        Paired bootstrap resamples of the rows (Poisson weights) for the intervals.
    confidence : float
    seed : int
    max_batch_rows : int or None
    device : str
    model_name : str, optional

    Returns
    -------
    GateAblation
    """
    start = time.perf_counter()
    adapter, module = as_ctr_adapter(model, device)
    chosen = _sites(module, sites)
    bad = [m for m in modes if m not in ABLATION_MODES]
    if bad or not modes:
        raise ParameterError(f"modes must be taken from {ABLATION_MODES}, got {list(modes)!r}")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must be in (0, 1), got {confidence!r}")
    if int(n_bootstrap) < 10:
        raise ParameterError(f"n_bootstrap must be >= 10, got {n_bootstrap!r}")
    if dataset.y is None:
        raise ParameterError("dataset has no target; ablation measures the loss")
    kernel = TapKernel(adapter, dataset.X, max_batch_rows=max_batch_rows)
    means = {
        site: parts.sum(0) / dataset.n_rows
        for site, parts in kernel.capture(
            [s.name for s in chosen], reduce=lambda _site, out: out.double().sum(0, keepdim=True)
        ).items()
    }  # site -> (width,) mean over rows
    edits, labels = [], []
    for site in chosen:
        groups = [(ALL_FIELDS, slice(None))]
        if site.field_aligned:
            groups = [*zip(module.field_names, module.field_slices(), strict=True), *groups]
        for field, columns in groups:
            for mode in modes:
                if mode == "open" and site.open_value is None:
                    continue
                units = torch.zeros(site.width, dtype=torch.bool)
                units[columns] = True
                values = {
                    "mean": means[site.name].float(),
                    "open": torch.full((site.width,), float(site.open_value or 0.0)),
                    "zero": torch.zeros(site.width),
                }[mode]
                edits.append(TapEdit(site.name, units, values))
                labels.append((site.name, field, mode, float(values[units].mean())))
    base = adapter.predict(dataset.X)  # (rows,) logits
    edited = kernel.outputs(edits)  # (edits, rows)
    y = dataset.y
    base_loss = adapter.loss.per_row(base, y)  # (rows,) float64
    weights = _poisson_weights(int(n_bootstrap), dataset.n_rows, seed)  # (draws, rows)
    alpha = (1 - confidence) / 2
    base_auc_draws = weighted_auc(base, y, weights)
    rows = []
    for (site, field, mode, replacement), outputs in zip(labels, edited, strict=True):
        loss_change = adapter.loss.per_row(outputs, y) - base_loss  # (rows,)
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
                "auc_change": float(weighted_auc(outputs, y, None) - weighted_auc(base, y, None)),
                "auc_change_low": float(torch.quantile(auc_draws, alpha)),
                "auc_change_high": float(torch.quantile(auc_draws, 1 - alpha)),
                "mean_abs_logit_change": float((outputs - base).abs().mean()),
            }
        )
    return GateAblation(
        model=_model_name(module, model_name),
        field_names=tuple(module.field_names),
        sites=tuple(s.name for s in chosen),
        effects=pd.DataFrame(rows, columns=_ABLATION_COLUMNS),
        base_loss=float(base_loss.mean()),
        base_auc=float(weighted_auc(base, y, None)),
        settings={
            "modes": list(modes),
            "n_bootstrap": int(n_bootstrap),
            "confidence": confidence,
            "seed": seed,
            "n_rows": dataset.n_rows,
            "loss": adapter.loss.name,
            "batch_rows": kernel.batch_rows,
        },
        forward_passes=kernel.forward_passes,
        seconds=time.perf_counter() - start,
    )


_ABLATION_COLUMNS = [
    "site", "field", "mode", "replacement", "loss_increase", "loss_increase_low",
    "loss_increase_high", "auc_change", "auc_change_low", "auc_change_high",
    "mean_abs_logit_change",
]  # fmt: skip


def _poisson_weights(draws: int, rows: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(int(seed))
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


# --------------------------------------------------------------------------- one page


def analyze_gates(
    model,
    dataset,
    *,
    sites: Sequence[str] | None = None,
    attributions: bool = True,
    attribution_rows: int = 256,
    interactions: bool = True,
    n_permutations: int = 10,
    n_bootstrap: int = 200,
    seed: int = 0,
    max_batch_rows: int | None = None,
    device: str = "auto",
    model_name: str | None = None,
) -> GateReport:
    """Statistics, ablation, captum attributions and field interactions of one model.

    Parameters
    ----------
    model : CtrModel or ModelAdapter wrapping one
    dataset : Dataset
        Coded rows with a target (the held-out rows of the model).
    sites : sequence of str, optional
    attributions, interactions : bool
        Skip the captum part or the field-interaction part.
    attribution_rows : int
        Rows (a seeded sample) for the gradient methods.
    n_permutations : int
        Permutations per field for the interaction scores.
    n_bootstrap, seed, max_batch_rows, device, model_name
        As for ``gate_ablation``.

    Returns
    -------
    GateReport
    """
    from analyzers.gate_attributions import gate_attributions
    from analyzers.gate_interactions import field_interactions

    adapter, _ = as_ctr_adapter(model, device)
    common = {"sites": sites, "max_batch_rows": max_batch_rows, "model_name": model_name}
    statistics = gate_statistics(adapter, dataset, **common)
    ablation = gate_ablation(adapter, dataset, n_bootstrap=n_bootstrap, seed=seed, **common)
    attribution = None
    if attributions:
        attribution = gate_attributions(
            adapter,
            dataset,
            rows=attribution_rows,
            seed=seed,
            statistics=statistics,
            ablation=ablation,
            model_name=model_name,
        )
    pairs = (
        field_interactions(
            adapter,
            dataset,
            n_permutations=n_permutations,
            seed=seed,
            max_batch_rows=max_batch_rows,
        )
        if interactions
        else pd.DataFrame(columns=["field_1", "field_2", "fis", "source"])
    )
    return GateReport(statistics, ablation, attribution, pairs)


def sample_rows(n_rows: int, rows: int, seed: int) -> np.ndarray:
    """Sorted positions of a seeded sample of ``rows`` rows (all rows when fewer)."""
    if rows >= n_rows:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=rows, replace=False))
