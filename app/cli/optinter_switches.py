"""``workbench optinter-switches``: force OptInter's operation per field pair, measure Δloss."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from app.cli.common import (
    MAX_BOOTSTRAP,
    add_random_state_argument,
    bounded_int,
    default_of,
    positive_int,
)
from app.cli.ctr import add_sample_model_arguments
from workbench.errors import ParameterError


def add_parser(commands) -> None:
    """Add the ``optinter-switches`` subcommand to the ``workbench`` parser."""
    from analyzers.operation_switches import operation_switches as analyzer

    parser = commands.add_parser(
        "optinter-switches",
        help="OptInter: force each pair to memorize/factorize/naive, Δloss vs measured SII",
        description="Train (or load from the cache) the OptInter sample model, switch each "
        "field pair's operation to memorize, factorize and naive with every weight kept, and "
        "write the test loss change with bootstrap intervals beside the pair's measured "
        "interaction and their rank agreement.",
    )
    add_sample_model_arguments(parser)
    parser.add_argument("--pairs", help="field pairs to switch, 'a,b;c,d' (default: all)")
    parser.add_argument(
        "--n-bootstrap",
        type=bounded_int(10, MAX_BOOTSTRAP),
        default=default_of(analyzer, "n_bootstrap"),
    )
    parser.add_argument("--index", default=default_of(analyzer, "index"))
    parser.add_argument("--rows", type=positive_int, default=default_of(analyzer, "rows"))
    parser.add_argument(
        "--background", type=positive_int, default=default_of(analyzer, "background")
    )
    parser.add_argument("--device", default=default_of(analyzer, "device"))
    parser.add_argument(
        "--out", help="folder for switches.csv, pairs.csv, agreement.csv, result.json"
    )
    add_random_state_argument(parser, default_of(analyzer, "random_state"))
    parser.set_defaults(run=_run, model="optinter")


def _run(args: argparse.Namespace) -> int:
    import pandas as pd

    from analyzers.operation_switches import operation_switches
    from app.cli.ctr import _trained

    pairs = _parse_pairs(args.pairs)  # before anything is trained
    start = time.perf_counter()
    trained = _trained(args)
    result = operation_switches(
        trained.model,
        trained.test,
        pairs=pairs,
        n_bootstrap=args.n_bootstrap,
        index=args.index,
        rows=args.rows,
        background=args.background,
        random_state=args.random_state,
        device=args.device,
        model_name="optinter",
    )
    print(
        f"optinter on {args.data}: {result.settings['n_rows']} test rows, base loss "
        f"{result.base_loss:.4f}, measured {result.measured_index}, "
        f"{time.perf_counter() - start:.1f} s"
    )
    with pd.option_context("display.width", 200, "display.max_colwidth", 40):
        columns = ["pair", "chosen", "switch_effect", "naive_loss_increase", "measured"]
        print(result.pairs.nlargest(10, "switch_effect")[columns].round(4).to_string(index=False))
        print(result.agreement[["source", "spearman", "kendall", "top_k_overlap"]].round(3))
    for diagnostic in result.diagnostics:
        print(f"[{diagnostic.severity}] {diagnostic.message}")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        result.switches.to_csv(out / "switches.csv", index=False)
        result.pairs.to_csv(out / "pairs.csv", index=False)
        result.agreement.to_csv(out / "agreement.csv", index=False)
        (out / "result.json").write_text(result.to_json())
        print(f"wrote switches.csv, pairs.csv, agreement.csv and result.json to {out}")
    return 0


def _parse_pairs(text: str | None) -> list[tuple[str, str]] | None:
    """``--pairs`` read as the app reads its pairs (app/parameter_text.py), so both name the
    same pairs the same way; the error names the option."""
    from app.parameter_text import field_pairs, parse_field_pairs

    try:
        return field_pairs(parse_field_pairs(text or ""))
    except ParameterError as error:
        raise ParameterError(f"--{error}") from None
