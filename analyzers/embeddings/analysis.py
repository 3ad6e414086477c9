"""One call for a model's whole embedding picture: geometry, relations, collisions, map, Δloss.

Composes the pure functions of this package on what ``extract_embeddings`` reads from the model;
the result nests their results and round-trips through JSON like each of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analyzers.embeddings.collisions import HashCollisions, hash_collisions
from analyzers.embeddings.extract import ModelEmbeddings, extract_embeddings
from analyzers.embeddings.geometry import FieldGeometry, field_geometry
from analyzers.embeddings.private_rows import PrivateRowsEffect, private_rows_effect
from analyzers.embeddings.projection import Projection, project
from analyzers.embeddings.relations import FieldRelations, field_relations
from workbench.errors import ParameterError
from workbench.models import ModelAdapter, wrap_model

PROJECTION_POINTS = ("table", "rows")
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, eq=False)
class EmbeddingReport:
    """Everything the embeddings page and ``workbench embeddings`` show for one model.

    Attributes
    ----------
    model_name : str
    settings : dict
        The parameters of ``analyze_embeddings`` and the wall time (seconds).
    geometry : FieldGeometry
        Per field, over the table and over the data (frequency-weighted).
    relations : FieldRelations
        Between fields over the sampled data rows.
    collisions : HashCollisions or None
        Shared tables only.
    projection : Projection or None
    private_rows : PrivateRowsEffect or None
        Shared tables, when asked for.
    """

    model_name: str
    settings: dict[str, Any]
    geometry: FieldGeometry
    relations: FieldRelations
    collisions: HashCollisions | None = None
    projection: Projection | None = None
    private_rows: PrivateRowsEffect | None = None

    def measure_invariance(self) -> dict[str, str]:
        """The invariance entries of every part, merged."""
        merged: dict[str, str] = {}
        for part in (
            self.geometry,
            self.relations,
            self.collisions,
            self.projection,
            self.private_rows,
        ):
            if part is not None:
                merged.update(part.measure_invariance)
        return merged

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "kind": "embedding_report",
            "model_name": self.model_name,
            "settings": self.settings,
            "geometry": self.geometry.to_dict(),
            "relations": self.relations.to_dict(),
            "collisions": None if self.collisions is None else self.collisions.to_dict(),
            "projection": None if self.projection is None else self.projection.to_dict(),
            "private_rows": None if self.private_rows is None else self.private_rows.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmbeddingReport:
        """Rebuild a result written by ``to_dict``."""

        def optional(key: str, kind):
            return None if data.get(key) is None else kind.from_dict(data[key])

        return cls(
            model_name=data["model_name"],
            settings=dict(data["settings"]),
            geometry=FieldGeometry.from_dict(data["geometry"]),
            relations=FieldRelations.from_dict(data["relations"]),
            collisions=optional("collisions", HashCollisions),
            projection=optional("projection", Projection),
            private_rows=optional("private_rows", PrivateRowsEffect),
        )


def analyze_embeddings(
    model,
    dataset,
    *,
    model_name: str = "model",
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
    seed: int = 0,
    progress: Progress | None = None,
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
    seed : int
    progress : callable(stage, done, total), optional

    Returns
    -------
    EmbeddingReport
    """
    if projection_points not in PROJECTION_POINTS:
        raise ParameterError(
            f"projection_points must be one of {PROJECTION_POINTS}, got {projection_points!r}"
        )
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    stages = 4 + (private_rows_data is not None)
    report("embeddings", 0, stages)
    extracted = extract_embeddings(model, dataset, max_rows=max_rows, seed=seed)
    geometry = field_geometry(extracted.tables_by_field(), counts=extracted.counts_by_field())
    relations = field_relations(extracted.rows_by_field(), top_k=top_k)
    report("embeddings", 1, stages)
    collisions = None
    if extracted.is_shared:
        buckets = dict(zip(extracted.field_names, extracted.buckets, strict=True))
        collisions = hash_collisions(
            buckets, extracted.n_buckets, counts=extracted.counts_by_field()
        )
    report("embeddings", 2, stages)
    mapped = None
    if projection is not None:
        points, labels, weights = _projection_input(extracted, projection_points)
        for column, values in (point_values or {}).items():
            values = np.asarray(values)
            if values.shape != (len(labels),):
                raise ParameterError(
                    f"point_values[{column!r}] has shape {values.shape}; expected one value per "
                    f"point ({len(labels)})"
                )
            labels[column] = values
        mapped = project(
            points,
            method=projection,
            n_components=n_components,
            labels=labels,
            weights=weights,
            max_points=min(max_points, int((np.asarray(weights) > 0).sum()))
            if weights is not None
            else max_points,
            seed=seed,
            progress=progress,
        )
    report("embeddings", 3, stages)
    effect = None
    if private_rows_data is not None:
        if not extracted.is_shared:
            raise ParameterError("private rows need a shared table; this model has one per field")
        fit_data, eval_data = private_rows_data
        if not isinstance(model, ModelAdapter):
            # A bare module is read as a CTR model: one logit per row, log-loss.
            model = wrap_model(model, task="classification", output="logit", device="cpu")
        effect = private_rows_effect(
            model,
            fit_data,
            eval_data,
            per_field=per_field,
            n_steps=n_steps,
            learning_rate=learning_rate,
            max_batch_rows=max_batch_rows,
            seed=seed,
        )
        report("embeddings", 4, stages)
    settings = {
        "max_rows": int(max_rows),
        "n_rows_sampled": int(extracted.codes.shape[0]),
        "top_k": int(top_k),
        "projection": projection,
        "projection_points": projection_points,
        "n_components": int(n_components),
        "max_points": int(max_points),
        "point_values": sorted(point_values or {}),
        "seed": int(seed),
        "seconds": time.perf_counter() - started,
    }
    report("embeddings", stages, stages)
    return EmbeddingReport(model_name, settings, geometry, relations, collisions, mapped, effect)


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
