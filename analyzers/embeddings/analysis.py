"""One call for a model's whole embedding picture: geometry, relations, collisions, map, Δloss.

Composes the pure functions of this package on what ``extract_embeddings`` reads from the model;
the result nests their results and round-trips through JSON like each of them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from analyzers.embeddings.collisions import HashCollisions, hash_collisions
from analyzers.embeddings.compare import EmbeddingComparison
from analyzers.embeddings.extract import ModelEmbeddings, extract_embeddings
from analyzers.embeddings.geometry import FieldGeometry, field_geometry
from analyzers.embeddings.private_rows import PrivateRowsEffect, private_rows_effect
from analyzers.embeddings.projection import Projection, project
from analyzers.embeddings.relations import FieldRelations, field_relations
from analyzers.result import Diagnostic, Result
from workbench.deprecation import renamed_parameters
from workbench.errors import ParameterError
from workbench.models import ModelAdapter, wrap_model
from workbench.progress import ProgressCallback
from workbench.sites import SiteSpec

PROJECTION_POINTS = ("table", "rows")


@dataclass(frozen=True, eq=False)
class EmbeddingReport(Result):
    """Everything the embeddings page and ``workbench embeddings`` show for one model.

    Attributes
    ----------
    model_names : tuple of str
        The one model analysed (``model_name`` reads it).
    settings : dict
        The parameters of ``analyze_embeddings``.
    geometry : FieldGeometry
        Per field, over the table and over the data (frequency-weighted).
    relations : FieldRelations
        Between fields over the sampled data rows.
    collisions : HashCollisions or None
        Shared tables only.
    projection : Projection or None
    private_rows : PrivateRowsEffect or None
        Shared tables, when asked for.
    comparison : EmbeddingComparison or None
        CKA between this model's field embeddings and other models' on the same rows, when
        asked for (``compare_embeddings``; the caller attaches it).
    seconds : float
        Wall time of the whole analysis.
    diagnostics : tuple of Diagnostic
        Those of its parts (a field of effective rank 1, a constant field).
    """

    kind: ClassVar[str] = "embedding_report"

    model_names: tuple[str, ...]
    settings: dict[str, Any]
    geometry: FieldGeometry
    relations: FieldRelations
    collisions: HashCollisions | None = None
    projection: Projection | None = None
    private_rows: PrivateRowsEffect | None = None
    comparison: EmbeddingComparison | None = None
    seconds: float = 0.0
    diagnostics: tuple[Diagnostic, ...] = field(default=())

    def parts(self) -> tuple[Result, ...]:
        """The nested results that were computed, in the order of the attributes."""
        candidates = (
            self.geometry,
            self.relations,
            self.collisions,
            self.projection,
            self.private_rows,
            self.comparison,
        )
        return tuple(part for part in candidates if part is not None)

    def to_frame(self) -> pd.DataFrame:
        """Per field and weighting: norms, ranks and anisotropy of its table."""
        return self.geometry.geometry

    def measure_invariance(self) -> dict[str, str]:
        """The invariance entries of every part, merged."""
        merged: dict[str, str] = {}
        for part in self.parts():
            merged.update(part.measure_invariance)
        return merged


@renamed_parameters(seed="random_state")
def analyze_embeddings(
    model,
    dataset,
    *,
    model_name: str = "model",
    embedding_site: str | SiteSpec | None = None,
    max_rows: int = 20_000,
    top_k: int = 4,
    projection: str | None = "pca",
    projection_points: str = "table",
    n_components: int = 2,
    max_points: int = 5000,
    point_values: Mapping[str, object] | None = None,
    private_rows_data: tuple[object, object] | None = None,
    per_field: bool = False,
    n_steps: int = 30,
    learning_rate: float = 0.003,
    max_batch_rows: int | None = None,
    random_state: int = 0,
    progress: ProgressCallback | None = None,
) -> EmbeddingReport:
    """Geometry, relations, collisions, a projection and (optionally) the private-rows Δloss.

    Parameters
    ----------
    model : ModelAdapter or torch.nn.Module
        Holds one FieldEmbedding (``workbench.zoo.embedding``). A bare module is wrapped as a
        CPU classifier returning logits for the private-rows Δloss; wrap it yourself for
        another task, output or device.
    dataset : Dataset
        Codes data set (column f = field f): frequencies and data rows.
    model_name : str
        Shown in figures and comparisons.
    embedding_site : str or SiteSpec, optional
        For a model without a FieldEmbedding: the module path (``"path#call"``) whose output
        holds the field vectors side by side (``extract_embeddings``).
    max_rows : int
        Data rows sampled for the relations between fields and the row map.
    top_k : int
        Principal directions of the subspace overlap.
    projection : "pca", "umap" or None
    projection_points : "table" or "rows"
        Map the table rows of every field (levels that occur; labels field, level, frequency,
        norm), or the data rows (each row's field vectors side by side; labels row, target).
    n_components, max_points
        Projection size and sample cap (frequency-weighted sample for table rows).
    point_values : mapping of column → per-point values, optional
        Extra colour columns for the map, one value per projected input point (e.g. a gate
        value or attribution per level or per row from the gates analyzer).
    private_rows_data : (fit Dataset, eval Dataset), optional
        Run ``private_rows_effect`` on these (shared tables only).
    per_field, n_steps, learning_rate, max_batch_rows
        Passed to ``private_rows_effect`` (``per_field`` adds one variant per field: costs
        one more pass over the fit rows per field and step).
    random_state : int
        Seed of the row sample, the map's sample and UMAP, and the private-rows fit (formerly
        ``seed``).
    progress : callable(stage, done, total), optional

    Returns
    -------
    EmbeddingReport
        With a ``rank_one_field`` or ``constant_field`` diagnostic for a collapsed field.

    Example
    -------
    >>> report = analyze_embeddings(trained.model, trained.test, model_name="gdcn")
    >>> report.to_frame().query("weighting == 'data'")[["field", "effective_rank"]]
    """
    if projection_points not in PROJECTION_POINTS:
        raise ParameterError(
            f"projection_points must be one of {PROJECTION_POINTS}, got {projection_points!r}"
        )
    started = time.perf_counter()
    stages = 4 + (private_rows_data is not None)
    report = _stage_reporter(progress, stages)
    extracted = extract_embeddings(
        model, dataset, max_rows=max_rows, random_state=random_state, embedding_site=embedding_site
    )
    geometry = field_geometry(extracted.tables_by_field(), counts=extracted.counts_by_field())
    relations = field_relations(extracted.rows_by_field(), top_k=top_k)
    report()
    collisions = _collisions(extracted)
    report()
    mapped = None
    if projection is not None:
        options = {"n_components": n_components, "max_points": max_points}
        options.update(random_state=random_state, progress=progress)
        mapped = _map(extracted, projection, projection_points, point_values, options)
    report()
    effect = None
    if private_rows_data is not None:
        options = {"per_field": per_field, "n_steps": n_steps, "learning_rate": learning_rate}
        options.update(max_batch_rows=max_batch_rows, random_state=random_state)
        effect = _private_rows(model, extracted, private_rows_data, options)
        report()
    settings = {
        "max_rows": int(max_rows),
        "n_rows_sampled": int(extracted.codes.shape[0]),
        "top_k": int(top_k),
        "projection": projection,
        "projection_points": projection_points,
        "n_components": int(n_components),
        "max_points": int(max_points),
        "point_values": sorted(point_values or {}),
        "random_state": int(random_state),
        "embedding_site": getattr(embedding_site, "name", embedding_site),
    }
    report()
    parts = [p for p in (geometry, relations, collisions, mapped, effect) if p is not None]
    return EmbeddingReport(
        (model_name,),
        settings,
        *(geometry, relations, collisions, mapped, effect),
        comparison=None,
        seconds=time.perf_counter() - started,
        diagnostics=tuple(d for part in parts for d in part.diagnostics),
    )


def _stage_reporter(progress: ProgressCallback | None, stages: int):
    """``report()`` says one more of ``stages`` stages is done (the first call: none yet)."""
    done = iter(range(stages + 1))

    def report() -> None:
        if progress is not None:
            progress("embeddings", next(done), stages)

    report()
    return report


def _collisions(extracted: ModelEmbeddings) -> HashCollisions | None:
    """Collisions of a shared table (None for a table per field)."""
    if not extracted.is_shared:
        return None
    buckets = dict(zip(extracted.field_names, extracted.buckets, strict=True))
    return hash_collisions(buckets, extracted.n_buckets, counts=extracted.counts_by_field())


def _map(
    extracted: ModelEmbeddings,
    method: str,
    points: str,
    point_values: Mapping[str, object] | None,
    options: dict,
) -> Projection:
    """The projection of the table rows or data rows, with the extra colour columns."""
    inputs, labels, weights = _projection_input(extracted, points)
    for column, values in (point_values or {}).items():
        values = np.asarray(values)
        if values.shape != (len(labels),):
            raise ParameterError(
                f"point_values[{column!r}] has shape {values.shape}; expected one value per "
                f"point ({len(labels)})"
            )
        labels[column] = values
    if weights is not None:
        # Only points of weight > 0 can be sampled.
        options = {**options, "max_points": min(options["max_points"], int((weights > 0).sum()))}
    return project(inputs, method=method, labels=labels, weights=weights, **options)


def _private_rows(model, extracted, data, options: dict) -> PrivateRowsEffect:
    """Δloss when colliding features get private rows (shared tables only)."""
    if not extracted.is_shared:
        raise ParameterError("private rows need a shared table; this model has one per field")
    fit_data, eval_data = data
    if not isinstance(model, ModelAdapter):
        # A bare module is read as a CTR model: one logit per row, log-loss.
        model = wrap_model(model, task="classification", output="logit", device="cpu")
    return private_rows_effect(model, fit_data, eval_data, **options)


def _projection_input(extracted: ModelEmbeddings, points: str):
    """Points, their labels and sampling weights for the map."""
    if points == "table":
        # All levels, so point_values can be given per level of the vocabulary; levels that
        # never occur get weight 0 and are never sampled.
        stacked, labels = extracted.table_points(seen_only=False)
        return stacked, labels, labels["frequency"].to_numpy(dtype=float)
    vectors = np.concatenate(
        [r.numpy() for r in extracted.row_embeddings], axis=1
    )  # (rows, Σ dims)
    labels = pd.DataFrame({"row": np.arange(len(vectors))})
    for name, levels, column in zip(
        extracted.field_names, extracted.level_labels, extracted.codes.T, strict=True
    ):
        labels[name] = np.asarray(levels, dtype=object)[column.numpy()].astype(str)
    return vectors, labels, None
