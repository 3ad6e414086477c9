"""Write a gate report (JSON, CSV tables, figures) to a folder, atomically.

As ``app.reports.fisc``: everything goes to a hidden staging folder beside the target and is
renamed into place at the end, so an interrupted run never leaves half an output.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from analyzers.gate_results import GateReport


def write_gate_report(
    report: GateReport, folder: str | Path, *, formats: tuple[str, ...] = ("html",)
) -> list[Path]:
    """Write report.json, CSV tables and figures of a gate report into ``folder``.

    Parameters
    ----------
    report : GateReport
    folder : path
        Created if missing; files of an earlier run with the same names are replaced.
    formats : tuple of str
        Figure formats among "html", "png", "svg", "pdf" (empty: tables only).

    Returns
    -------
    list of Path
        The files written, at their final location.
    """
    from analyzers.figures import write_figures
    from analyzers.figures.gates import gate_figures

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        (staging / "report.json").write_text(report.to_json())
        tables = {
            "gate_statistics": report.statistics.per_field,
            "gate_levels": report.statistics.per_level,
            "gate_units": report.statistics.per_unit_site,
            "gate_ablation": report.ablation.effects,
            "field_interactions": report.interactions,
        }
        if report.attributions is not None:
            tables["attributions"] = report.attributions.per_field
            tables["attribution_agreement"] = report.attributions.rank_agreement
            tables["attribution_completeness"] = report.attributions.completeness
        for name, frame in tables.items():
            frame.to_csv(staging / f"{name}.csv", index=False)
        if formats:
            write_figures(gate_figures(report), staging, formats)
        folder.mkdir(exist_ok=True)
        written = []
        for path in sorted(staging.iterdir()):
            target = folder / path.name
            path.replace(target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
