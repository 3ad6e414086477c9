"""Figures: pure functions from a Result to a plotly Figure, plus writing them to files.

The app and the CLI call the same builders, so a plot looks the same everywhere. Builders only
reshape the result's frames; ``export`` is the one module that writes files.
"""

from analyzers.figures.compare import agreement_heatmap, model_dumbbell_plot
from analyzers.figures.compare_overlay import rashomon_overlay_plot
from analyzers.figures.export import find_chromium, write_figure, write_figures
from analyzers.figures.halo import halo_plot
from analyzers.figures.halo3d import halo_plot_3d
from analyzers.figures.swarm import main_effect_swarm_plot, swarm_plot
from analyzers.figures.trace import search_trace_plot

__all__ = [
    "agreement_heatmap",
    "find_chromium",
    "halo_plot",
    "halo_plot_3d",
    "main_effect_swarm_plot",
    "model_dumbbell_plot",
    "rashomon_overlay_plot",
    "search_trace_plot",
    "swarm_plot",
    "write_figure",
    "write_figures",
]
