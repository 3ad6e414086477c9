"""captum attributions of a CTR model per field, beside its gate statistics and ablation.

captum's own methods, not rewritten:
- ``FeatureAblation`` on the model input, one feature-mask group per field (the data set's
  groups), baseline = each column's most frequent value (a real level, unlike code 0 or an
  all-zero embedding);
- ``LayerIntegratedGradients`` on the field embedding (same baseline);
- ``LayerConductance`` and ``LayerIntegratedGradients`` at every field-aligned site. Codes
  cannot be interpolated, so these interpolate the embedding's output: the model runs on the
  rows with that output replaced by captum's input, from the baseline rows' embeddings to the
  rows' embeddings (a model without an embedding site interpolates its input).
Sites are module paths with a call index (``workbench.sites``). captum hooks every call of a
layer module, so a module called several times per pass (one shared ``nn.Sigmoid``) cannot be
its layer: the addressed call's output is sent through a fresh ``nn.Identity`` that runs once per
pass, and that identity is captum's layer. Completeness of integrated gradients
(Σ attributions = f(x) − f(baseline)) is reported by captum's convergence delta.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from captum.attr import FeatureAblation, LayerConductance, LayerIntegratedGradients
from scipy.stats import spearmanr

from analyzers.gate_common import as_site_adapter, chosen_sites, field_names_of, sample_rows
from analyzers.gate_results import GateAblation, GateAttributions, GateStatistics
from workbench.deprecation import renamed_parameters
from workbench.errors import ParameterError
from workbench.sites import SiteHooks, SiteSpec, measure_sites, parse_site

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
    sites: Sequence[str | SiteSpec] | None = None,
    site_kind: str = "gate",
    embedding: str | SiteSpec | None = None,
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
    model : torch.nn.Module or ModelAdapter wrapping one
    dataset : Dataset
        Rows the model reads; the baseline is each column's most frequent value over all rows.
    sites, site_kind
        As for ``gate_statistics``; the field-aligned ones are attributed.
    embedding : str or SiteSpec, optional
        Module path (``"path#call"``) of the field embedding, whose (rows, fields·dim) output is
        interpolated. Default the model's ``embedding`` module when it has one (the zoo), else
        none: the model's input is interpolated (dense inputs).
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
    adapter, module = as_site_adapter(model, device)
    chosen = [s for s in chosen_sites(adapter, dataset, sites, site_kind) if s.field_aligned]
    sample = sample_rows(dataset.n_rows, int(rows), random_state)
    X = dataset.X[sample].to(adapter.device, adapter.dtype)  # (rows, features)
    baseline = mode_baseline(dataset.X).to(adapter.device, adapter.dtype)  # (1, features)
    records = _Records(field_names_of(module, dataset))
    inputs = _Inputs(module, X, baseline, _embedding_site(adapter, dataset, embedding))
    with torch.enable_grad():
        _attribute_embeddings(module, inputs, _group_mask(dataset, X), n_steps, records)
        _attribute_sites(inputs, chosen, n_steps, records)
    per_field = pd.DataFrame(records.per_field)
    return GateAttributions(
        model_names=(model_name,),
        field_names=tuple(records.field_names),
        per_field=per_field,
        completeness=pd.DataFrame(records.completeness),
        rank_agreement=_rank_agreement(per_field, statistics, ablation),
        settings={
            "rows": int(X.shape[0]),
            "n_steps": int(n_steps),
            "random_state": random_state,
            "baseline": "most frequent value per column",
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


def _embedding_site(adapter, dataset, embedding) -> SiteSpec | None:
    """The measured embedding site: as given, the zoo's ``embedding`` module, or None."""
    module = adapter.module
    if embedding is None and not hasattr(module, "field_slices"):
        return None
    if embedding is None or isinstance(embedding, str):
        embedding = parse_site(embedding or "embedding", "embedding")
    if embedding.field_slices is None and hasattr(module, "field_slices"):
        slices = tuple((s.start, s.stop) for s in module.field_slices())
        embedding = SiteSpec(**{**embedding.to_dict(), "field_slices": slices})
    probe = dataset.X[:4].to(adapter.device, adapter.dtype)
    names = field_names_of(module, dataset)
    return measure_sites(module, [embedding], lambda: adapter.forward(probe), len(names), names)[0]


class _Inputs:
    """What captum interpolates: the embedding site's output on the rows (the model then runs
    with that output replaced), or the model input itself when there is no embedding site."""

    def __init__(self, module, X, baseline, embedding: SiteSpec | None) -> None:
        self.module, self.X, self.embedding = module, X, embedding
        self.baseline = baseline  # (1, features)
        if embedding is None:
            self.rows, self.base = X, baseline.expand_as(X)  # (rows, features)
            return
        self.rows = self._embedded(X)  # (rows, width)
        self.base = self._embedded(baseline.expand_as(X))

    def _embedded(self, X) -> torch.Tensor:
        kept = []
        with torch.no_grad(), SiteHooks(self.module, {self.embedding: kept.append}):
            self.module(X)
        return kept[0].detach()

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        """The model on the rows (tiled to captum's batch, step-major) with the embedding
        site's output replaced by ``emb`` (without an embedding site: the model on ``emb``)."""
        if self.embedding is None:
            return self.module(emb)
        copies = emb.shape[0] // self.X.shape[0]
        with SiteHooks(self.module, {self.embedding: lambda _out: emb}):
            return self.module(self.X.repeat(copies, 1))


def _group_mask(dataset, X) -> torch.Tensor:
    """(1, features) index of each column's group: captum's feature mask, one group per field."""
    mask = torch.empty(dataset.n_features, dtype=torch.long)
    for g, group in enumerate(dataset.groups):
        mask[list(group.columns)] = g
    return mask.to(X.device)[None]


def _attribute_embeddings(module, inputs: _Inputs, mask, n_steps: int, records: _Records) -> None:
    """Feature ablation on the inputs and integrated gradients on the field embeddings."""
    X, baseline = inputs.X, inputs.baseline
    ablated = FeatureAblation(module).attribute(X, baselines=baseline, feature_mask=mask)
    n_groups = int(mask.max()) + 1
    per_group = torch.stack(  # (rows, fields): FeatureAblation repeats a group's value per column
        [ablated[:, (mask[0] == g).nonzero()[0, 0]] for g in range(n_groups)], dim=1
    )
    records.add("feature_ablation", EMBEDDING_SITE, per_group)
    if inputs.embedding is None:
        return
    layer = torch.nn.Identity()  # captum's layer: the embedding's one call, routed through it
    with SiteHooks(module, {inputs.embedding: layer}):
        attr, delta = LayerIntegratedGradients(module, layer).attribute(
            X, baselines=baseline.expand_as(X), n_steps=n_steps, return_convergence_delta=True
        )  # (rows, width)
    records.add("integrated_gradients", EMBEDDING_SITE, _per_field(attr, inputs.embedding))
    change = module(X) - module(baseline.expand_as(X))
    records.completeness.append(_gap("integrated_gradients", EMBEDDING_SITE, delta, change))


def _attribute_sites(inputs: _Inputs, chosen, n_steps: int, records: _Records) -> None:
    """Conductance and layer integrated gradients at every field-aligned site."""
    for site in chosen:
        layer = torch.nn.Identity()  # the site's one call, routed through a once-per-pass module
        with SiteHooks(inputs.module, {site: layer}):
            conductance = LayerConductance(inputs.forward, layer).attribute(
                inputs.rows, baselines=inputs.base, n_steps=n_steps
            )  # (rows, width)
            records.add("layer_conductance", site.name, _per_field(conductance, site))
            # Only the gate is interpolated here; the embedding reaching the gated product
            # stays at x, so these sum to f(x) − f(x with the baseline's gate), not f(x) − f(b).
            attr = LayerIntegratedGradients(inputs.forward, layer).attribute(
                inputs.rows, baselines=inputs.base, n_steps=n_steps
            )
            records.add("layer_integrated_gradients", site.name, _per_field(attr, site))


def _per_field(values: torch.Tensor, site: SiteSpec) -> torch.Tensor:
    flat = values.reshape(values.shape[0], -1)  # (rows, width)
    return torch.stack([flat[:, cols].sum(1) for cols in site.slices()], dim=1)  # (rows, fields)


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
