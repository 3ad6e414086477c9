"""``workbench train`` and ``workbench gates``: CTR sample models and their gate/mask analysis."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from app.cli.cache import add_cache_arguments, cached_result
from app.cli.common import (
    MAX_BOOTSTRAP,
    add_data_arguments,
    add_output_arguments,
    add_random_state_argument,
    add_run_arguments,
    bounded_int,
    default_of,
    nonnegative_int,
    positive_int,
)
from app.cli.user_model import (
    add_factory_arguments,
    add_site_arguments,
    is_factory,
    load_user_model,
    user_output_kind,
)
from workbench.errors import ParameterError

DATA_HELP = (
    "'adult' (sample_data/adult.csv.gz), 'synthetic' (Zipf fields with planted interactions) "
    "or a CSV file with a two-valued --target (numeric columns are bucketised)"
)


def add_parser(commands) -> None:
    """Add the ``train`` and ``gates`` subcommands to the ``workbench`` parser."""
    train = commands.add_parser(
        "train",
        help="train a CTR sample model (FinalMLP, MaskNet, GDCN, DCN-V2, AutoInt, FCN)",
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
        sub.add_argument(
            "--model",
            required=True,
            help="finalmlp, masknet, gdcn, dcnv2, autoint or fcn"
            + (
                " or your own model's factory package.module:callable (see --site)"
                if sub is gates
                else ""
            ),
        )
        add_sample_model_arguments(sub)
    train.add_argument("--out", help="folder for <model>.pt and <model>.json")
    add_random_state_argument(train, _training_default("seed"))
    train.set_defaults(run=_run_train)
    _gates_arguments(gates)
    gates.set_defaults(run=_run_gates)


CONFIG_HELP = 'model option, JSON value (e.g. mode="parallel", n_cross=2); repeatable'


def add_sample_model_arguments(parser: argparse.ArgumentParser, training: bool = True) -> None:
    """``--data`` (adult, synthetic or a CSV with ``--target``) of a CTR command, and (with
    ``training``) the options of the zoo sample model it trains or loads from the cache."""
    add_data_arguments(
        parser,
        data_help=DATA_HELP,
        data_default="adult",
        target_help="target column of a CSV --data",
        target_required=False,
    )
    if training:
        add_training_arguments(parser)


def add_training_arguments(parser: argparse.ArgumentParser, config_help: str = CONFIG_HELP):
    """``--config``, ``--max-epochs`` and ``--cache-dir`` of a zoo sample model."""
    parser.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE", help=config_help
    )
    parser.add_argument("--max-epochs", type=positive_int, default=_training_default("max_epochs"))
    parser.add_argument("--cache-dir", help="where trained sample models are cached")


def _training_default(name: str):
    from workbench.zoo.training import TrainingConfig

    return default_of(TrainingConfig, name)


def _gates_arguments(gates: argparse.ArgumentParser) -> None:
    from analyzers.gates import analyze_gates
    from app.analyses import GATE_ROWS

    add_output_arguments(gates, formats_default="html")
    gates.add_argument("--sites", help="comma-separated gate sites (default: all)")
    add_site_arguments(gates, attention=False)
    add_factory_arguments(gates)
    gates.add_argument(
        "--embedding-site",
        metavar="PATH[#CALL]",
        help="module path of your model's field embedding output (captum interpolates it)",
    )
    gates.add_argument(
        "--rows",
        type=nonnegative_int,
        default=GATE_ROWS,
        help=f"analyse a seeded sample of this many test rows (default {GATE_ROWS}, as in the "
        "app; 0: every test row)",
    )
    gates.add_argument(
        "--n-bootstrap",
        type=bounded_int(10, MAX_BOOTSTRAP),
        default=default_of(analyze_gates, "n_bootstrap"),
    )
    gates.add_argument(
        "--attribution-rows",
        type=positive_int,
        default=default_of(analyze_gates, "attribution_rows"),
    )
    gates.add_argument(
        "--n-permutations",
        type=positive_int,
        default=default_of(analyze_gates, "n_permutations"),
        help="permutations per field for the interactions",
    )
    gates.add_argument("--no-attributions", action="store_true")
    gates.add_argument("--no-interactions", action="store_true")
    add_run_arguments(gates, random_state=default_of(analyze_gates, "random_state"), progress=False)
    add_cache_arguments(gates)


def _trained(args: argparse.Namespace, dataset=None):
    from workbench.zoo import check_config
    from workbench.zoo.training import TrainingConfig, sample_ctr_model

    config = parse_config(args.config)
    check_config(args.model, config)  # before the data is read or anything is trained
    return sample_ctr_model(
        args.model,
        _dataset(args) if dataset is None else dataset,
        config=config,
        training=TrainingConfig(max_epochs=args.max_epochs, seed=args.random_state),
        cache_dir=args.cache_dir,
    )


def untrained(args: argparse.Namespace, dataset):
    """An untrained ``--model`` sized for ``dataset``: what its sites are, known in
    milliseconds, so a command refuses a model before training it (minutes)."""
    from workbench.zoo import build_model

    return build_model(args.model, dataset, **parse_config(args.config))


def _dataset(args: argparse.Namespace):
    from workbench.zoo.ctr_data import fields_from_frame
    from workbench.zoo.training import SAMPLE_DATA, sample_data

    if args.data in SAMPLE_DATA:
        return sample_data(args.data, args.random_state)
    path = Path(args.data)
    if not path.is_file():
        raise ParameterError(f"--data: {args.data!r} is neither {SAMPLE_DATA} nor a file")
    if not args.target:
        raise ParameterError("--target is required with a CSV --data")
    import pandas as pd

    from workbench.data.readers import read_table

    return fields_from_frame(read_table(path, pd.read_csv), args.target)


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
    from app.cli.common import figure_formats
    from app.reports.gates import write_gate_report

    formats = figure_formats(args.formats)
    user_output_kind(args)  # factory-only options refused for a zoo model before training
    if is_factory(args.model):  # the user's own model: its rows are the whole --data
        rows = _dataset(args)
        module = load_user_model(args.model, args.weights, args.factory_kwargs, rows)
    else:
        from analyzers.gate_common import gate_site_specs

        data = _dataset(args)
        gate_site_specs(untrained(args, data), *_gate_sites(args))  # AutoInt: refuse now
        trained = _trained(args, data)
        module, rows = trained.model, trained.test
    if args.rows:
        rows = rows.subset(sample_rows(rows.n_rows, args.rows, args.random_state))
    start = time.perf_counter()
    report = _analyze(args, module, rows)
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


def _gate_sites(args: argparse.Namespace) -> tuple[list[str] | None, str]:
    """(sites named by --sites and --site, or None for the model's own; their kind)."""
    sites = ((args.sites.split(",") if args.sites else []) + args.site) or None
    return sites, args.site_kind if args.site else "gate"


def _analyze(args: argparse.Namespace, module, rows):
    """The gate report of ``module`` on ``rows``: stored, else analysed and stored."""
    from workbench.models import wrap_model

    sites, site_kind = _gate_sites(args)
    parameters = {
        "sites": sites,
        "compute_attributions": not args.no_attributions,
        "attribution_rows": args.attribution_rows,
        "compute_interactions": not args.no_interactions,
        "n_permutations": args.n_permutations,
        "n_bootstrap": args.n_bootstrap,
        "random_state": args.random_state,
        "model_name": args.model,
    }
    # Only when given, so zoo results keep the key they share with the app.
    if args.site:
        parameters["site_kind"] = site_kind
    if args.embedding_site:
        parameters["embedding"] = args.embedding_site

    # A probability model (DeepCTR's) is read as one: its loss and logit scale stay right.
    output = user_output_kind(args)

    def analyze():
        from analyzers.gates import analyze_gates

        model = wrap_model(module, task="classification", output=output, device=args.device)
        return analyze_gates(
            model, rows, max_batch_rows=args.max_batch_rows, device=args.device, **parameters
        )

    # The output kind is in the fingerprint: a zoo model's (logit) key is as before.
    adapter = wrap_model(module, task="classification", output=output, device="cpu")
    return cached_result(
        args,
        "gates",
        model_fingerprint=adapter.fingerprint(),
        data_fingerprint=rows.fingerprint(),
        parameters=parameters,
        compute=analyze,
    )
