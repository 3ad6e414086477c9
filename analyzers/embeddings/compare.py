"""The same embedding measures for several models side by side, and CKA between their fields.

Geometry numbers of two models differ under re-parametrisations that leave their functions
equal, so they are shown side by side as descriptions. Linear CKA between the field embeddings
of two models over the same data rows survives orthogonal maps and isotropic scaling: a CKA
near 1 for a field says both models embed its rows alike, up to rotation and scale.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd
import torch

from analyzers.embeddings._inputs import as_matrix
from analyzers.embeddings.geometry import field_geometry
from analyzers.embeddings.invariance import invariance_of
from analyzers.embeddings.relations import linear_cka
from analyzers.result import Diagnostic, Result
from workbench.errors import ParameterError

__all__ = ["EmbeddingComparison", "ModelComparison", "compare_embeddings", "compare_models"]


@dataclass(frozen=True, eq=False)
class EmbeddingComparison(Result):
    """Embedding geometry of several models, and CKA between their field embeddings.

    Attributes
    ----------
    model_names : tuple of str
    field_names : tuple of str
        Fields every model has.
    n_rows : int
        Data rows the CKA was computed over.
    geometry : DataFrame
        ``FieldGeometry.geometry`` of every model with a leading ``model`` column.
    cka : DataFrame
        model_1, model_2, field_1 (of model_1), field_2 (of model_2), linear_cka, same_field.
    measure_invariance : dict
    settings : dict
        Whether the geometry is of the tables (``tables`` given) or of the row embeddings.
    seconds : float
    diagnostics : tuple of Diagnostic
        Those of each model's geometry, the model named in the message.
    """

    kind: ClassVar[str] = "embedding_comparison"

    model_names: tuple[str, ...]
    field_names: tuple[str, ...]
    n_rows: int
    geometry: pd.DataFrame
    cka: pd.DataFrame
    measure_invariance: dict[str, str] = field(
        default_factory=lambda: invariance_of("row_norms", "spectrum", "anisotropy", "linear_cka")
    )
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """CKA of every (model pair, field pair)."""
        return self.cka

    def same_field_cka(self) -> pd.DataFrame:
        """One row per (model pair, field): how alike the two models embed that field."""
        same = self.cka[self.cka["same_field"]]
        return same.rename(columns={"field_1": "field"}).drop(columns=["field_2", "same_field"])


#: The name of this result before it was told apart from ``analyzers.compare``'s; kept one release.
ModelComparison = EmbeddingComparison


def compare_embeddings(
    row_embeddings: Mapping[str, Mapping[str, object]],
    *,
    tables: Mapping[str, Mapping[str, object]] | None = None,
    counts: Mapping[str, object] | None = None,
) -> EmbeddingComparison:
    """Geometry side by side and CKA between every pair of models' field embeddings.

    Parameters
    ----------
    row_embeddings : mapping model name → (mapping field → (rows, dim) array)
        Each model's field embeddings of the same data rows, in the same order.
    tables : mapping model name → (mapping field → (levels, dim) array), optional
        Each model's field tables for the geometry; default: geometry of the row embeddings.
    counts : mapping field → (levels,) counts, optional
        Level frequencies (shared by the models: they are the data's), for ``tables``.

    Returns
    -------
    EmbeddingComparison

    Example
    -------
    >>> comparison = compare_embeddings({"a": {"f": x}, "b": {"f": x @ rotation}})  # doctest: +SKIP
    >>> comparison.same_field_cka()["linear_cka"]  # 1.0
    """
    started = time.perf_counter()
    models = list(row_embeddings)
    if len(models) < 2:
        raise ParameterError(f"compare_embeddings needs at least 2 models, got {len(models)}")
    fields = [f for f in row_embeddings[models[0]] if all(f in row_embeddings[m] for m in models)]
    if not fields:
        raise ParameterError("the models share no field name; nothing to compare")
    matrices = {
        model: {
            f: as_matrix(row_embeddings[model][f], f"{model}: field {f!r}", min_rows=2)
            for f in fields
        }
        for model in models
    }
    rows = {m.shape[0] for per_model in matrices.values() for m in per_model.values()}
    if len(rows) != 1:
        raise ParameterError(f"every model and field needs the same data rows; got {sorted(rows)}")
    geometries = _geometries(matrices, fields, tables, counts)
    geometry_frame = pd.concat(
        [result.geometry.assign(model=model) for model, result in geometries.items()],
        ignore_index=True,
    )
    geometry_frame = geometry_frame[["model", *[c for c in geometry_frame if c != "model"]]]
    return EmbeddingComparison(
        model_names=tuple(models),
        field_names=tuple(fields),
        n_rows=rows.pop(),
        geometry=geometry_frame,
        cka=_cross_model_cka(matrices, fields),
        settings={"geometry_of": "rows" if tables is None else "tables"},
        seconds=time.perf_counter() - started,
        diagnostics=tuple(
            Diagnostic(d.code, f"{model}: {d.message}", d.severity)
            for model, result in geometries.items()
            for d in result.diagnostics
        ),
    )


def compare_models(*args, **kwargs) -> EmbeddingComparison:
    """Deprecated name of :func:`compare_embeddings` (``analyzers.compare.compare_models``
    compares interaction scores, a different thing); removed in the next release."""
    warnings.warn(
        "analyzers.embeddings.compare_models is renamed compare_embeddings; compare_models "
        "will be removed in the next release",
        FutureWarning,
        stacklevel=2,
    )
    return compare_embeddings(*args, **kwargs)


def _geometries(matrices, fields, tables, counts) -> dict:
    """model → FieldGeometry of its tables (when given) or of its row embeddings."""
    geometries = {}
    for model in matrices:
        if tables is None:
            geometries[model] = field_geometry(matrices[model])
            continue
        if model not in tables:
            raise ParameterError(f"tables has no entry for model {model!r}")
        field_counts = None if counts is None else {f: counts[f] for f in fields}
        geometries[model] = field_geometry(
            {f: tables[model][f] for f in fields}, counts=field_counts
        )
    return geometries


def _cross_model_cka(
    matrices: dict[str, dict[str, torch.Tensor]], fields: list[str]
) -> pd.DataFrame:
    records = []
    for model_1, model_2 in itertools.combinations(matrices, 2):
        for field_1, field_2 in itertools.product(fields, fields):
            records.append(
                {
                    "model_1": model_1,
                    "model_2": model_2,
                    "field_1": field_1,
                    "field_2": field_2,
                    "linear_cka": linear_cka(
                        matrices[model_1][field_1], matrices[model_2][field_2]
                    ),
                    "same_field": field_1 == field_2,
                }
            )
    return pd.DataFrame(records)
