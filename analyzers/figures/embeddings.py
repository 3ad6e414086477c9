"""Figures of the embedding geometry results: table, spectrum, heatmaps, collisions, maps.

Every builder takes a result from ``analyzers.embeddings`` and returns a ``go.Figure``; none
computes more than a reshape. Figures that show descriptive measures say so in a note under the
plot, from the result's ``measure_invariance`` (``analyzers.figures.embedding_notes``).

The builders live by what they draw, and are importable from here too: geometry
(``embedding_geometry``), field relations (``embedding_relations``), hashing collisions and private
rows (``embedding_collisions``) and maps (``embedding_maps``).
"""

from __future__ import annotations

from analyzers.figures.embedding_collisions import collision_chart, private_rows_chart
from analyzers.figures.embedding_geometry import geometry_table, norm_strata_plot, spectrum_plot
from analyzers.figures.embedding_maps import projection_scatter
from analyzers.figures.embedding_relations import cka_heatmap, model_cka_heatmap

__all__ = [
    "cka_heatmap",
    "collision_chart",
    "geometry_table",
    "model_cka_heatmap",
    "norm_strata_plot",
    "private_rows_chart",
    "projection_scatter",
    "spectrum_plot",
]
