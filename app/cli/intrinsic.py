"""``workbench intrinsic``: a CTR model's own pair weights beside its measured interactions."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from app.cli.common import add_random_state_argument, default_of, positive_int
from app.cli.ctr import add_sample_model_arguments
from app.cli.user_model import add_attention_site_arguments, user_attention_model
from workbench.errors import ParameterError


def add_parser(commands) -> None:
    """Add the ``intrinsic`` subcommand to the ``workbench`` parser."""
    from analyzers.intrinsic_interactions import intrinsic_interactions as analyzer

    parser = commands.add_parser(
        "intrinsic",
        help="a CTR model's own interaction weights (attention, cross weights) vs measured SII",
        description="Train (or load from the cache) a zoo sample model, read its own weight per "
        "field pair (AutoInt attention per layer and head, DCN-V2 cross-weight block norms, "
        "FinalMLP's bilinear fusion pulled back to fields, OptInter's chosen operation), "
        "measure its interaction per field pair on test rows, and print their Spearman rank "
        "agreement per source.",
    )
    parser.add_argument(
        "--model",
        required=True,
        help="autoint, dcnv2, finalmlp or optinter; or your own torch model as "
        "package.module:callable with --weights and --attention-site (e.g. "
        "workbench.deepctr:build)",
    )
    add_sample_model_arguments(parser)
    parser.add_argument("--index", default=default_of(analyzer, "index"))
    parser.add_argument("--rows", type=positive_int, default=default_of(analyzer, "rows"))
    parser.add_argument(
        "--background", type=positive_int, default=default_of(analyzer, "background")
    )
    parser.add_argument("--device", default=default_of(analyzer, "device"))
    parser.add_argument("--out", help="folder for pairs.csv, agreement.csv and result.json")
    add_attention_site_arguments(
        parser,
        "read the mean attention at this site instead of the model's own weights: a "
        "module path or a softmax inside a module (int_layers.0@softmax for DeepCTR's "
        "AutoInt, fm@softmax for AFM); one source per site and head; repeatable",
    )
    add_random_state_argument(parser, default_of(analyzer, "random_state"))
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    import pandas as pd

    from analyzers.intrinsic_interactions import intrinsic_interactions
    from analyzers.intrinsic_weights import INTRINSIC_MODELS
    from app.cli.ctr import _trained
    from app.cli.user_model import is_factory, user_output_kind

    user_output_kind(args)  # factory-only options refused for a zoo model before training
    factory = is_factory(args.model)
    if not factory and not args.attention_site and args.model not in INTRINSIC_MODELS:
        raise ParameterError(  # before anything is trained
            f"--model: {args.model!r} has no intrinsic interaction weights we read; "
            f"choose from {', '.join(INTRINSIC_MODELS)}, or name --attention-site"
        )
    start = time.perf_counter()
    if factory:
        model, rows = user_attention_model(args)
    else:
        trained = _trained(args)
        model, rows = trained.model, trained.test
    result = intrinsic_interactions(
        model,
        rows,
        index=args.index,
        rows=args.rows,
        background=args.background,
        random_state=args.random_state,
        model_name=args.model,
        device=args.device,
        attention_sites=args.attention_site or None,
    )
    print(
        f"{args.model} on {args.data}: {result.settings['rows']} rows, measured "
        f"{result.measured_index}, {time.perf_counter() - start:.1f} s"
    )
    with pd.option_context("display.width", 200, "display.max_colwidth", 40):
        columns = ["source", "spearman", "kendall", "top_k_overlap", "top_intrinsic"]
        print(result.agreement[[*columns, "top_measured"]].round(3).to_string(index=False))
    for diagnostic in result.diagnostics:
        print(f"[{diagnostic.severity}] {diagnostic.message}")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        result.pairs.to_csv(out / "pairs.csv", index=False)
        result.agreement.to_csv(out / "agreement.csv", index=False)
        (out / "result.json").write_text(result.to_json())
        print(f"wrote pairs.csv, agreement.csv and result.json to {out}")
    return 0
