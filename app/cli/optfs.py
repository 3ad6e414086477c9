"""``workbench optfs``: OptFS search, 0/1 ticket and retraining; the kept values per field."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.cli.common import add_random_state_argument, default_of, positive_int
from app.cli.ctr import CONFIG_HELP, add_sample_model_arguments


def add_parser(commands) -> None:
    """Add the ``optfs`` subcommand to the ``workbench`` parser."""
    from analyzers.optfs_selection import optfs_selection

    parser = commands.add_parser(
        "optfs",
        help="OptFS feature-value selection: search, ticket, retrain; kept values per field",
        description="Train OptFS's search model (a learned gate per feature value with a "
        "sparsity penalty), keep the values whose gate weight is > 0 (the ticket), retrain the "
        "ticket, and write the kept values per field with test AUC/log-loss of the search "
        "model, the ticket before and after retraining and the ungated backbone.",
    )
    add_sample_model_arguments(parser, training=False)
    parser.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE", help=CONFIG_HELP
    )
    parser.add_argument(
        "--max-epochs",
        type=positive_int,
        default=default_of(optfs_selection, "max_epochs"),
        help="most epochs of the retraining and of the backbone (each stops early)",
    )
    parser.add_argument(
        "--search-epochs",
        type=positive_int,
        default=default_of(optfs_selection, "search_epochs"),
        help="epochs of the search, all run: the temperature reaches its final value at the "
        "last step, so the ticket is read from hard gates",
    )
    parser.add_argument("--no-backbone", action="store_true", help="skip the ungated backbone")
    parser.add_argument("--out", help="folder for values.csv, fields.csv, metrics.csv, result.json")
    add_random_state_argument(parser, default_of(optfs_selection, "random_state"))
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    import pandas as pd

    from analyzers.optfs_selection import HARD_SHARE
    from app.cli.ctr import _dataset, parse_config
    from workbench.zoo import check_config
    from workbench.zoo.optfs_search import search_optfs_ticket
    from workbench.zoo.training import TrainingConfig

    config = parse_config(args.config)
    check_config("optfs", config)  # before the data is read or anything is trained
    run = search_optfs_ticket(
        _dataset(args),
        config=config,
        training=TrainingConfig(max_epochs=args.max_epochs, seed=args.random_state),
        search_epochs=args.search_epochs,
        backbone=not args.no_backbone,
    )
    print(f"OptFS on {args.data}: the ticket keeps {run.kept_share:.1%} of the feature values")
    print(f"{run.gate_hardness:.1%} of the searched gates ended within 0.05 of 0 or 1")
    if run.gate_hardness < HARD_SHARE:
        print("warning: the ticket rounds soft gates (raise final_temperature or search longer)")
    with pd.option_context("display.width", 200):
        print(run.fields.round(3).to_string(index=False))
        print(run.metrics.round(4).to_string(index=False))
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        run.values.to_csv(out / "values.csv", index=False)
        run.fields.to_csv(out / "fields.csv", index=False)
        run.metrics.to_csv(out / "metrics.csv", index=False)
        (out / "result.json").write_text(json.dumps(run.to_dict(), indent=2, default=str))
        print(f"wrote values.csv, fields.csv, metrics.csv and result.json to {out}")
    return 0
