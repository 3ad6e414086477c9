"""Embedding geometry: per-field geometry, relations between fields, hashed-table collisions,
projections and comparison across models.

Pure functions on tensors return frozen results of the one protocol (``analyzers.result``).
``invariance`` says which measures survive a re-parametrisation of the embeddings that leaves
the model's function unchanged (few do: most numbers here are descriptive).
"""

from analyzers.embeddings.analysis import EmbeddingReport, analyze_embeddings
from analyzers.embeddings.collisions import HashCollisions, expected_collision_rate, hash_collisions
from analyzers.embeddings.compare import (
    EmbeddingComparison,
    ModelComparison,
    compare_embeddings,
    compare_models,
)
from analyzers.embeddings.extract import ModelEmbeddings, extract_embeddings, find_field_embedding
from analyzers.embeddings.geometry import FieldGeometry, field_geometry
from analyzers.embeddings.invariance import MEASURE_INVARIANCE, invariance_of
from analyzers.embeddings.private_rows import PrivateRowsEffect, private_rows_effect
from analyzers.embeddings.projection import Projection, clear_projection_cache, project
from analyzers.embeddings.relations import (
    FieldRelations,
    field_relations,
    linear_cka,
    subspace_overlap,
)

__all__ = [
    "MEASURE_INVARIANCE",
    "EmbeddingComparison",
    "EmbeddingReport",
    "FieldGeometry",
    "FieldRelations",
    "HashCollisions",
    "ModelComparison",
    "ModelEmbeddings",
    "PrivateRowsEffect",
    "Projection",
    "analyze_embeddings",
    "clear_projection_cache",
    "compare_embeddings",
    "compare_models",
    "expected_collision_rate",
    "extract_embeddings",
    "field_geometry",
    "field_relations",
    "find_field_embedding",
    "hash_collisions",
    "invariance_of",
    "linear_cka",
    "private_rows_effect",
    "project",
    "subspace_overlap",
]
