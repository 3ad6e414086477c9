"""What the gate analyses share: the model as an adapter, its sites, fields and row samples.

Any ``torch.nn.Module`` works: sites are module paths with a call index
(``workbench.sites.SiteSpec``); the zoo models name theirs (``CtrModel.site_specs``). Fields are
the model's own ``field_names`` where it has them (the zoo), else the data set's groups in order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from analyzers.result import Diagnostic
from workbench.errors import ModelError, ParameterError
from workbench.models import ModelAdapter, wrap_model
from workbench.sites import SiteSpec, as_site_specs, measure_sites

__all__ = [
    "as_site_adapter",
    "chosen_sites",
    "field_codes",
    "field_names_of",
    "gate_site_specs",
    "sample_rows",
    "soft_gate_diagnostics",
]

# Rows of the one forward pass that measures each site's width.
_PROBE_ROWS = 4


def as_site_adapter(model, device: str = "auto") -> tuple[ModelAdapter, torch.nn.Module]:
    """(adapter, the adapter's own module) for a torch module or an adapter wrapping one."""
    if isinstance(model, ModelAdapter):
        adapter = model
    elif isinstance(model, torch.nn.Module):
        adapter = wrap_model(model, task="classification", output="logit", device=device)
    else:
        raise ModelError(
            f"model must be a torch.nn.Module or its adapter, got {type(model).__name__}"
        )
    if adapter.module is None:
        raise ModelError("gate analyses need a torch model; this adapter runs a CPU function")
    return adapter, adapter.module


def field_names_of(module: torch.nn.Module, dataset) -> tuple[str, ...]:
    """The model's field names (zoo) or the data set's group names."""
    names = getattr(module, "field_names", None)
    return tuple(names) if names is not None else tuple(dataset.group_names)


def gate_site_specs(
    module: torch.nn.Module,
    sites: Sequence[str | SiteSpec] | None,
    site_kind: str = "gate",
) -> list[SiteSpec]:
    """The gate/mask sites named (or the model's own), unmeasured: a one-line error for a wrong
    path or an attention site. Runs nothing, so a caller can check an untrained model before
    training it (``workbench gates``)."""
    specs = as_site_specs(module, sites, site_kind)
    # Attention maps are (rows, heads, F, F), not a (rows, width) gate or mask: the model's own
    # sites default to the rest, and naming one is refused (analyzers.attention_maps and
    # analyzers.intrinsic_interactions read attention).
    attention = [s for s in specs if s.kind == "attention"]
    if sites is None:
        specs = [s for s in specs if s.kind != "attention"]
        if not specs:
            raise ParameterError(
                f"model: {type(module).__name__} has only attention sites; the gate analyses "
                "read gates and masks (its attention: `workbench attention`, "
                "`workbench intrinsic`)"
            )
    elif attention:
        raise ParameterError(
            f"sites: {attention[0].name!r} is an attention map (rows, heads, F, F), not a gate "
            "or mask; read it with `workbench attention` or `workbench intrinsic`"
        )
    return specs


def chosen_sites(
    adapter: ModelAdapter,
    dataset,
    sites: Sequence[str | SiteSpec] | None,
    site_kind: str = "gate",
) -> list[SiteSpec]:
    """The sites to analyse, resolved and measured on a few rows of ``dataset`` (one-line
    errors for a wrong path, a site that never fires, a call index beyond the calls seen)."""
    module = adapter.module
    specs = gate_site_specs(module, sites, site_kind)
    probe = dataset.X[:_PROBE_ROWS].to(adapter.device, adapter.dtype)
    names = field_names_of(module, dataset)
    return measure_sites(module, specs, lambda: adapter.forward(probe), len(names), names)


def field_codes(dataset, n_fields: int) -> list[torch.Tensor] | None:
    """Integer codes of each field (one column per group holding codes 0..k), else None."""
    if len(dataset.groups) != n_fields or any(len(g.columns) != 1 for g in dataset.groups):
        return None
    columns = [dataset.X[:, g.columns[0]] for g in dataset.groups]  # (rows,) each
    codes = [c.long() for c in columns]
    pairs = zip(codes, columns, strict=True)
    if any((c < 0).any() or not torch.equal(c.to(col.dtype), col) for c, col in pairs):
        return None
    return codes


def sample_rows(n_rows: int, rows: int, random_state: int) -> np.ndarray:
    """Sorted positions of a seeded sample of ``rows`` rows (all rows when fewer)."""
    if rows >= n_rows:
        return np.arange(n_rows)
    generator = np.random.default_rng(random_state)
    return np.sort(generator.choice(n_rows, size=rows, replace=False))


def soft_gate_diagnostics(module: torch.nn.Module) -> tuple[Diagnostic, ...]:
    """``soft_gates`` for a searched OptFS whose value gates σ(τ m) have not settled at 0 or 1.

    Such gates are not the 0/1 selection the model stands for (its ticket keeps m > 0): a
    search cut short, or one whose τ stayed low. Statistics and ablations of them describe an
    in-between model, so the reader is told, with the same threshold as ``optfs_selection``.
    """
    from workbench.zoo.optfs import OptFS

    if not isinstance(module, OptFS):
        return ()
    from analyzers.optfs_selection import HARD_SHARE

    hardness = module.gate_hardness()
    if hardness >= HARD_SHARE:
        return ()
    return (
        Diagnostic(
            "soft_gates",
            f"only {hardness:.0%} of this OptFS's value gates σ(τ m) lie within 0.05 of 0 or 1 "
            f"(τ = {float(module.temperature):.3g}): they are not the 0/1 selection its ticket "
            "makes, so these gates describe a search that had not settled (train it with "
            "train_ctr_model or workbench train, which run OptFS's full search, or raise "
            "final_temperature)",
        ),
    )
