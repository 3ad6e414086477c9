"""The ``workbench`` command line: one subcommand per analysis, writing files for scripts and CI.

Errors a user can fix (bad data, model or parameters) print one line and exit with status 2;
an interrupted run exits with 130 and leaves no partial output (see ``app.reports.fisc``).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.cli import attention as cli_attention
from app.cli import compare as cli_compare
from app.cli import ctr as cli_ctr
from app.cli import embeddings as cli_embeddings
from app.cli import interactions as cli_interactions
from app.cli import intrinsic as cli_intrinsic
from app.cli import optfs as cli_optfs
from app.cli import optinter_switches as cli_optinter_switches
from app.cli import rashomon_set as cli_rashomon_set
from app.cli import serve as cli_app
from app.cli import workspace as cli_workspace
from app.cli.batch import add_batch_arguments
from app.cli.cache import add_cache_arguments, explored
from app.cli.common import (
    MODEL_HELP,
    WorkbenchArgumentParser,
    add_approximator_argument,
    add_data_arguments,
    add_epsilon_arguments,
    add_grouping_arguments,
    add_model_file_arguments,
    add_output_arguments,
    add_run_arguments,
    check_output_folder,
    default_of,
    figure_formats,
    load_dataset,
    nonnegative_int,
    parse_groups,
    positive_float,
    positive_int,
)
from workbench.errors import WorkbenchError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, or a one-line usage error (WorkbenchArgumentParser)
        return exit.code
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        with _sigterm_as_exception():
            # Before any work: a bad --out used to surface only after the analysis had run.
            if getattr(args, "out", None) is not None:
                check_output_folder(args.out)
            return args.run(args)
    except WorkbenchError as error:
        print(f"workbench: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("workbench: interrupted; no output was written", file=sys.stderr)
        return 130
    except Terminated:
        print("workbench: terminated; no output was written", file=sys.stderr)
        return 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that ``finally`` blocks (the report's staging
    folder, ``app.reports.output_folder``) clean up; by default SIGTERM ends the process
    without running them, which left a hidden staging folder behind."""


@contextmanager
def _sigterm_as_exception() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def terminate(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _parser() -> argparse.ArgumentParser:
    parser = WorkbenchArgumentParser(
        prog="workbench", description="Interaction Workbench: interactions of trained models."
    )
    commands = parser.add_subparsers(dest="command")

    models = commands.add_parser("models", help="list the built-in sample models")
    models.set_defaults(run=_run_models)

    fisc = commands.add_parser(
        "fisc",
        help="Rashomon-set feature interaction clouds (FISC): tables, halo and swarm plots",
        description="Sample the Rashomon set of a model and write the FIS cloud (JSON + CSV) "
        "and its figures (HTML, PNG, SVG) to --out.",
    )
    _fisc_arguments(fisc)
    fisc.set_defaults(run=_run_fisc)
    cli_app.add_parser(commands)
    cli_interactions.add_parser(commands)
    cli_rashomon_set.add_parser(commands)
    cli_compare.add_parser(commands)
    cli_ctr.add_parser(commands)
    cli_embeddings.add_parser(commands)
    cli_intrinsic.add_parser(commands)
    cli_attention.add_parser(commands)
    cli_optinter_switches.add_parser(commands)
    cli_optfs.add_parser(commands)
    cli_workspace.add_parsers(commands)
    return parser


def _fisc_arguments(fisc: argparse.ArgumentParser) -> None:
    from analyzers.rashomon import explore_rashomon as explore

    add_data_arguments(fisc)
    fisc.add_argument("--model", default="mlp", help=MODEL_HELP)
    add_model_file_arguments(fisc)
    add_output_arguments(fisc)
    add_grouping_arguments(fisc)
    fisc.add_argument(
        "--rows",
        choices=["test", "all"],
        default=None,
        help="rows to explain: the 20%% test split (default for sample models) or all rows "
        "(default for model files)",
    )
    add_epsilon_arguments(fisc)
    fisc.add_argument(
        "--order",
        type=int,
        choices=[2, 3],
        default=default_of(explore, "order"),
        help="analyse pairs (2) or triples (3); FISC scores one order per run",
    )
    fisc.add_argument(
        "--interactions", help="explicit interactions 'a,b;c,d,e' instead of all of --order"
    )
    add_approximator_argument(
        fisc, default_of(explore, "approximator"), "auto, exact or permutation"
    )
    fisc.add_argument(
        "--n-permutations", type=positive_int, default=default_of(explore, "n_permutations")
    )
    fisc.add_argument(
        "--permutation",
        choices=["independent", "joint"],
        default=default_of(explore, "permutation"),
    )
    fisc.add_argument(
        "--delta",
        type=positive_float,
        default=default_of(explore, "delta"),
        help="boundary grid spacing",
    )
    fisc.add_argument(
        "--radii",
        default=",".join(f"{r:g}" for r in default_of(explore, "radii")),
        help="comma-separated ring radii in units of ε",
    )
    fisc.add_argument("--absolute", action="store_true", help="report |FIS|")
    add_run_arguments(fisc, random_state=default_of(explore, "random_state"))
    fisc.add_argument(
        "--halo-plots", type=nonnegative_int, default=3, help="halo plots of the top pairs"
    )
    add_cache_arguments(fisc)
    add_batch_arguments(fisc, chunk_size="interactions")
    fisc.add_argument(
        "--chunk-rows",
        type=positive_int,
        metavar="N",
        help="read the Parquet --data N rows at a time, keeping only its distinct rows and "
        "their counts (data too large to load; needs a model file and the exact approximator)",
    )


def _run_models(args: argparse.Namespace) -> int:
    from workbench.samples import SAMPLE_MODELS

    for name, description in SAMPLE_MODELS.items():
        print(f"{name:10s} {description}")
    return 0


def _run_fisc(args: argparse.Namespace) -> int:
    from app.cli.common import load_model_argument
    from app.reports.fisc import write_rashomon_report
    from workbench.data import Dataset
    from workbench.samples import SAMPLE_MODELS, infer_task, train_sample_model

    formats = figure_formats(args.formats)
    if args.chunk_rows is not None:
        return _run_fisc_in_chunks(args, formats)
    dataset = load_dataset(Dataset, args)
    task = infer_task(dataset) if args.task == "auto" else args.task
    if args.model in SAMPLE_MODELS:
        sample = train_sample_model(args.model, dataset, task=task, device=args.device)
        model = sample.adapter
        rows = sample.test if args.rows in (None, "test") else dataset
        print(
            f"trained sample model {args.model!r}: test loss {sample.test_loss:.4f}",
            file=sys.stderr,
        )
    else:
        model = load_model_argument(args.model, args, task, dataset.feature_names)
        split = args.rows == "test"
        rows = dataset.train_test_split(0.2, seed=args.random_state)[1] if split else dataset
    result = _explore(args, model, rows)
    writing = time.perf_counter()
    written = write_rashomon_report(result, args.out, formats=formats, n_halo_plots=args.halo_plots)
    write_seconds = time.perf_counter() - writing
    summary = result.summary()
    print(
        f"{len(result.interactions)} interactions over {len(result.group_names)} groups "
        f"({len(result.dropped_groups)} dropped), L* = {result.reference_loss:.4f}, "
        f"ε = {result.epsilon:.4g}; analysis {result.seconds:.1f} s, "
        f"files {write_seconds:.1f} s"
    )
    _print_fisc_summary(result, summary)
    print(f"wrote {len(written)} files to {Path(args.out)}")
    return 0


def _run_fisc_in_chunks(args: argparse.Namespace, formats: tuple[str, ...]) -> int:
    """``fisc --chunk-rows N``: the rows read in chunks, reduced to distinct rows and counts."""
    from app.cli.common import load_model_argument
    from app.reports.fisc import write_rashomon_report
    from workbench.data.chunked import DistinctRows
    from workbench.samples import SAMPLE_MODELS, infer_task

    if Path(args.data).suffix != ".parquet":
        raise WorkbenchError("--chunk-rows: reads a Parquet file; convert --data to .parquet")
    if args.model in SAMPLE_MODELS:
        raise WorkbenchError(
            "--chunk-rows: a sample model is trained on the data loaded whole; pass a model "
            "file with --model"
        )
    if args.rows == "test":
        raise WorkbenchError("--chunk-rows: explains all rows; a test split needs every row")
    if args.approximator == "permutation":
        raise WorkbenchError(
            "--chunk-rows: keeps distinct rows only, which the exact approximator needs; "
            "use --approximator exact (or auto on few-level groups)"
        )
    rows = DistinctRows.from_parquet(
        args.data,
        args.target,
        features=args.features.split(",") if args.features else None,
        groups=parse_groups(args.groups),
        chunk_rows=args.chunk_rows,
    )
    print(f"read {rows.n_rows} rows in chunks: {rows.n_distinct_rows} distinct", file=sys.stderr)
    task = infer_task(rows) if args.task == "auto" else args.task
    model = load_model_argument(args.model, args, task, rows.feature_names)
    result = _explore(args, model, rows)
    written = write_rashomon_report(result, args.out, formats=formats, n_halo_plots=args.halo_plots)
    print(
        f"{len(result.interactions)} interactions over {len(result.group_names)} groups, "
        f"L* = {result.reference_loss:.4f}, ε = {result.epsilon:.4g}; "
        f"analysis {result.seconds:.1f} s"
    )
    _print_fisc_summary(result, result.summary())
    print(f"wrote {len(written)} files to {Path(args.out)}")
    return 0


def _print_fisc_summary(result, summary) -> None:
    """The top of the ranked summary, what it ranges over, and the diagnostics."""
    from analyzers.rashomon_result import MIN_IN_SET_MODELS

    in_set = int(result.fis_cloud["in_set"].sum())
    print(
        f"FIS ranges over the {summary.attrs['ranges_over']}: {in_set} of "
        f"{len(result.fis_cloud)} sampled joint models are in the set"
    )
    shown = ["rank", "interaction", "reference_fis", "min", "max", "range", "n_in_set"]
    print(summary[shown].head(10).to_string(index=False))
    flagged = summary.loc[summary["few_models"], "interaction"].tolist()
    if flagged:
        print(
            f"not ranked ({len(flagged)}: fewer than {MIN_IN_SET_MODELS} sampled models in the "
            f"set): {', '.join(flagged[:6])}{' ...' if len(flagged) > 6 else ''}"
        )
    for diagnostic in result.diagnostics:
        print(f"{diagnostic.severity}: {diagnostic.code}: {diagnostic.message}")


def _explore(args: argparse.Namespace, model, rows):
    """The FISC result of ``model`` on ``rows``: stored, else explored and stored."""
    parameters = {
        "epsilon_rate": args.epsilon_rate,
        "epsilon": args.epsilon,
        "order": args.order,
        "interactions": _parse_interactions(args.interactions),
        "approximator": args.approximator,
        "n_permutations": args.n_permutations,
        "permutation": args.permutation,
        "delta": args.delta,
        "radii": _parse_floats(args.radii, "--radii"),
        "absolute": args.absolute,
        "random_state": args.random_state,
        "model_name": Path(args.model).stem,
    }

    return explored(args, model, rows, parameters)


def _parse_interactions(text: str | None):
    if not text:
        return None
    return [tuple(name.strip() for name in part.split(",")) for part in text.split(";")]


def _parse_floats(text: str, flag: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise WorkbenchError(f"{flag}: expected comma-separated numbers, got {text!r}") from None


if __name__ == "__main__":
    sys.exit(main())
