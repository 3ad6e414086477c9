"""Attention maps of a CTR model, per layer and head: the global mean map and case-level maps.

AutoInt's paper (Song et al., CIKM 2019, Fig. 7) shows, for one input row, the F×F attention of
each query field over the key fields, labelled with the row's field values, beside the mean map
over the data. This is that figure's data for any model whose attention is a site:
the zoo's AutoInt (``attention{l}`` taps, (rows, heads, F, F)), DeepCTR-Torch's AutoInt through
a function site (``"int_layers.0@softmax"``, (heads, rows, F, F)), or AFM's attention over field
pairs (``"fm@softmax"``, (rows, pairs, 1)), shown as a symmetric F×F map with an empty diagonal.

Attention is what the model weighs, not what its output depends on (Jain & Wallace 2019):
``analyzers.intrinsic_interactions`` sets it beside interactions measured by intervention.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd
import torch

from analyzers.gate_common import as_site_adapter, field_names_of, sample_rows
from analyzers.result import Diagnostic, Result
from workbench.attention_check import attention_layout
from workbench.errors import ParameterError, SiteOutputError
from workbench.kernels.tap_edits import TapKernel
from workbench.sites import SiteSpec, as_site_specs

__all__ = ["AttentionMapsResult", "attention_maps", "attention_site_specs"]

# A map is uniform when no weight is further than this from 1/F (1/pairs), one-hot when every
# query puts at least 1 - this on one key.
DEGENERATE_TOLERANCE = 1e-3
# Row counts of the probes that find the rows axis of a site's output: two, so a head count
# equal to one of them cannot pass for the rows.
_PROBE_ROWS = (7, 9)


@dataclass(frozen=True)
class AttentionMapsResult(Result):
    """Attention maps per site (layer) and head, for chosen rows and averaged over a sample.

    Attributes
    ----------
    maps : DataFrame
        One row per map cell: scope ("global" or "case"), row (the data set position of a case;
        NA for the global map), site, head, query, key (field names), attention. In "fields"
        layout each query's weights over the keys sum to 1; in "pairs" layout (AFM) the weights
        of all pairs sum to 1 and cell (i, j) = (j, i) holds pair {i, j}'s weight.
    cases : DataFrame
        row, field, code, value: each field's value (level name where the data set has one) on
        each case row, to label the case maps.
    field_names : tuple of str
    layouts : dict
        site -> "fields" or "pairs".
    """

    kind: ClassVar[str] = "attention_maps"
    maps: pd.DataFrame
    cases: pd.DataFrame
    field_names: tuple[str, ...]
    layouts: dict[str, str]
    model_names: tuple[str, ...]
    settings: dict
    seconds: float
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.maps

    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.maps["site"]))

    def heads(self, site: str) -> tuple[int, ...]:
        return tuple(sorted(set(self.maps.loc[self.maps["site"] == site, "head"])))

    @property
    def rows(self) -> tuple[int, ...]:
        """The case rows, in the order asked."""
        return tuple(int(r) for r in dict.fromkeys(self.cases["row"]))

    def matrix(self, site: str, head: int, row: int | None = None) -> np.ndarray:
        """(F, F) map of one site and head: the global map, or the case map of ``row``."""
        maps = self.maps
        keep = (maps["site"] == site) & (maps["head"] == head)
        keep &= maps["row"].isna() if row is None else (maps["row"] == row).fillna(False)
        cells = maps[keep]
        if cells.empty:
            raise ParameterError(f"no map for site {site!r}, head {head}, row {row}")
        table = cells.pivot(index="query", columns="key", values="attention")
        names = list(self.field_names)
        return table.reindex(index=names, columns=names).to_numpy(dtype=float)

    def case_values(self, row: int) -> dict[str, str]:
        """Field -> value of one case row."""
        found = self.cases[self.cases["row"] == row]
        return dict(zip(found["field"], found["value"], strict=True))


def attention_maps(
    model,
    dataset,
    *,
    rows: Sequence[int] = (),
    sites: Sequence[str | SiteSpec] | None = None,
    sample: int = 1000,
    random_state: int = 0,
    model_name: str | None = None,
    device: str = "cpu",
    max_batch_rows: int | None = None,
) -> AttentionMapsResult:
    """Case-level attention maps for ``rows`` and the mean map over a row sample.

    Parameters
    ----------
    model : nn.Module or ModelAdapter
        A model with attention sites: its own (the zoo's AutoInt) or named in ``sites``.
    dataset : Dataset
        Rows in the model's input layout; fields are the model's ``field_names`` or the data
        set's groups.
    rows : sequence of int
        Data set positions of the case rows.
    sites : sequence of str or SiteSpec, optional
        Attention sites (module paths or ``path@softmax`` function sites); default: the model's
        own sites of kind "attention". The rows axis of a function site's output is found.
    sample : int
        Rows (a seeded sample) the global map averages over; 0: every row.
    random_state : int
        Seed of that sample.
    model_name : str, optional
    device : str
    max_batch_rows : int, optional
        Rows per forward pass.

    Returns
    -------
    AttentionMapsResult

    Example
    -------
    >>> result = attention_maps(autoint, adult_test, rows=[17])  # doctest: +SKIP
    >>> result.matrix("attention0", head=0, row=17)  # doctest: +SKIP
    """
    start = time.perf_counter()
    adapter, module = as_site_adapter(model, device)
    names = field_names_of(module, dataset)
    cases = _checked_rows(rows, dataset.n_rows)
    if int(sample) < 0:
        raise ParameterError(f"sample must be >= 0, got {sample}")
    specs = [
        _with_rows_axis(adapter, spec, dataset) for spec in attention_site_specs(module, sites)
    ]
    positions = sample_rows(dataset.n_rows, int(sample) or dataset.n_rows, random_state)
    kernel_rows = torch.as_tensor(positions, dtype=torch.long)
    F = len(names)
    summed = TapKernel(adapter, dataset.X[kernel_rows], max_batch_rows=max_batch_rows).capture(
        specs, reduce=lambda _name, out: out.double().sum(0, keepdim=True)
    )
    frames, layouts, diagnostics = [], {}, []
    for spec in specs:
        total = summed[spec.name].sum(0, keepdim=True)  # (1, width)
        layout, mean = _as_maps(spec, total / len(positions), F)  # (1, heads, F, F)
        layouts[spec.name] = layout
        frames.append(_tidy(mean[0], spec.name, names, "global", None))
        diagnostics += _degenerate(mean[0], spec.name, layout, "the global map")
    if cases:
        read = TapKernel(adapter, dataset.X[list(cases)], max_batch_rows=max_batch_rows)
        captured = read.capture(specs)
        for spec in specs:
            _, per_row = _as_maps(spec, captured[spec.name].double(), F)  # (cases, heads, F, F)
            for row, maps in zip(cases, per_row, strict=True):
                frames.append(_tidy(maps, spec.name, names, "case", row))
                diagnostics += _degenerate(maps, spec.name, layouts[spec.name], f"row {row}")
    settings = {
        "rows": list(cases),
        "sites": [s.name for s in specs],
        "sample": int(sample),
        "sample_rows": len(positions),
        "random_state": int(random_state),
    }
    return AttentionMapsResult(
        maps=pd.concat(frames, ignore_index=True).astype({"row": "Int64"}),
        cases=_case_values(dataset, names, cases),
        field_names=tuple(names),
        layouts=layouts,
        model_names=(model_name or type(module).__name__,),
        settings=settings,
        seconds=time.perf_counter() - start,
        diagnostics=tuple(diagnostics),
    )


def _checked_rows(rows: Sequence[int], n_rows: int) -> tuple[int, ...]:
    if isinstance(rows, int | np.integer):
        rows = [rows]
    out = []
    for row in rows:
        if not isinstance(row, int | np.integer) or not 0 <= int(row) < n_rows:
            raise ParameterError(f"rows: {row!r} is not a row position 0..{n_rows - 1}")
        out.append(int(row))
    return tuple(dict.fromkeys(out))


def attention_site_specs(module, sites: Sequence[str | SiteSpec] | None) -> list[SiteSpec]:
    """The attention sites named (kind set to "attention"), or the model's own; a one-line
    error when a model names none. Runs nothing: ``workbench attention`` checks an untrained
    model with it before training."""
    if sites is None:
        own = module.site_specs() if hasattr(module, "site_specs") else ()
        specs = [s for s in own if s.kind == "attention"]
        if not specs:
            raise ParameterError(
                f"model: {type(module).__name__} names no attention sites; pass sites=[...] "
                "(a module path, or a softmax inside a module: 'int_layers.0@softmax')"
            )
        return specs
    return [replace(s, kind="attention") for s in as_site_specs(module, sites, "attention")]


def _with_rows_axis(adapter, spec: SiteSpec, dataset) -> SiteSpec:
    """``spec`` with the axis of its output that follows the number of rows (probed twice)."""
    for axis in range(spec.rows_axis, 4):
        candidate = replace(spec, rows_axis=axis)
        try:
            heights = [_probe_height(adapter, candidate, dataset, n) for n in _PROBE_ROWS]
        except SiteOutputError:
            if axis > spec.rows_axis:  # the output has no such axis: the earlier ones were tried
                break
            raise
        if heights == list(_PROBE_ROWS):
            return candidate
    raise ParameterError(
        f"site {spec.name!r}: no axis of its output follows the number of rows; name a site "
        "that computes one map per row"
    )


def _probe_height(adapter, spec: SiteSpec, dataset, n: int) -> int:
    X = dataset.X[: min(n, dataset.n_rows)].to(adapter.device, adapter.dtype)
    if X.shape[0] < n:
        X = X[torch.arange(n) % X.shape[0]]
    return int(TapKernel(adapter, X).capture([spec])[spec.name].shape[0])


def _as_maps(spec: SiteSpec, flat: torch.Tensor, F: int) -> tuple[str, np.ndarray]:
    """(layout, (rows, heads, F, F) maps) from a site's (rows, width) output."""
    rows, width = flat.shape
    layout = attention_layout(width, F)
    if layout == "fields":
        return "fields", flat.reshape(rows, width // (F * F), F, F).cpu().numpy()
    pairs = list(itertools.combinations(range(F), 2))
    if layout == "pairs":  # AFM: one weight per field pair, in combinations order
        maps = np.full((rows, 1, F, F), np.nan)
        weights = flat.cpu().numpy()
        for p, (i, j) in enumerate(pairs):
            maps[:, 0, i, j] = maps[:, 0, j, i] = weights[:, p]
        return "pairs", maps
    raise ParameterError(
        f"site {spec.name!r}: output width {width} per row is neither heads × {F} × {F} "
        f"(attention over fields) nor {len(pairs)} (one weight per field pair)"
    )


def _tidy(maps: np.ndarray, site: str, names, scope: str, row: int | None) -> pd.DataFrame:
    heads, F, _ = maps.shape  # (heads, F, F)
    return pd.DataFrame(
        {
            "scope": scope,
            "row": row,
            "site": site,
            "head": np.repeat(np.arange(heads), F * F),
            "query": np.tile(np.repeat(np.asarray(names, dtype=object), F), heads),
            "key": np.tile(np.asarray(names, dtype=object), F * heads),
            "attention": maps.reshape(-1),
        }
    )


def _degenerate(maps: np.ndarray, site: str, layout: str, where: str) -> list[Diagnostic]:
    """A diagnostic per kind of degenerate head: uniform (1/F everywhere) or one-hot."""
    heads, F, _ = maps.shape
    found = []
    uniform_value = 1.0 / F if layout == "fields" else 2.0 / (F * (F - 1))
    deviation = np.nanmax(np.abs(maps - uniform_value), axis=(1, 2))  # (heads,)
    uniform = [h for h in range(heads) if deviation[h] < DEGENERATE_TOLERANCE]
    if uniform:
        found.append(
            Diagnostic(
                "attention_uniform",
                f"{site} head(s) {uniform}, {where}: attention is uniform ({uniform_value:.4g} "
                f"everywhere, largest deviation {deviation[uniform].max():.1e}): the head mixes "
                "all fields equally, so its map ranks no pair above another",
            )
        )
    if layout == "fields":
        peak = maps.max(axis=2).min(axis=1)  # (heads,) the weakest query's largest weight
        one_hot = [h for h in range(heads) if peak[h] >= 1 - DEGENERATE_TOLERANCE]
        if one_hot:
            found.append(
                Diagnostic(
                    "attention_one_hot",
                    f"{site} head(s) {one_hot}, {where}: every query field puts ≥ "
                    f"{1 - DEGENERATE_TOLERANCE} of its attention on one key field: the map "
                    "is a lookup, not a weighting",
                    severity="info",
                )
            )
    return found


def _case_values(dataset, names, cases: tuple[int, ...]) -> pd.DataFrame:
    """Each field's code and value (level name where known) on the case rows."""
    records = []
    fields = list(zip(names, dataset.groups, strict=False))
    for row in cases:
        for name, group in fields:
            code = float(dataset.X[row, group.columns[0]])
            levels = dataset.code_levels.get(group.name) or dataset.code_levels.get(name)
            known = levels is not None and code.is_integer() and 0 <= code < len(levels)
            value = str(levels[int(code)]) if known else f"{code:g}"
            records.append({"row": row, "field": name, "code": code, "value": value})
    return pd.DataFrame(records, columns=["row", "field", "code", "value"])
