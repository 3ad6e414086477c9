"""The registration check of an attention site: its output holds, for each row, attention maps
over the fields whose weights sum to 1.

A site registered with kind "attention" is read by the Gates page's Attention card
(``analyzers.attention_maps``) as (rows, heads, F, F) maps, each query field's weights over the
key fields summing to 1, or as one weight per field pair summing to 1 (AFM). The rows may sit on
any axis (DeepCTR-Torch's softmax is (heads, rows, F, F)), so each axis holding the check rows is
tried. A site that fits neither shape is refused at registration with one line, not later on the
page.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from workbench.errors import ModelError, SiteOutputError
from workbench.sites import SiteHooks, SiteSpec

__all__ = ["attention_layout", "check_attention_site"]

# Softmax outputs in float32 sum to 1 within a few ulps per weight.
SUM_TOLERANCE = 1e-4


def check_attention_site(module, spec: SiteSpec, rows: torch.Tensor, n_fields: int) -> None:
    """One ModelError line unless ``spec``'s output on ``rows`` is attention over ``n_fields``
    fields: (rows, heads, F, F) with every last-axis sum 1, or (rows, F(F-1)/2) summing to 1."""
    n_rows, pairs = rows.shape[0], n_fields * (n_fields - 1) // 2
    for axis in range(4):
        flat = _read(module, replace(spec, rows_axis=axis), rows)  # (rows?, width)
        if flat is None:
            break
        if flat.shape[0] != n_rows:
            continue
        layout = attention_layout(flat.shape[1], n_fields)
        if layout == "fields":
            sums = flat.reshape(n_rows, -1, n_fields, n_fields).sum(-1)  # (rows, heads, F)
        elif layout == "pairs":
            sums = flat.sum(1)  # (rows,)
        else:
            continue
        if (flat >= 0).all() and torch.allclose(sums, torch.ones_like(sums), atol=SUM_TOLERANCE):
            return
    raise ModelError(
        f"site {spec.name!r} (kind attention): on {n_rows} check rows its output is not "
        f"attention over the {n_fields} fields, (rows, heads, {n_fields}, {n_fields}) maps whose "
        f"last axis sums to 1 (or {pairs} pair weights summing to 1)"
    )


def attention_layout(width: int, n_fields: int) -> str | None:
    """How a site's (rows, width) output holds attention over ``n_fields`` fields: "fields"
    (heads × F × F maps, each query's weights over the keys), "pairs" (one weight per field
    pair, in ``itertools.combinations`` order: AFM), or None (neither)."""
    if width % (n_fields * n_fields) == 0:
        return "fields"
    if width == n_fields * (n_fields - 1) // 2:
        return "pairs"
    return None


def _read(module, spec: SiteSpec, rows: torch.Tensor) -> torch.Tensor | None:
    """The site's output flattened with rows on ``spec.rows_axis``; None past its last axis."""
    kept: list[torch.Tensor] = []
    try:
        with torch.no_grad(), SiteHooks(module, {spec: kept.append}):
            module(rows)
    except SiteOutputError:
        if spec.rows_axis > 0:  # the output has no such axis: the earlier ones were tried
            return None
        raise
    return kept[0].double() if kept else None
