"""``workbench attention``: a CTR model's attention maps, case-level and global (AutoInt Fig. 7)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from app.cli.common import (
    add_output_arguments,
    add_random_state_argument,
    default_of,
    nonnegative_int,
)
from app.cli.ctr import add_sample_model_arguments
from app.cli.user_model import add_attention_site_arguments


def add_parser(commands) -> None:
    """Add the ``attention`` subcommand to the ``workbench`` parser."""
    from analyzers.attention_maps import attention_maps as analyzer

    parser = commands.add_parser(
        "attention",
        help="attention maps per layer and head: case rows and the mean over test rows",
        description="Train (or load from the cache) a zoo sample model with attention "
        "(AutoInt), read its F×F attention per layer and head on the chosen test rows and "
        "averaged over a sample of test rows, and write figures (one per case, one global), "
        "maps.csv, cases.csv and result.json to --out.",
    )
    parser.add_argument(
        "--model",
        required=True,
        help="a zoo model with attention (autoint), or your own torch model as "
        "package.module:callable with --weights and --attention-site (e.g. "
        "workbench.deepctr:build)",
    )
    add_sample_model_arguments(parser)
    parser.add_argument(
        "--row",
        type=nonnegative_int,
        action="append",
        default=[],
        help="a test row (position) to draw as a case; repeatable",
    )
    parser.add_argument(
        "--sample",
        type=nonnegative_int,
        default=default_of(analyzer, "sample"),
        help="test rows (a seeded sample) the global map averages over; 0: every test row",
    )
    parser.add_argument("--device", default=default_of(analyzer, "device"))
    add_attention_site_arguments(
        parser,
        "where your own model's attention is: a module path or a softmax inside a module "
        "(int_layers.0@softmax for DeepCTR's AutoInt, fm@softmax for AFM); repeatable",
    )
    add_output_arguments(parser, formats_default="html")
    add_random_state_argument(parser, default_of(analyzer, "random_state"))
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from analyzers.attention_maps import attention_maps, attention_site_specs
    from analyzers.figures import write_figures
    from analyzers.figures.attention_maps import attention_map_figure
    from app.cli.common import figure_formats
    from app.cli.ctr import _dataset, _trained, untrained
    from app.cli.user_model import is_factory, user_attention_model, user_output_kind
    from app.reports.output_folder import staged_folder
    from workbench.errors import ParameterError

    formats = figure_formats(args.formats)
    user_output_kind(args)  # factory-only options refused for a zoo model before training
    start = time.perf_counter()
    if is_factory(args.model):
        model, rows = user_attention_model(args)  # its rows: the whole --data
        where = "rows"
    else:
        if args.attention_site or args.weights:
            raise ParameterError(
                "--attention-site/--weights: only with --model package.module:callable; "
                "a zoo model reads its own attention"
            )
        data = _dataset(args)
        attention_site_specs(untrained(args, data), None)  # refuse a model without attention now
        start = time.perf_counter()
        trained = _trained(args, data)
        model, rows, where = trained.model, trained.test, "test rows"
    result = attention_maps(
        model,
        rows,
        rows=args.row,
        sites=args.attention_site or None,
        sample=args.sample,
        random_state=args.random_state,
        model_name=args.model,
        device=args.device,
    )
    print(
        f"{args.model} on {args.data}: global map over {result.settings['sample_rows']} "
        f"{where}, {len(result.rows)} case row(s), {time.perf_counter() - start:.1f} s"
    )
    print(_top_pairs(result).to_string(index=False))
    for diagnostic in result.diagnostics:
        print(f"[{diagnostic.severity}] {diagnostic.message}")
    figures = {"global": attention_map_figure(result)}
    figures.update({f"row-{row}": attention_map_figure(result, row) for row in result.rows})
    with staged_folder(args.out) as stage:  # an interrupted run leaves --out as it was
        write_figures(figures, stage.path, formats=formats)
        result.maps.to_csv(stage.path / "maps.csv", index=False)
        result.cases.to_csv(stage.path / "cases.csv", index=False)
        (stage.path / "result.json").write_text(result.to_json())
    print(f"wrote {len(stage.written)} files to {Path(args.out)}")
    return 0


def _top_pairs(result, k: int = 3):
    """The ``k`` largest off-diagonal cells of each global map (query → key)."""
    maps = result.maps
    cells = maps[maps["row"].isna() & (maps["query"] != maps["key"])]
    top = cells.sort_values("attention", ascending=False).groupby(["site", "head"]).head(k)
    top = top.sort_values(["site", "head", "attention"], ascending=[True, True, False])
    return top[["site", "head", "query", "key", "attention"]].round(4)
