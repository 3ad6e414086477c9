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
from analyzers.gate_common import (
    as_site_adapter,
    chosen_sites,
    field_codes,
    field_names_of,
    soft_gate_diagnostics,
)
from analyzers.gate_results import GateReport, GateStatistics
from analyzers.result import Diagnostic
from workbench.arguments import check_dataset
from workbench.deprecation import renamed_parameters
from workbench.errors import ParameterError
from workbench.kernels.tap_edits import TapKernel
from workbench.progress import ProgressCallback
from workbench.site_stacks import is_stacked
from workbench.sites import SiteSpec

__all__ = ["ABLATION_MODES", "analyze_gates", "gate_ablation", "gate_statistics", "weighted_auc"]

_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
# A gate whose standard deviation over the rows is below this is the same for every row.
CONSTANT_GATE_STD = 1e-6


# --------------------------------------------------------------------------- statistics


def gate_statistics(
    model,
    dataset,
    *,
    sites: Sequence[str | SiteSpec] | None = None,
    site_kind: str = "gate",
    near_zero: float = 0.05,
    max_batch_rows: int | None = None,
    device: str = "auto",
    model_name: str = "model",
) -> GateStatistics:
    """Per-site, per-field statistics of gate and mask values over the rows of ``dataset``.

    Parameters
    ----------
    model : torch.nn.Module or ModelAdapter wrapping one
        A zoo model (its named sites) or any torch model with ``sites`` given.
    dataset : Dataset
        Rows the model reads; its groups are the fields (unless the model has ``field_names``).
    sites : sequence of str or SiteSpec, optional
        Zoo site names, module paths ``"path"`` / ``"path#call"`` (``workbench.sites``) or
        specs. Default every site the model names (zoo models).
    site_kind : str
        Kind of the sites given as text ("gate", "mask", ...; ``SITE_KIND_DEFAULTS``).
    near_zero : float
        |value| below this counts as closed (sparsity).
    max_batch_rows : int or None
    device : str
    model_name : str

    Returns
    -------
    GateStatistics
        With a ``constant_gate_site`` diagnostic for a site whose values are the same for
        every row, and ``soft_gates`` for a searched OptFS whose gates are not yet 0/1.

    Example
    -------
    >>> stats = gate_statistics(trained.model, trained.test)
    >>> stats.per_field.query("site == 'stream1_gate'").sort_values("mean").tail(3)
    """
    start = time.perf_counter()
    if near_zero <= 0:
        raise ParameterError(f"near_zero must be > 0, got {near_zero!r}")
    adapter, module = as_site_adapter(model, device)
    chosen = chosen_sites(adapter, dataset, sites, site_kind)
    fields = field_names_of(module, dataset)
    kernel = TapKernel(adapter, dataset.X, max_batch_rows=max_batch_rows)
    aligned = {s.name: s.slices() for s in chosen if s.field_aligned}
    captured = kernel.capture(chosen, reduce=_field_reducer(aligned, near_zero))
    codes = field_codes(dataset, len(fields))  # None: no per-level means
    field_rows, level_rows, unit_rows = [], [], []
    for layer, site in enumerate(chosen):
        values = captured[site.name].double()
        if site.name not in aligned:
            unit_rows += _unit_rows(site.name, values, near_zero)
            continue
        for f, name in enumerate(fields):
            field_rows.append(_field_row(site, layer, name, values[:, f]))
            if codes is not None:
                level_rows += _level_means(site.name, name, values[:, f, 0], codes[f], dataset)
    per_field = pd.DataFrame(field_rows, columns=_FIELD_COLUMNS)
    per_unit_site = pd.DataFrame(unit_rows, columns=_UNIT_COLUMNS)
    return GateStatistics(
        model_names=(model_name,),
        field_names=fields,
        sites=tuple(s.name for s in chosen),
        per_field=per_field,
        per_level=pd.DataFrame(level_rows, columns=_LEVEL_COLUMNS),
        per_unit_site=per_unit_site,
        settings={"near_zero": near_zero, "n_rows": dataset.n_rows},
        seconds=time.perf_counter() - start,
        diagnostics=soft_gate_diagnostics(module)
        + constant_gate_diagnostics(per_field, per_unit_site),
    )


_FIELD_COLUMNS = [
    "site", "kind", "layer", "field", "mean", "std", "q05", "q25", "median", "q75", "q95",
    "share_near_zero", "share_above_half", "energy", "instance_dependence",
]  # fmt: skip
_LEVEL_COLUMNS = ["site", "field", "level", "level_label", "rows", "mean_gate"]
_UNIT_COLUMNS = ["site", "unit", "mean", "std", "share_near_zero"]


def _field_reducer(aligned: dict[str, tuple[slice, ...]], near_zero: float):
    """What the kernel keeps of a site's output per row: per field of an aligned site, the
    mean, mean square and share near zero of its units; the units themselves otherwise."""

    def per_field(site: str, output: torch.Tensor) -> torch.Tensor:
        if site not in aligned:
            return output.float()
        parts = [output[:, cols].float() for cols in aligned[site]]
        return torch.stack(  # (rows, fields, 3): mean, mean square, share near zero
            [
                torch.stack([p.mean(1), (p * p).mean(1), (p.abs() < near_zero).float().mean(1)], 1)
                for p in parts
            ],
            dim=1,
        )

    return per_field


def _unit_rows(site: str, values: torch.Tensor, near_zero: float) -> list[dict]:
    """One row per unit of a site that is not field-aligned; ``values`` is (rows, units)."""
    return [
        {
            "site": site,
            "unit": unit,
            "mean": float(values[:, unit].mean()),
            "std": float(values[:, unit].std()),
            "share_near_zero": float((values[:, unit].abs() < near_zero).double().mean()),
        }
        for unit in range(values.shape[1])
    ]


def _field_row(site, layer: int, name: str, values: torch.Tensor) -> dict:
    """Distribution of one field's gate at one site; ``values`` is (rows, 3) as reduced."""
    gate = values[:, 0]  # (rows,) field-level gate ḡ_f(x)
    quantiles = torch.quantile(gate, torch.tensor(_QUANTILES, dtype=gate.dtype)).tolist()
    second = float((gate * gate).mean())
    return {
        "site": site.name,
        "kind": site.kind,
        "layer": layer,
        "field": name,
        "mean": float(gate.mean()),
        "std": float(gate.std()),
        **dict(zip(("q05", "q25", "median", "q75", "q95"), quantiles, strict=True)),
        "share_near_zero": float(values[:, 2].mean()),
        "share_above_half": float((gate > 0.5).double().mean()),
        "energy": float(values[:, 1].mean()),
        "instance_dependence": float(gate.var(unbiased=False)) / second if second > 0 else 0.0,
    }


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


def constant_gate_diagnostics(
    per_field: pd.DataFrame, per_unit_site: pd.DataFrame
) -> tuple[Diagnostic, ...]:
    """A ``constant_gate_site`` warning for each site whose every field (or unit) has the same
    value on every row: such a gate rescales its input, it selects nothing per row."""
    spread = pd.concat([per_field[["site", "std"]], per_unit_site[["site", "std"]]])
    largest = spread.groupby("site", sort=False)["std"].max()
    return tuple(
        Diagnostic(
            "constant_gate_site",
            f"site {site!r}: every gate value is the same on all rows (largest standard "
            f"deviation {std:.2g}); it cannot gate anything per row, read it as a fixed scale",
        )
        for site, std in largest.items()
        if std <= CONSTANT_GATE_STD
    )


# --------------------------------------------------------------------------- one page


@renamed_parameters(
    seed="random_state",
    attributions="compute_attributions",
    interactions="compute_interactions",
)
def analyze_gates(
    model,
    dataset,
    *,
    sites: Sequence[str | SiteSpec] | None = None,
    site_kind: str = "gate",
    embedding: str | SiteSpec | None = None,
    compute_attributions: bool = True,
    attribution_rows: int = 256,
    compute_interactions: bool = True,
    n_permutations: int = 3,
    n_bootstrap: int = 200,
    random_state: int = 0,
    max_batch_rows: int | None = None,
    device: str = "auto",
    model_name: str = "model",
    progress: ProgressCallback | None = None,
) -> GateReport:
    """Statistics, ablation, captum attributions and field interactions of one model.

    Parameters
    ----------
    model : torch.nn.Module or ModelAdapter wrapping one
    dataset : Dataset
        Rows with a target (the held-out rows of the model).
    sites, site_kind
        As for ``gate_statistics``: zoo site names, module paths or ``SiteSpec`` objects.
    embedding : str or SiteSpec, optional
        Where the attributions interpolate: as for ``gate_attributions``.
    compute_attributions, compute_interactions : bool
        Skip the captum part or the field-interaction part (formerly ``attributions`` and
        ``interactions``).
    attribution_rows : int
        Rows (a seeded sample) for the gradient methods.
    n_permutations : int
        Permutations per field for the interaction scores.
    n_bootstrap, random_state, max_batch_rows, device, model_name
        As for ``gate_ablation``.
    progress : callable(stage, done, total), optional
        Called before each stage (statistics, ablation, attributions, field interactions) and
        once at the end.

    Returns
    -------
    GateReport

    Example
    -------
    >>> report = analyze_gates(trained.model, trained.test, compute_interactions=False)
    >>> report.ablation.ranking("stream1_gate", "zero")[:3]  # doctest: +SKIP
    """
    from analyzers.gate_attributions import gate_attributions
    from analyzers.gate_interactions import field_interactions

    start = time.perf_counter()
    report = _stage_reporter(progress, compute_attributions, compute_interactions)
    adapter, module = as_site_adapter(model, device)
    check_dataset(dataset)
    if hasattr(getattr(module, "embedding", None), "check_codes"):
        module.embedding.check_codes(dataset.X)  # bad codes: one line now, not a stage later
    if isinstance(sites, str | SiteSpec):
        sites = [sites]
    asked = None if sites is None else [getattr(s, "name", s) for s in sites]
    sites = chosen_sites(adapter, dataset, sites, site_kind)  # a wrong site fails before any stage
    notes: tuple[Diagnostic, ...] = ()
    if embedding is not None and is_stacked(getattr(embedding, "path", str(embedding))):
        # captum interpolates the embedding site's output, which a stacked site cannot replace
        notes = (
            Diagnostic(
                "embedding_site_read_only",
                f"embedding site {getattr(embedding, 'name', embedding)!r} joins several "
                "modules' outputs and can be read, not replaced: attributions are on the model "
                "inputs, not on the field embeddings",
                severity="info",
            ),
        )
        embedding = None
    common = {"sites": sites, "max_batch_rows": max_batch_rows, "model_name": model_name}
    report("statistics")
    statistics = gate_statistics(adapter, dataset, **common)
    report("ablation")
    ablation = gate_ablation(
        adapter, dataset, n_bootstrap=n_bootstrap, random_state=random_state, **common
    )
    attribution = None
    if compute_attributions:
        report("attributions")
        attribution = gate_attributions(
            adapter,
            dataset,
            sites=sites,
            embedding=embedding,
            rows=attribution_rows,
            random_state=random_state,
            statistics=statistics,
            ablation=ablation,
            model_name=model_name,
        )
    pairs = pd.DataFrame(columns=["field_1", "field_2", "fis", "source"])
    if compute_interactions:
        report("field interactions")
        pairs = field_interactions(
            adapter,
            dataset,
            n_permutations=n_permutations,
            random_state=random_state,
            max_batch_rows=max_batch_rows,
        )
    report(None)
    settings = {"sites": asked, "n_rows": dataset.n_rows}
    settings.update(compute_attributions=compute_attributions, attribution_rows=attribution_rows)
    settings.update(compute_interactions=compute_interactions, n_permutations=n_permutations)
    settings.update(n_bootstrap=n_bootstrap, random_state=random_state)
    parts = [p for p in (statistics, ablation, attribution) if p is not None]
    return GateReport(
        (model_name,),
        statistics,
        ablation,
        attribution,
        pairs,
        settings=settings,
        seconds=time.perf_counter() - start,
        # dict.fromkeys: a model-wide note both statistics and ablation give (soft_gates) once
        diagnostics=tuple(dict.fromkeys(notes + tuple(d for p in parts for d in p.diagnostics))),
    )


def _stage_reporter(progress: ProgressCallback | None, attributions: bool, interactions: bool):
    """``report(stage)`` says that ``stage`` starts (``None``: all done) as (stage, done, total)."""
    optional = {"attributions": attributions, "field interactions": interactions}
    stages = ["statistics", "ablation", *[stage for stage, run in optional.items() if run]]
    done = iter(range(len(stages) + 1))

    def report(stage: str | None) -> None:
        if progress is not None:
            progress(stage or stages[-1], next(done), len(stages))

    return report
