"""Write an interaction result and its figures to a folder, atomically (like ``report``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analyzers.figures.interaction_reading import score_unit
from analyzers.interaction_result import InteractionResult
from app.reports.output_folder import staged_folder


def write_interaction_report(
    result: InteractionResult,
    folder: str | Path,
    *,
    formats: tuple[str, ...] = ("html", "png", "svg"),
    top: int = 20,
) -> list[Path]:
    """Write result.json, CSV tables and the three interaction figures into ``folder``.

    Files: ``result.json`` (``InteractionResult.to_json``, diagnostics included),
    ``scores.csv`` (the tidy scores, local or global), ``pairs.csv`` (pair, mean_abs, mean),
    ``main_effects.csv``, ``standard_errors.csv`` (sampling approximator only) and the figures
    ``pair_heatmap``, ``interaction_network`` and ``top_pairs`` (mean |value|: strengths) and
    ``pair_heatmap_signed`` and ``top_pairs_signed`` (signed means, which tell synergy from
    redundancy) in each format; each HTML figure says how to read it.

    Parameters
    ----------
    result : InteractionResult
    folder : path
        Created if missing; files of an earlier run with the same names are replaced.
    formats : tuple of str
        Figure formats among "html", "png", "svg" (empty: tables only).
    top : int
        Pairs shown in the bar chart and edges drawn in the network.

    Returns
    -------
    list of Path
        The files written, at their final location.
    """
    from analyzers import figures
    from analyzers.figures.interactions import interaction_network, pair_heatmap, top_pairs_bar

    with staged_folder(folder) as stage:
        staging = stage.path
        (staging / "result.json").write_text(result.to_json())
        pairs = result.global_scores("mean_abs").rename(columns={"value": "mean_abs"})
        pairs["mean"] = result.global_scores("mean")["value"].to_numpy()
        tables: dict[str, pd.DataFrame] = {
            "scores": result.scores,
            "pairs": pairs,
            "main_effects": result.main_effects,
        }
        if result.standard_errors is not None:
            tables["standard_errors"] = result.standard_errors
        for name, frame in tables.items():
            frame.to_csv(staging / f"{name}.csv", index=False)
        if formats:
            built = {
                "pair_heatmap": pair_heatmap(result),
                "interaction_network": interaction_network(result, top=top),
                "top_pairs": top_pairs_bar(result, top=top),
                "pair_heatmap_signed": pair_heatmap(result, "mean"),
                "top_pairs_signed": top_pairs_bar(result, top=top, aggregate="mean"),
            }
            figures.write_figures(built, staging, formats)
    return stage.written


def pair_table(result: InteractionResult, aggregate: str = "mean_abs") -> pd.DataFrame:
    """One row per pair: the signed mean and the mean |value|, units in the headers, ranked by
    ``aggregate`` ("mean": signed, which tells synergy from redundancy; "mean_abs": strength).

    The table the Interactions page shows (and downloads) and `workbench interactions` prints.
    """
    unit = score_unit(result.index, result.settings)
    over_rows = " over rows" if result.is_local else ""
    signed = f"mean{over_rows} (signed, {unit})"
    strength = f"mean |value|{over_rows} ({unit})"
    means = result.global_scores("mean")
    table = pd.DataFrame(
        {
            "pair": means["pair"],
            signed: means["value"],
            strength: result.global_scores("mean_abs")["value"].to_numpy(),
        }
    )
    ranked_by = signed if aggregate == "mean" else strength
    return table.sort_values(ranked_by, ascending=False, ignore_index=True)
