"""``workbench rashomon-set``: a Rashomon set of retrained, fitted, dropout or input-mask
models, any interaction index over its members, the range table and what every member agrees
on."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from app.cli.batch import add_batch_arguments, batch_options
from app.cli.cache import add_cache_arguments, member_cache
from app.cli.common import (
    ProgressBar,
    add_data_arguments,
    add_epsilon_arguments,
    add_game_arguments,
    add_grouping_arguments,
    add_model_file_arguments,
    add_output_arguments,
    add_run_arguments,
    bounded_float,
    default_of,
    figure_formats,
    nonnegative_int,
    positive_int,
)
from workbench.errors import WorkbenchError
from workbench.models.files import is_pickle_file

BUILDERS = ("retrain", "fitted", "dropout", "masks")
#: Learners ``--builder retrain`` trains from a name (settings as the sample models').
LEARNERS = ("gbt", "forest", "mlp", "logistic")


def add_parser(commands) -> None:
    """Add the ``rashomon-set`` subcommand to an argparse subparsers object."""
    from analyzers.interaction_result import INTERACTION_INDICES
    from analyzers.model_sets import DropoutSetBuilder
    from analyzers.model_sets import explore_model_set as explore

    parser = commands.add_parser(
        "rashomon-set",
        help="interaction ranges and consensus over a set of retrained, fitted, dropout or "
        "input-mask models",
        description="Build a Rashomon set (models retrained with seeds, bootstrap resamples "
        "and a parameter grid, your fitted models, a torch model under seeded dropout "
        "masks, or a model under FISC's input-scaling masks), score an interaction index for every "
        "member within ε of the best loss, and write the range table and the consensus "
        "(order shares, Hasse diagram, robust top-k) as JSON + CSV, and the cloud and consensus "
        "graph figures, to --out.",
    )
    add_data_arguments(
        parser,
        data_help="CSV (.csv, .csv.gz) or Parquet file; for a zoo --model also 'adult' or "
        "'synthetic'",
        target_help="target column (needed for a CSV or Parquet --data)",
        target_required=False,
    )
    parser.add_argument("--builder", choices=BUILDERS, default="retrain")
    parser.add_argument(
        "--learner",
        default="gbt",
        help=f"retrain: a learner ({', '.join(LEARNERS)}) or a scikit-learn estimator "
        "joblib file to clone (joblib runs code when loaded: needs --trust-pickle)",
    )
    parser.add_argument("--param-grid", help="retrain: grid 'max_depth=2,3;learning_rate=0.1,0.05'")
    parser.add_argument("--seeds", default="0,1,2,3,4", help="retrain: comma-separated seeds")
    parser.add_argument(
        "--n-bootstrap",
        type=nonnegative_int,
        default=0,
        help="retrain: bootstrap resamples per seed",
    )
    parser.add_argument(
        "--test-size",
        type=bounded_float(0.0, 0.9, low_open=True),
        default=0.2,
        help="retrain: share of rows held out and explained (the rest trains the members)",
    )
    parser.add_argument(
        "--models", help="fitted: comma-separated model files (joblib/pkl, TorchScript...)"
    )
    _add_dropout_arguments(parser, DropoutSetBuilder)
    add_model_file_arguments(parser)
    add_output_arguments(parser, formats_default="html")
    add_grouping_arguments(parser)
    parser.add_argument(
        "--index", choices=INTERACTION_INDICES, default=default_of(explore, "index")
    )
    add_epsilon_arguments(parser)
    parser.add_argument("--top-k", type=positive_int, default=default_of(explore, "top_k"))
    parser.add_argument("--rows", type=positive_int, help="explained rows, a seeded sample")
    add_game_arguments(parser, "Shapley: auto, exact or sampling; fis: auto, exact or permutation")
    parser.add_argument(
        "--max-coalitions",
        type=positive_int,
        default=default_of(explore, "max_coalitions"),
        help="Shapley indices with --approximator auto: coalitions per explained row a member "
        "may cost; exact while 2**groups fits, sampled beyond (the cost is printed first)",
    )
    add_run_arguments(parser, random_state=default_of(explore, "random_state"))
    add_batch_arguments(parser, chunk_size=None)  # a chunk is one member
    add_cache_arguments(
        parser,
        "retrain: a member trained before with the same parameters, seed, bootstrap and "
        "training rows is read from it, not retrained",
    )
    parser.set_defaults(run=run_rashomon_set)


def run_rashomon_set(args: argparse.Namespace) -> int:
    from analyzers.model_sets import explore_model_set
    from app.cli.common import load_dataset
    from app.reports.model_sets import write_model_set_report
    from workbench.data import Dataset

    formats = figure_formats(args.formats)  # checked before any work
    if args.builder in ("dropout", "masks"):
        from app.cli.rashomon_dropout import dropout_builder, mask_builder

        builder, explained = (dropout_builder if args.builder == "dropout" else mask_builder)(args)
    else:
        if not args.target:
            raise WorkbenchError("--target: the target column of --data is needed")
        builder, explained = _builder(args, load_dataset(Dataset, args))
    with ProgressBar(not args.no_progress) as bar, batch_options(args) as batch:
        model_set = builder.build(
            explained, epsilon_rate=args.epsilon_rate, epsilon=args.epsilon, progress=bar.update
        )
        _print_cost(args, explained, model_set)
        result = explore_model_set(
            model_set,
            explained,
            args.index,
            epsilon_rate=args.epsilon_rate,
            epsilon=args.epsilon,
            top_k=args.top_k,
            rows=args.rows,
            background=args.background,
            random_state=args.random_state,
            output=args.scale,
            class_index=args.class_index,
            approximator=args.approximator,
            n_samples=args.n_samples,
            max_exact_groups=args.max_exact_groups,
            max_coalitions=args.max_coalitions,
            n_permutations=args.n_permutations,
            max_batch_rows=args.max_batch_rows,
            progress=bar.update,
            **batch,
        )
    writing = time.perf_counter()
    written = write_model_set_report(result, args.out, formats=formats)
    print(
        f"{args.index} over {result.n_in_set} of {len(result.model_names)} {result.builder} "
        f"models within ε = {result.epsilon:.4g} of L* = {result.reference_loss:.4f}; "
        f"analysis {result.seconds:.1f} s, files {time.perf_counter() - writing:.1f} s"
    )
    shown = ["pair", "min", "max", "mean", "range", "rank_best", "rank_worst", "robust_top_k"]
    print(result.ranges[shown].head(10).to_string(index=False))
    print(f"robust top-{result.top_k}: {', '.join(result.robust_top_k()) or 'none'}")
    for diagnostic in result.diagnostics:
        print(f"{diagnostic.severity}: {diagnostic.code}: {diagnostic.message}")
    cache = getattr(builder, "cache", None)
    if cache is not None:
        print(f"members: {cache.n_loaded} cached, {cache.n_saved} trained (cache {cache.root})")
    print(f"wrote {len(written)} files to {Path(args.out)}")
    return 0


def _print_cost(args: argparse.Namespace, explained, model_set) -> None:
    """The Shapley index's cost line (``analyzers.model_sets.cost``), as the page states it,
    before the members are scored."""
    from analyzers.interaction_result import canonical_index
    from analyzers.model_sets.cost import SHAPLEY_INDICES
    from analyzers.model_sets.explore import set_plan

    index = canonical_index(args.index)
    if index not in SHAPLEY_INDICES:
        return
    game = {"approximator": args.approximator, "n_samples": args.n_samples}
    n_members = len(model_set.in_set)
    plan = set_plan(
        explained, index, args.rows, args.background, n_members, game, args.max_coalitions
    )
    print(f"cost: {plan.text()}", flush=True)


def _add_dropout_arguments(parser: argparse.ArgumentParser, builder) -> None:
    from analyzers.model_sets import MaskSetBuilder

    parser.add_argument(
        "--model",
        default="mlp",
        help="dropout, masks: the reference model: a sample model (dropout: mlp, as logistic "
        "has no hidden layer; masks: mlp, logistic or gbt), a zoo model (finalmlp, masknet, "
        "gdcn, dcnv2, autoint, fcn; trained on first use and cached) or a model file",
    )
    parser.add_argument(
        "--rate",
        type=bounded_float(0.0, 0.99),
        help="dropout: the drop rate p (default: searched, the largest p keeping "
        f"{default_of(builder, 'in_set_share'):g} of the probe members within ε)",
    )
    parser.add_argument(
        "--members",
        type=positive_int,
        help=f"dropout: members drawn at the rate (default {default_of(builder, 'n_members')}); "
        "masks: members in all, the reference and a seeded draw of FISC's masks (default "
        f"{default_of(MaskSetBuilder, 'n_members')})",
    )
    parser.add_argument(
        "--layers",
        help="dropout: comma-separated module names to mask (default: every hidden activation)",
    )
    parser.add_argument(
        "--dropout-mode",
        choices=("activations", "weights"),
        default=default_of(builder, "mode"),
        help="dropout: mask units of the layers' outputs, or entries of their weights",
    )


def _builder(args: argparse.Namespace, dataset):
    """The set's builder and the rows it is explained on."""
    from analyzers.model_sets import FittedSetBuilder, RetrainedSetBuilder
    from workbench.samples import infer_task

    task = infer_task(dataset) if args.task == "auto" else args.task
    if args.builder == "fitted":
        if not args.models:
            raise WorkbenchError("--models: --builder fitted needs comma-separated model files")
        paths = [Path(p.strip()) for p in args.models.split(",") if p.strip()]
        names = list(dataset.feature_names)
        models = [_fitted_model(path, args, task, names) for path in paths]
        names = [path.stem for path in paths]
        return FittedSetBuilder(models, names=names, task=task, device=args.device), dataset
    train, explained = dataset.train_test_split(args.test_size, seed=args.random_state)
    builder = RetrainedSetBuilder(
        _learner(args.learner, task, args.trust_pickle),
        train,
        param_grid=_parse_grid(args.param_grid),
        seeds=_parse_seeds(args.seeds),
        n_bootstrap=args.n_bootstrap,
        device=args.device,
        max_batch_rows=args.max_batch_rows,
        cache=member_cache(args),
    )
    return builder, explained


def _fitted_model(path: Path, args: argparse.Namespace, task: str, feature_names: list[str]):
    """A joblib estimator as itself (the tree index reads its trees), other files wrapped; a
    native xgboost/lightgbm file is checked against the data's columns."""
    from app.cli.common import load_model_argument, load_raw_estimator

    if is_pickle_file(path):
        return load_raw_estimator(path, args.trust_pickle)
    return load_model_argument(path, args, task, feature_names)


def _learner(name: str, task: str, trust_pickle: bool):
    """A fresh learner named on the command line, or the estimator of a joblib file."""
    from sklearn import ensemble, linear_model, neural_network

    learners = {  # name: (classifier, regressor, settings)
        "gbt": (
            ensemble.GradientBoostingClassifier,
            ensemble.GradientBoostingRegressor,
            {"n_estimators": 100, "max_depth": 3},
        ),
        "forest": (
            ensemble.RandomForestClassifier,
            ensemble.RandomForestRegressor,
            {"n_estimators": 100, "max_depth": 6},
        ),
        "mlp": (
            neural_network.MLPClassifier,
            neural_network.MLPRegressor,
            {"hidden_layer_sizes": (64, 64), "max_iter": 300},
        ),
        "logistic": (linear_model.LogisticRegression, linear_model.Ridge, {}),
    }
    if name in learners:
        classifier, regressor, settings = learners[name]
        if task != "classification":
            return regressor(**settings)
        return classifier(**settings, **({"max_iter": 1000} if name == "logistic" else {}))
    path = Path(name)
    if is_pickle_file(path):
        from app.cli.common import load_raw_estimator

        return load_raw_estimator(path, trust_pickle)
    raise WorkbenchError(
        f"--learner: expected one of {', '.join(LEARNERS)} or a .joblib file, got {name!r}"
    )


def _parse_seeds(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise WorkbenchError(f"--seeds: expected comma-separated integers, got {text!r}") from None


def _parse_grid(text: str | None) -> dict[str, list]:
    """'max_depth=2,3;learning_rate=0.1' as {"max_depth": [2, 3], "learning_rate": [0.1]}."""
    if not text:
        return {}
    grid = {}
    for part in text.split(";"):
        name, sep, values = part.partition("=")
        if not sep or not name.strip() or not values.strip():
            raise WorkbenchError(f"--param-grid: expected 'name=v1,v2;...', got {part!r}")
        grid[name.strip()] = [_grid_value(v.strip()) for v in values.split(",")]
    return grid


def _grid_value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"None": None, "True": True, "False": False}.get(text, text)
