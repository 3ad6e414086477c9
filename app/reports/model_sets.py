"""Write a model-set result (``workbench rashomon-set``) to a folder, atomically."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from analyzers import figures
from analyzers.figures.model_set_consensus import consensus_graph_plot, order_share_heatmap
from analyzers.figures.model_sets import model_set_cloud_plot
from analyzers.model_sets import ModelSetResult
from app.reports.output_folder import staged_folder


def write_model_set_report(
    result: ModelSetResult, folder: str | Path, *, formats: tuple[str, ...] = ("html",)
) -> list[Path]:
    """Write result.json, the CSV tables and the figures of a model-set result into ``folder``.

    Files: ``result.json`` (``ModelSetResult.to_json``), ``ranges.csv`` (the range table, one
    row per pair: strength min/max/mean/range over in-set members, rank range, robust top-k),
    ``members.csv`` (loss, L − L*, in_set per member), ``clouds.csv`` (strength per in-set
    member and pair), ``order_shares.csv`` (share of members ranking pair_a above pair_b),
    ``hasse.csv`` (the order every member agrees on, transitively reduced) and
    ``diagnostics.csv``; a dropout set adds ``rate_search.csv`` (each rate the search tried,
    its share of probe members within ε, and whether it met the share) when p was searched.
    Figures (the Model sets page's, in each of ``formats`` among "html", "png", "svg"):
    ``cloud`` (each in-set member's strength per pair, with the range), ``consensus_graph``
    (the Hasse diagram) and ``order_shares`` (the share-above heatmap); each HTML figure says
    how to read it.

    Returns
    -------
    list of Path
        The files written, at their final location.
    """
    tables = {
        "ranges": result.ranges,
        "members": result.members,
        "clouds": result.clouds,
        "order_shares": result.order_shares,
        "hasse": result.hasse,
        "diagnostics": pd.DataFrame(
            [dataclasses.asdict(d) for d in result.diagnostics],
            columns=["code", "message", "severity"],
        ),
    }
    search = result.settings.get("builder_settings", {}).get("rate_search")
    if search:
        tables["rate_search"] = pd.DataFrame(
            search, columns=["rate", "share_in_set", "meets_share"]
        )
    with staged_folder(folder) as stage:
        (stage.path / "result.json").write_text(result.to_json())
        for name, frame in tables.items():
            frame.to_csv(stage.path / f"{name}.csv", index=False)
        if formats:
            built = {
                "cloud": model_set_cloud_plot(result),
                "consensus_graph": consensus_graph_plot(result),
                "order_shares": order_share_heatmap(result),
            }
            figures.write_figures(built, stage.path, formats)
    return stage.written
