"""Write an analysis result and its figures to a folder, atomically.

Everything goes to a hidden temporary folder beside the target first and is renamed into place
at the end, so an interrupted run leaves the previous output (or nothing), never half of one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from analyzers.rashomon_result import INTERACTION_SEPARATOR, RashomonResult
from app.reports.output_folder import staged_folder

_SWARM_ROWS = 20


def write_rashomon_report(
    result: RashomonResult,
    folder: str | Path,
    *,
    formats: tuple[str, ...] = ("html", "png", "svg"),
    n_halo_plots: int = 3,
) -> list[Path]:
    """Write result.json, CSV tables (diagnostics.csv among them) and figures of a FISC result.

    summary.csv and main_effect_summary.csv range over the models in the Rashomon set (their
    ``ranges_over`` column says so); fis_cloud.csv holds every sampled model with ``in_set``.

    Parameters
    ----------
    result : RashomonResult
    folder : path
        Created if missing; files of an earlier run with the same names are replaced.
    formats : tuple of str
        Figure formats among "html", "png", "svg" (empty: tables only).
    n_halo_plots : int
        Halo plots for this many interactions with the widest FIS range.

    Returns
    -------
    list of Path
        The files written, at their final location.
    """
    from analyzers import figures

    with staged_folder(folder) as stage:
        staging = stage.path
        (staging / "result.json").write_text(result.to_json())
        tables = {
            "summary": result.summary(),
            "main_effect_summary": result.main_effect_summary(),
            "reference_fis": result.reference_fis,
            "reference_main_effects": result.reference_main_effects,
            "fis_cloud": result.fis_cloud,
            "main_effect_cloud": result.main_effect_cloud,
            "boundaries": result.boundaries,
            "trace": result.trace,
            "diagnostics": pd.DataFrame(
                [dataclasses.asdict(d) for d in result.diagnostics],
                columns=["code", "message", "severity"],
            ),
        }
        for name, frame in tables.items():
            frame.to_csv(staging / f"{name}.csv", index=False)
        if formats:
            figures.write_figures(_figures_of(result, n_halo_plots), staging, formats)
    return stage.written


def _figures_of(result: RashomonResult, n_halo_plots: int) -> dict:
    from analyzers import figures

    built = {
        # Past ~20 rows a swarm is unreadable; the CSV tables hold every interaction.
        "swarm_fis": figures.swarm_plot(result, top=_SWARM_ROWS),
        "swarm_main_effects": figures.main_effect_swarm_plot(result),
        "search_trace": figures.search_trace_plot(result),
    }
    # Ranked over the models in the set, flagged interactions last: the halos of the pairs the
    # summary ranks first.
    summary = result.summary()
    for _, row in summary.head(n_halo_plots).iterrows():
        groups = row["interaction"].split(INTERACTION_SEPARATOR)
        slug = "__".join(_slug(g) for g in groups)
        if row["order"] == 2:
            built[f"halo_{slug}"] = figures.halo_plot(result, tuple(groups))
        else:
            built[f"halo3d_{slug}"] = figures.halo_plot_3d(result, tuple(groups))
    return built


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
