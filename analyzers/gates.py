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

import pandas as pd
import torch

from analyzers.gate_ablation import ABLATION_MODES, gate_ablation, weighted_auc
from analyzers.gate_common import as_ctr_adapter, chosen_sites, model_name_of
from analyzers.gate_results import GateReport, GateStatistics
from workbench.errors import ParameterError
from workbench.kernels.tap_edits import TapKernel

__all__ = ["ABLATION_MODES", "analyze_gates", "gate_ablation", "gate_statistics", "weighted_auc"]

_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


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
    chosen = chosen_sites(module, sites)
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
        model=model_name_of(module, model_name),
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


# --------------------------------------------------------------------------- one page


def analyze_gates(
    model,
    dataset,
    *,
    sites: Sequence[str] | None = None,
    attributions: bool = True,
    attribution_rows: int = 256,
    interactions: bool = True,
    n_permutations: int = 3,
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
