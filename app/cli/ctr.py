"""``workbench train`` and ``workbench gates``: CTR sample models and their gate/mask analysis."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from workbench.errors import ParameterError

DATA_HELP = (
    "'adult' (sample_data/adult.csv.gz), 'synthetic' (Zipf fields with planted interactions) "
    "or a CSV file with a two-valued --target (numeric columns are bucketised)"
)


def add_parser(commands) -> None:
    """Add the ``train`` and ``gates`` subcommands to the ``workbench`` parser."""
    train = commands.add_parser(
        "train",
        help="train a CTR sample model (FinalMLP, MaskNet, GDCN, DCN-V2)",
        description="Train (or load from the cache) a seeded CTR sample model and print its "
        "test AUC and log-loss; --out also writes its weights (state_dict) and JSON config.",
    )
    gates = commands.add_parser(
        "gates",
        help="gate/mask statistics, ablation, captum attributions and field interactions",
        description="Analyse the gates and masks of a CTR sample model on its test rows and "
        "write report.json, CSV tables and figures to --out.",
    )
    for sub in (train, gates):
        # No import of the zoo (torch) here, so `workbench --help` stays fast; the registry
        # rejects unknown names with the list of valid ones.
        sub.add_argument("--model", required=True, help="finalmlp, masknet, gdcn or dcnv2")
        sub.add_argument("--data", default="adult", help=DATA_HELP)
        sub.add_argument("--target", help="target column of a CSV --data")
        sub.add_argument(
            "--config",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help='model option, JSON value (e.g. mode="parallel", n_cross=2); repeatable',
        )
        sub.add_argument("--seed", type=int, default=0)
        sub.add_argument("--max-epochs", type=int, default=30)
        sub.add_argument("--cache-dir", help="where trained sample models are cached")
    train.add_argument("--out", help="folder for <model>.pt and <model>.json")
    train.set_defaults(run=_run_train)
    gates.add_argument("--out", required=True, help="output folder")
    gates.add_argument("--sites", help="comma-separated gate sites (default: all)")
    gates.add_argument("--rows", type=int, help="analyse a seeded sample of this many test rows")
    gates.add_argument("--n-bootstrap", type=int, default=200)
    gates.add_argument("--attribution-rows", type=int, default=256)
    gates.add_argument(
        "--n-permutations", type=int, default=3, help="permutations per field for the interactions"
    )
    gates.add_argument("--no-attributions", action="store_true")
    gates.add_argument("--no-interactions", action="store_true")
    gates.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    gates.add_argument("--max-batch-rows", type=int, help="rows per forward pass (default: auto)")
    gates.add_argument(
        "--formats", default="html", help="figure formats among html,png,svg ('' for none)"
    )
    gates.set_defaults(run=_run_gates)


def _trained(args: argparse.Namespace):
    from workbench.zoo.training import TrainingConfig, sample_ctr_model

    return sample_ctr_model(
        args.model,
        _dataset(args),
        config=parse_config(args.config),
        training=TrainingConfig(max_epochs=args.max_epochs, seed=args.seed),
        cache_dir=args.cache_dir,
    )


def _dataset(args: argparse.Namespace):
    from workbench.zoo.ctr_data import fields_from_frame
    from workbench.zoo.training import SAMPLE_DATA, sample_data

    if args.data in SAMPLE_DATA:
        return sample_data(args.data, args.seed)
    path = Path(args.data)
    if not path.is_file():
        raise ParameterError(f"--data: {args.data!r} is neither {SAMPLE_DATA} nor a file")
    if not args.target:
        raise ParameterError("--target is required with a CSV --data")
    import pandas as pd

    return fields_from_frame(pd.read_csv(path), args.target)


def parse_config(items: list[str]) -> dict:
    """``--config KEY=VALUE`` items as model keyword arguments (JSON values where they parse)."""
    config = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParameterError(f"--config {item!r}: expected KEY=VALUE")
        try:
            config[key] = json.loads(value)
        except json.JSONDecodeError:
            config[key] = value  # a bare word such as mode=parallel
    return config


def _run_train(args: argparse.Namespace) -> int:
    from workbench.zoo.training import save_ctr_model

    start = time.perf_counter()
    trained = _trained(args)
    metrics = trained.metrics
    print(
        f"{args.model} on {args.data}: test AUC {metrics['test_auc']:.4f}, "
        f"test log-loss {metrics['test_log_loss']:.4f} ({trained.test.n_rows} test rows; "
        f"best epoch {metrics['best_epoch']}; {time.perf_counter() - start:.1f} s wall, training "
        f"{metrics['train_seconds']:.1f} s wall / {metrics['train_cpu_seconds']:.1f} s CPU)"
    )
    if args.out:
        meta = save_ctr_model(trained.model, Path(args.out) / args.model, metrics)
        print(f"wrote {meta.with_suffix('.pt')} and {meta}")
    return 0


def _run_gates(args: argparse.Namespace) -> int:
    from analyzers.gate_common import sample_rows
    from analyzers.gates import analyze_gates
    from app.cli.common import figure_formats
    from app.reports.gates import write_gate_report

    formats = figure_formats(args.formats)
    trained = _trained(args)
    rows = trained.test
    if args.rows:
        rows = rows.subset(sample_rows(rows.n_rows, args.rows, args.seed))
    start = time.perf_counter()
    report = analyze_gates(
        trained.model,
        rows,
        sites=args.sites.split(",") if args.sites else None,
        attributions=not args.no_attributions,
        attribution_rows=args.attribution_rows,
        interactions=not args.no_interactions,
        n_permutations=args.n_permutations,
        n_bootstrap=args.n_bootstrap,
        seed=args.seed,
        max_batch_rows=args.max_batch_rows,
        device=args.device,
    )
    written = write_gate_report(report, args.out, formats=formats)
    effects = report.ablation.effects
    top = effects[(effects["mode"] == "zero") & (effects["field"] != "(all)")]
    print(
        f"{args.model} on {args.data}: {rows.n_rows} rows, {len(report.ablation.sites)} sites, "
        f"{time.perf_counter() - start:.1f} s; largest zero-ablation effects:"
    )
    columns = ["site", "field", "loss_increase", "loss_increase_low", "loss_increase_high"]
    print(top.nlargest(8, "loss_increase")[columns].to_string(index=False))
    print(f"wrote {len(written)} files to {Path(args.out)}")
    return 0
