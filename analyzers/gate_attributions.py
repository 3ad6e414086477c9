"""captum attributions of a CTR model per field, beside its gate statistics and ablation.

captum's own methods, not rewritten:
- ``FeatureAblation`` on the codes, one feature-mask group per field, baseline = each field's
  most frequent level (a real level, unlike code 0 or an all-zero embedding);
- ``LayerIntegratedGradients`` on the field-embedding layer (same baseline);
- ``LayerConductance`` and ``LayerIntegratedGradients`` at every field-aligned gate tap. Codes
  cannot be interpolated, so these run on ``model.head`` with the embeddings as input: the
  interpolation path goes from the baseline rows' embeddings to the rows' embeddings.
Completeness of integrated gradients (Σ attributions = f(x) − f(baseline)) is reported by
captum's convergence delta.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch
from captum.attr import FeatureAblation, LayerConductance, LayerIntegratedGradients
from scipy.stats import spearmanr

from analyzers.gate_common import as_ctr_adapter, sample_rows
from analyzers.gate_results import GateAblation, GateAttributions, GateStatistics
from workbench.deprecation import renamed_parameters
from workbench.errors import ParameterError

__all__ = ["gate_attributions", "mode_baseline"]

EMBEDDING_SITE = "embedding"


def mode_baseline(codes: torch.Tensor) -> torch.Tensor:
    """(1, fields) float: each field's most frequent code among the rows."""
    return torch.mode(codes.long(), dim=0).values.float().unsqueeze(0)


@renamed_parameters(seed="random_state")
def gate_attributions(
    model,
    dataset,
    *,
    rows: int = 256,
    n_steps: int = 32,
    random_state: int = 0,
    statistics: GateStatistics | None = None,
    ablation: GateAblation | None = None,
    device: str = "auto",
    model_name: str = "model",
) -> GateAttributions:
    """Per-field captum attributions on the embeddings and at the gate outputs.

    Parameters
    ----------
    model : CtrModel or ModelAdapter wrapping one
    dataset : Dataset
        Coded rows; the baseline is the most frequent level per field over all its rows.
    rows : int
        A seeded sample of this many rows is attributed (gradients are per row).
    n_steps : int
        Integration steps of IG and conductance (Gauss-Legendre, captum's default).
    random_state : int
        Seed of the row sample (formerly ``seed``).
    statistics, ablation : optional
        When given, the rank agreement (Spearman over fields) of every attribution with the
        site's mean gate and with its zero-ablation loss increase is reported.
    device : str
    model_name : str

    Returns
    -------
    GateAttributions
    """
    start = time.perf_counter()
    if int(rows) < 2 or int(n_steps) < 2:
        raise ParameterError(f"rows and n_steps must be >= 2, got {rows!r}, {n_steps!r}")
    adapter, module = as_ctr_adapter(model, device)
    sample = sample_rows(dataset.n_rows, int(rows), random_state)
    X = dataset.X[sample].to(adapter.device)  # (rows, fields)
    baseline = mode_baseline(dataset.X).to(adapter.device)  # (1, fields)
    records = _Records(module.field_names)
    with torch.enable_grad():
        _attribute_embeddings(module, X, baseline, n_steps, records)
        _attribute_sites(module, X, baseline, n_steps, records)
    per_field = pd.DataFrame(records.per_field)
    return GateAttributions(
        model_names=(model_name,),
        field_names=tuple(module.field_names),
        per_field=per_field,
        completeness=pd.DataFrame(records.completeness),
        rank_agreement=_rank_agreement(per_field, statistics, ablation),
        settings={
            "rows": int(X.shape[0]),
            "n_steps": int(n_steps),
            "random_state": random_state,
            "baseline": "most frequent level per field",
            "baseline_codes": [int(v) for v in baseline[0].tolist()],
        },
        seconds=time.perf_counter() - start,
    )


class _Records:
    """Rows of the per-field and completeness frames, as the methods produce them."""

    def __init__(self, field_names) -> None:
        self.field_names = list(field_names)
        self.per_field: list[dict] = []
        self.completeness: list[dict] = []

    def add(self, method: str, site: str, values: torch.Tensor) -> None:
        values = values.detach().double().cpu()  # (rows, fields)
        for f, name in enumerate(self.field_names):
            self.per_field.append(
                {
                    "method": method,
                    "site": site,
                    "field": name,
                    "mean_abs_attribution": float(values[:, f].abs().mean()),
                    "mean_attribution": float(values[:, f].mean()),
                }
            )


def _attribute_embeddings(module, X, baseline, n_steps: int, records: _Records) -> None:
    """Feature ablation on the codes and integrated gradients on the field embeddings."""
    fields = torch.arange(len(records.field_names), device=X.device)[None]
    ablated = FeatureAblation(module).attribute(
        X, baselines=baseline, feature_mask=fields
    )  # (rows, fields)
    records.add("feature_ablation", EMBEDDING_SITE, ablated)
    lig = LayerIntegratedGradients(module, module.embedding)
    attr, delta = lig.attribute(
        X, baselines=baseline.expand_as(X), n_steps=n_steps, return_convergence_delta=True
    )  # (rows, fields, dim)
    records.add("integrated_gradients", EMBEDDING_SITE, attr.sum(-1))
    change = module(X) - module(baseline.expand_as(X))
    records.completeness.append(_gap("integrated_gradients", EMBEDDING_SITE, delta, change))


def _attribute_sites(module, X, baseline, n_steps: int, records: _Records) -> None:
    """Conductance and layer integrated gradients at every field-aligned gate tap."""
    slices = module.field_slices()
    emb = module.embedding(X.long()).detach()  # (rows, fields, dim)
    emb_base = module.embedding(baseline.expand_as(X).long()).detach()
    for site in module.gate_sites():
        if not site.field_aligned:
            continue
        tap = module.taps[site.name]
        conductance = LayerConductance(module.head, tap).attribute(
            emb, baselines=emb_base, n_steps=n_steps
        )  # (rows, width)
        records.add("layer_conductance", site.name, _per_field(conductance, slices))
        # Only the gate is interpolated here; the embedding reaching the gated product stays
        # at x, so these sum to f(x) − f(x with the baseline's gate), not to f(x) − f(b).
        attr = LayerIntegratedGradients(module.head, tap).attribute(
            emb, baselines=emb_base, n_steps=n_steps
        )
        records.add("layer_integrated_gradients", site.name, _per_field(attr, slices))


def _per_field(values: torch.Tensor, slices) -> torch.Tensor:
    return torch.stack([values[:, cols].sum(1) for cols in slices], dim=1)  # (rows, fields)


def _gap(method: str, site: str, delta: torch.Tensor, change: torch.Tensor) -> dict:
    return {
        "method": method,
        "site": site,
        "max_abs_gap": float(delta.detach().abs().max()),
        "mean_abs_output_change": float(change.detach().abs().mean()),
    }


def _rank_agreement(
    per_field: pd.DataFrame, statistics: GateStatistics | None, ablation: GateAblation | None
) -> pd.DataFrame:
    """Spearman over fields between each attribution and each site's gate mean / ablation."""
    references = []
    if statistics is not None:
        for site, rows in statistics.per_field.groupby("site", sort=False):
            references.append((site, "gate_mean", rows.set_index("field")["mean"]))
    if ablation is not None:
        # Zero-ablation: how much the model needs the field through this site (mean-ablation
        # is ~0 for gates that hardly vary between rows, whatever the field's importance).
        effects = ablation.effects[ablation.effects["mode"] == "zero"]
        for site, rows in effects.groupby("site", sort=False):
            rows = rows[rows["field"] != "(all)"]
            if len(rows):
                references.append((site, "ablation", rows.set_index("field")["loss_increase"]))
    out = []
    for (method, site), rows in per_field.groupby(["method", "site"], sort=False):
        attribution = rows.set_index("field")["mean_abs_attribution"]
        for ref_site, against, reference in references:
            if site != EMBEDDING_SITE and ref_site != site:
                continue
            common = attribution.index.intersection(reference.index)
            rho = _spearman(attribution[common].to_numpy(), reference[common].to_numpy())
            out.append(
                {
                    "method": method,
                    "site": site,
                    "reference_site": ref_site,
                    "against": against,
                    "spearman": rho,
                    "n_fields": len(common),
                }
            )
    columns = ["method", "site", "reference_site", "against", "spearman", "n_fields"]
    return pd.DataFrame(out, columns=columns)


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)
