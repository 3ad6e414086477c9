"""Per-field geometry of embedding tables: norms by frequency, dimension usage, anisotropy.

Each measure is computed twice where frequencies are known (ctr-models.md §2): over the rows of
the table ("table" weighting, what GDCN's FDO and OptEmbed read) and over the rows as the data
looks them up ("data" weighting, rows weighted by frequency). Rare rows that stayed near their
initial values dominate the first view.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from analyzers.embeddings import spectrum as sp
from analyzers.embeddings._inputs import Tables, as_counts, as_matrix, named
from analyzers.embeddings.invariance import invariance_of
from analyzers.result import Diagnostic, Result
from workbench.errors import ParameterError

GEOMETRY_COLUMNS = (
    "field",
    "weighting",
    "n_rows",
    "dim",
    "mean_norm",
    "median_norm",
    "effective_rank",
    "participation_ratio",
    "stable_rank",
    "information_abundance",
    "dim_80",
    "dim_95",
    "mean_pairwise_cosine",
    "mean_vector_ratio",
    "norm_log_frequency_spearman",
)
UNSEEN_STRATUM = -1
# A table whose effective rank is within this of 1 spreads its rows along one direction.
RANK_ONE_TOLERANCE = 1e-3
# A table whose summed singular values are below this (times its norm) has one row repeated.
CONSTANT_TOLERANCE = 1e-5


@dataclass(frozen=True, eq=False)
class FieldGeometry(Result):
    """Geometry of each field's embedding table.

    Attributes
    ----------
    field_names : tuple of str
    settings : dict
        center, n_strata, variance_levels.
    geometry : DataFrame
        One row per (field, weighting): the columns of ``GEOMETRY_COLUMNS``. ``dim_80`` and
        ``dim_95`` are the fewest principal components explaining 80% / 95% of the variance;
        the norm columns are frequency-weighted in the "data" rows.
    spectrum : DataFrame
        field, weighting, component (1-based), singular_value (standard deviation along the
        component), explained_variance_ratio, cumulative_explained_variance.
    norm_strata : DataFrame
        Row norms by log-frequency quantile (frequency drives norm): field, stratum
        (``UNSEEN_STRATUM`` for rows never seen), count_min, count_max, n_rows, mean_norm,
        median_norm. Empty without counts.
    measure_invariance : dict
        Which of these measures survive an invertible re-parametrisation (none does: all are
        descriptive; the spectral ones survive orthogonal maps).
    model_names : tuple of str
        Empty: the tables are given, not a model.
    seconds : float
    diagnostics : tuple of Diagnostic
        ``rank_one_field`` (its rows vary along one direction only) and ``constant_field``
        (every row the same), over the table rows.
    """

    kind: ClassVar[str] = "field_geometry"

    field_names: tuple[str, ...]
    settings: dict[str, Any]
    geometry: pd.DataFrame
    spectrum: pd.DataFrame
    norm_strata: pd.DataFrame
    measure_invariance: dict[str, str] = field(
        default_factory=lambda: invariance_of("row_norms", "spectrum", "anisotropy")
    )
    model_names: tuple[str, ...] = ()
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per (field, weighting): the columns of ``GEOMETRY_COLUMNS``."""
        return self.geometry


def field_geometry(
    tables: Tables,
    *,
    counts: Mapping[str, object] | Sequence[object] | None = None,
    field_names: Sequence[str] | None = None,
    center: bool = True,
    n_strata: int = 4,
    variance_levels: tuple[float, float] = (0.8, 0.95),
) -> FieldGeometry:
    """Norms, spectrum and anisotropy of every field's table.

    Parameters
    ----------
    tables : mapping of field name to (rows, dim) array, or a sequence of them
        One table per field (a field of a shared table: the rows its levels look up).
    counts : mapping or sequence of (rows,) arrays, optional
        How often each row occurs in the data. Adds the "data" weighting and the norm strata.
    field_names : sequence of str, optional
        Names for a sequence of tables (default ``field_0``, ...).
    center : bool
        Centre each table before the SVD (the spectrum of the covariance).
    n_strata : int
        Log-frequency quantile strata of the norm table.
    variance_levels : (float, float)
        Explained-variance levels reported as ``dim_80`` and ``dim_95``.

    Returns
    -------
    FieldGeometry

    Example
    -------
    >>> geometry = field_geometry({"city": torch.randn(100, 8)})
    >>> geometry.geometry.loc[0, "dim_95"]  # doctest: +SKIP
    8
    """
    start = time.perf_counter()
    named_tables = named(tables, field_names, "tables")
    named_counts = None if counts is None else named(counts, list(named_tables), "counts")
    if named_counts is not None and set(named_counts) != set(named_tables):
        raise ParameterError("counts must name the same fields as tables")
    if int(n_strata) < 1:
        raise ParameterError(f"n_strata must be >= 1, got {n_strata!r}")
    if len(variance_levels) != 2 or not all(0 < level <= 1 for level in variance_levels):
        raise ParameterError(
            f"variance_levels must be two levels in (0, 1], got {variance_levels!r}"
        )
    geometry, spectra, strata = [], [], []
    for name, raw in named_tables.items():
        table = as_matrix(raw, f"table of field {name!r}")
        views: dict[str, torch.Tensor | None] = {"table": None}
        if named_counts is not None:
            weights = as_counts(named_counts[name], table.shape[0], f"counts of field {name!r}")
            if weights.sum() <= 0:
                raise ParameterError(f"counts of field {name!r} are all 0")
            views["data"] = weights
            strata.append(_norm_strata(name, table.norm(dim=1), weights, int(n_strata)))
        for weighting, weights in views.items():
            singular_values = sp.table_spectrum(table, weights, center=center)
            geometry.append(
                _geometry_row(name, weighting, table, weights, singular_values, variance_levels)
            )
            spectra.append(_spectrum_rows(name, weighting, singular_values))
    settings = {
        "center": bool(center),
        "n_strata": int(n_strata),
        "variance_levels": [float(v) for v in variance_levels],
    }
    strata_frame = pd.concat(strata, ignore_index=True) if strata else _empty_strata()
    geometry_frame = pd.DataFrame(geometry, columns=list(GEOMETRY_COLUMNS))
    spectrum_frame = pd.concat(spectra, ignore_index=True)
    return FieldGeometry(
        field_names=tuple(named_tables),
        settings=settings,
        geometry=geometry_frame,
        spectrum=spectrum_frame,
        norm_strata=strata_frame,
        seconds=time.perf_counter() - start,
        diagnostics=collapsed_field_diagnostics(geometry_frame, spectrum_frame),
    )


def collapsed_field_diagnostics(
    geometry: pd.DataFrame, spectrum: pd.DataFrame
) -> tuple[Diagnostic, ...]:
    """``constant_field`` / ``rank_one_field`` warnings from the table-weighted rows: such a
    field's embedding tells its levels apart by nothing, or by one number."""
    table = geometry[geometry["weighting"] == "table"]
    spread = spectrum[spectrum["weighting"] == "table"].groupby("field")["singular_value"].sum()
    diagnostics = []
    for row in table.itertuples(index=False):
        # Rounding leaves a constant table a spread of about float precision times its norm.
        if not spread[row.field] > CONSTANT_TOLERANCE * max(row.mean_norm, 1.0):
            diagnostics.append(
                Diagnostic(
                    "constant_field",
                    f"field {row.field!r}: every row of its table is the same vector; the "
                    "embedding cannot tell its levels apart",
                )
            )
        elif row.dim > 1 and row.effective_rank <= 1 + RANK_ONE_TOLERANCE:
            diagnostics.append(
                Diagnostic(
                    "rank_one_field",
                    f"field {row.field!r}: effective rank {row.effective_rank:.4f} of "
                    f"{row.dim} dimensions; its rows vary along one direction only",
                )
            )
    return tuple(diagnostics)


def _geometry_row(
    name: str,
    weighting: str,
    table: torch.Tensor,
    weights: torch.Tensor | None,
    singular_values: torch.Tensor,
    levels: tuple[float, float],
) -> dict[str, Any]:
    norms = table.norm(dim=1)
    cosine, mean_vector_ratio = sp.anisotropy(table, weights)
    if weights is None:
        mean_norm, median_norm = float(norms.mean()), float(norms.median())
    else:
        mean_norm = float((weights * norms).sum() / weights.sum())
        median_norm = _weighted_median(norms, weights)
    return {
        "field": name,
        "weighting": weighting,
        "n_rows": int(table.shape[0] if weights is None else (weights > 0).sum()),
        "dim": int(table.shape[1]),
        "mean_norm": mean_norm,
        "median_norm": median_norm,
        "effective_rank": sp.effective_rank(singular_values),
        "participation_ratio": sp.participation_ratio(singular_values),
        "stable_rank": sp.stable_rank(singular_values),
        "information_abundance": sp.information_abundance(singular_values),
        "dim_80": sp.dimension_for(singular_values, levels[0]),
        "dim_95": sp.dimension_for(singular_values, levels[1]),
        "mean_pairwise_cosine": cosine,
        "mean_vector_ratio": mean_vector_ratio,
        "norm_log_frequency_spearman": math.nan if weights is None else _spearman(norms, weights),
    }


def _spectrum_rows(name: str, weighting: str, singular_values: torch.Tensor) -> pd.DataFrame:
    ratios = sp.explained_variance_ratio(singular_values)
    return pd.DataFrame(
        {
            "field": name,
            "weighting": weighting,
            "component": np.arange(1, singular_values.numel() + 1),
            "singular_value": singular_values.numpy(),
            "explained_variance_ratio": ratios.numpy(),
            "cumulative_explained_variance": ratios.cumsum(0).numpy(),
        }
    )


def _norm_strata(
    name: str, norms: torch.Tensor, counts: torch.Tensor, n_strata: int
) -> pd.DataFrame:
    """Norm statistics per log-frequency quantile of the seen rows, plus the unseen rows."""
    norms_np, counts_np = norms.numpy(), counts.numpy()
    seen = counts_np > 0
    log_counts = np.log(counts_np[seen])
    edges = np.unique(np.quantile(log_counts, np.linspace(0, 1, n_strata + 1)))
    # Inner edges only: a row equal to an edge goes to the upper stratum, the maximum stays in
    # the last one.
    stratum = np.full(counts_np.shape, UNSEEN_STRATUM)
    stratum[seen] = np.searchsorted(edges[1:-1], log_counts, side="right")
    rows = []
    for value in sorted(set(stratum.tolist())):
        members = stratum == value
        rows.append(
            {
                "field": name,
                "stratum": int(value),
                "count_min": float(counts_np[members].min()),
                "count_max": float(counts_np[members].max()),
                "n_rows": int(members.sum()),
                "mean_norm": float(norms_np[members].mean()),
                "median_norm": float(np.median(norms_np[members])),
            }
        )
    return pd.DataFrame(rows)


def _empty_strata() -> pd.DataFrame:
    columns = ["field", "stratum", "count_min", "count_max", "n_rows", "mean_norm", "median_norm"]
    return pd.DataFrame({c: pd.Series(dtype=float) for c in columns})


def _weighted_median(values: torch.Tensor, weights: torch.Tensor) -> float:
    order = values.argsort()
    cumulative = weights[order].cumsum(0)
    index = int(torch.searchsorted(cumulative, cumulative[-1] / 2))
    return float(values[order][min(index, values.numel() - 1)])


def _spearman(norms: torch.Tensor, counts: torch.Tensor) -> float:
    seen = counts > 0
    if seen.sum() < 3 or counts[seen].unique().numel() < 2 or norms[seen].unique().numel() < 2:
        return math.nan
    return float(spearmanr(norms[seen].numpy(), np.log(counts[seen].numpy())).statistic)
