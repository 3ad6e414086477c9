"""Write a comparison across models, its inputs and its figures to a folder, atomically.

Like ``app.reports.fisc``: everything goes to a hidden temporary folder beside the target and is
renamed into place at the end, so an interrupted run never leaves half of an output.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from analyzers.compare_result import AGREEMENT_MEASURES, ComparisonResult
from analyzers.interaction_result import InteractionResult
from analyzers.rashomon_result import RashomonResult
from app.reports.output_folder import staged_folder
from workbench.errors import ParameterError


def write_comparison_report(
    comparison: ComparisonResult,
    folder: str | Path,
    *,
    results: Sequence[InteractionResult] = (),
    rashomon: Mapping[str, RashomonResult] | None = None,
    formats: tuple[str, ...] = ("html", "png", "svg"),
    top: int = 20,
) -> list[Path]:
    """Write comparison.json, CSV tables, the compared results and the figures into ``folder``.

    Files: ``comparison.json`` (``ComparisonResult.to_dict``); ``table.csv`` (long pair × model
    table), ``shares.csv`` and ``values.csv`` (wide), ``agreement.csv``, ``disagreement.csv``,
    ``models.csv`` and, with a Rashomon range (FISC or a model set), ``rashomon.csv`` (its
    range_low, range_high, reference_value columns in each row's index, named with its
    range_source: ``ComparisonResult.rashomon``); ``result_<model>.json`` per scored
    model and ``rashomon_<model>.json`` per FISC result; the figures ``model_dumbbell``,
    ``agreement_<measure>`` (spearman, kendall, top_k_overlap) and ``rashomon_overlay_<model>``
    in each format.

    Parameters
    ----------
    comparison : ComparisonResult
    folder : path
        Created if missing; files of an earlier run with the same names are replaced.
    results : sequence of InteractionResult
        The compared results, written next to the comparison so each can be reopened alone.
    rashomon : mapping of model name to RashomonResult, optional
        The FISC results the comparison used.
    formats : tuple of str
        Figure formats among "html", "png", "svg" (empty: tables only).
    top : int
        Pairs shown in the dumbbell and overlay figures.

    Returns
    -------
    list of Path
        The files written, at their final location.
    """
    from analyzers import figures

    slugs = [_slug(model) for model in comparison.model_names]
    if len(set(slugs)) < len(slugs):
        raise ParameterError(
            f"models {list(comparison.model_names)} share a file name once made safe; rename them"
        )
    with staged_folder(folder) as stage:
        staging = stage.path
        _write_json(staging / "comparison.json", comparison.to_dict())
        for result in results:
            name = _slug(result.model_name)
            _write_json(staging / f"result_{name}.json", result.to_dict())
        for model, fisc in (rashomon or {}).items():
            _write_json(staging / f"rashomon_{_slug(model)}.json", fisc.to_dict())
        tables = {
            "table": comparison.table,
            "shares": comparison.wide_table("share").reset_index(),
            "values": comparison.wide_table("value").reset_index(),
            "agreement": comparison.agreement,
            "disagreement": comparison.disagreement,
            "models": comparison.models_summary,
        }
        if not comparison.rashomon.empty:
            tables["rashomon"] = comparison.rashomon
        for name, frame in tables.items():
            frame.to_csv(staging / f"{name}.csv", index=False)
        if formats:
            figures.write_figures(_figures_of(comparison, top), staging, formats)
    return stage.written


def _figures_of(comparison: ComparisonResult, top: int) -> dict:
    from analyzers.figures.compare import agreement_heatmap, model_dumbbell_plot
    from analyzers.figures.compare_overlay import rashomon_overlay_plot

    built = {"model_dumbbell": model_dumbbell_plot(comparison, top=top)}
    for measure in AGREEMENT_MEASURES:
        built[f"agreement_{measure}"] = agreement_heatmap(comparison, measure)
    for model in dict.fromkeys(comparison.rashomon["reference_model"]):
        built[f"rashomon_overlay_{_slug(model)}"] = rashomon_overlay_plot(comparison, model, top)
    return built


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, allow_nan=False))


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
