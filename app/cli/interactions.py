"""``workbench interactions``: score every pair of groups of one model; write tables, figures."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from app.cli.batch import add_batch_arguments
from app.cli.cache import add_cache_arguments, file_fingerprint, scored
from app.cli.common import (
    MODEL_HELP,
    add_data_arguments,
    add_game_arguments,
    add_grouping_arguments,
    add_max_order_argument,
    add_model_file_arguments,
    add_output_arguments,
    add_run_arguments,
    default_of,
    load_raw_estimator,
    positive_int,
)
from app.cli.user_model import add_factory_arguments, is_factory, load_user_model
from workbench.errors import ModelError


def add_parser(commands) -> None:
    """Add the ``interactions`` subcommand to an argparse subparsers object."""
    from analyzers.interaction_result import AGGREGATES, INTERACTION_INDICES, InteractionResult
    from analyzers.interactions import score_interactions as score

    parser = commands.add_parser(
        "interactions",
        help="interaction scores of one model: SII, STII, k-SII, Friedman H², FIS, tree SHAP",
        description="Score every pair (or triple) of feature groups of a model and write the "
        "scores (JSON + CSV) and figures (pair heatmap, interaction network, top pairs) to --out.",
    )
    add_data_arguments(parser)
    parser.add_argument(
        "--model",
        default="mlp",
        help=MODEL_HELP + "; --index tree needs a tree model file (xgboost .json/.ubj, lightgbm "
        ".txt, or a scikit-learn tree in .joblib/.pkl)",
    )
    parser.add_argument("--model-name", help="name stored in the result (default: --model)")
    add_model_file_arguments(parser)
    parser.add_argument(
        "--weights",
        help="state_dict of a --model package.module:callable, your own torch model (its "
        "--data is read as coded fields, as `workbench gates` reads it)",
    )
    add_factory_arguments(parser, output_kind=False)
    add_output_arguments(parser)
    add_grouping_arguments(parser)
    parser.add_argument("--index", choices=INTERACTION_INDICES, default=default_of(score, "index"))
    add_max_order_argument(parser, default_of(score, "max_order"))
    parser.add_argument(
        "--rows",
        type=positive_int,
        help="explained rows, a seeded sample (default: 100; fis: all); drawn from the 20%% "
        "test split for sample models",
    )
    add_game_arguments(parser, "Shapley: auto, exact or sampling; fis: auto, exact or permutation")
    parser.add_argument(
        "--h2-scale",
        choices=["pair", "output"],
        default=default_of(score, "h2_scale"),
        help="h2: Friedman's pair-scaled H², or the residual over the output variance",
    )
    parser.add_argument(
        "--aggregate",
        choices=AGGREGATES,
        default=default_of(InteractionResult.global_scores, "aggregate"),
        help="pair score that ranks the printed table: mean |value| (strength) or the signed "
        "mean (as the Interactions page's choice; the report writes both)",
    )
    add_run_arguments(parser, random_state=default_of(score, "random_state"), progress=False)
    parser.add_argument(
        "--top", type=positive_int, default=20, help="pairs in the bar chart and network"
    )
    add_screen_arguments(parser)
    add_cache_arguments(parser)
    add_batch_arguments(parser, chunk_size="explained rows (exact Shapley indices)")
    parser.set_defaults(run=run_interactions)


def add_screen_arguments(parser) -> None:
    """``--screen``, ``--top-k``, ``--screen-rows``, ``--screen-replicates``: screen every pair
    cheaply and refine the top-k with --index (see ``screen_and_refine``)."""
    from analyzers.interactions import screen_and_refine as refine
    from analyzers.interactions.screen_refine import SCREENS

    parser.add_argument(
        "--screen",
        choices=SCREENS,
        help="screen all pairs with few-permutation FIS replicates, then compute --index "
        "precisely on the top-k and the pairs whose screen interval reaches the k-th "
        "(for hundreds of groups; writes screen_refine.json and .csv)",
    )
    parser.add_argument("--top-k", type=positive_int, default=default_of(refine, "top_k"))
    parser.add_argument(
        "--screen-rows", type=positive_int, default=default_of(refine, "screen_rows")
    )
    parser.add_argument(
        "--screen-replicates",
        type=positive_int,
        default=default_of(refine, "screen_replicates"),
        help="independent screen replicates; their spread is the screen's error (>= 2)",
    )


def run_interactions(args: argparse.Namespace) -> int:
    from app.cli.common import figure_formats, load_dataset
    from app.reports.interactions import pair_table, write_interaction_report
    from workbench.data import Dataset
    from workbench.samples import infer_task

    formats = figure_formats(args.formats)
    if is_factory(args.model):  # a CTR model of the user's: 'adult', 'synthetic' or a CSV
        from app.cli.ctr import _dataset as coded_fields

        dataset = coded_fields(args)
    else:
        dataset = load_dataset(Dataset, args)
    task = infer_task(dataset) if args.task == "auto" else args.task
    model, rows = _model_and_rows(args, dataset, task)
    if args.screen is not None:
        return _run_screen(args, model, rows)
    parameters = {
        "index": args.index,
        "max_order": args.max_order,
        "rows": args.rows,
        "background": args.background,
        "random_state": args.random_state,
        "model_name": args.model_name or _model_name(args.model),
        "output": args.scale,
        "probability_clip": args.probability_clip,
        "class_index": args.class_index,
        "approximator": args.approximator,
        "n_samples": args.n_samples,
        "max_exact_groups": args.max_exact_groups,
        "n_permutations": args.n_permutations,
        "h2_scale": args.h2_scale,
    }

    result = scored(args, model, rows, parameters, _fingerprint(model, args))
    writing = time.perf_counter()
    written = write_interaction_report(result, args.out, formats=formats, top=args.top)
    table = pair_table(result, args.aggregate)
    print(
        f"{args.index}: {len(result.pairs)} interactions over {len(result.group_names)} groups "
        f"({result.settings.get('estimator')}); analysis {result.seconds:.1f} s, "
        f"files {time.perf_counter() - writing:.1f} s"
    )
    print(table.head(10).to_string(index=False))
    print(f"wrote {len(written)} files to {Path(args.out)}")
    return 0


def _run_screen(args: argparse.Namespace, model, rows) -> int:
    """Screen, refine, and write the result as JSON and its pair table as CSV."""
    from analyzers.interactions import screen_and_refine

    result = screen_and_refine(
        model,
        rows,
        screen=args.screen,
        refine_index=args.index,
        top_k=args.top_k,
        rows=args.rows,
        screen_rows=args.screen_rows,
        screen_replicates=args.screen_replicates,
        approximator=args.approximator,
        n_permutations=args.n_permutations,
        random_state=args.random_state,
        model_name=args.model_name or _model_name(args.model),
        max_batch_rows=args.max_batch_rows,
        device=args.device,
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "screen_refine.json").write_text(result.to_json())
    result.to_frame().to_csv(out / "screen_refine.csv", index=False)
    settings = result.settings
    print(
        f"screen {args.screen} over {len(result.pairs)} pairs ({settings['screen_seconds']:.1f} s),"
        f" refined {settings['n_refined']} with {args.index} ({settings['refine_seconds']:.1f} s)"
    )
    for diagnostic in result.diagnostics:
        print(f"{diagnostic.severity}: {diagnostic.message}", file=sys.stderr)
    print(result.top().head(10).to_string(index=False))
    print(f"wrote screen_refine.json and screen_refine.csv to {out}")
    return 0


def _model_name(model: str) -> str:
    """A model file's stem, a factory's callable name."""
    return model.partition(":")[2] if is_factory(model) else Path(model).stem


def _fingerprint(model, args: argparse.Namespace) -> str:
    """The adapter's fingerprint; a raw tree estimator's is its file's (shap reads the file's)."""
    if hasattr(model, "fingerprint"):
        return model.fingerprint()
    return file_fingerprint(args.model)


def _model_and_rows(args: argparse.Namespace, dataset, task: str):
    """The model (a raw tree estimator for --index tree) and the rows it is explained on."""
    from app.cli.common import load_model_argument
    from workbench.samples import SAMPLE_MODELS, train_sample_model

    if args.model in SAMPLE_MODELS:
        if args.index == "tree":
            raise ModelError(
                f"--index tree needs a tree model file (.json/.ubj/.txt/.joblib); {args.model!r} "
                "is not a tree"
            )
        sample = train_sample_model(args.model, dataset, task=task, device=args.device)
        print(
            f"trained sample model {args.model!r}: test loss {sample.test_loss:.4f}",
            file=sys.stderr,
        )
        return sample.adapter, sample.test
    if is_factory(args.model):
        from workbench.models import wrap_model

        if args.index == "tree":
            raise ModelError("--index tree needs a tree model file, not a torch factory")
        module = load_user_model(args.model, args.weights, args.factory_kwargs, dataset)
        output = args.output_kind or ("logit" if task == "classification" else None)
        return wrap_model(module, task=task, output=output, device=args.device), dataset
    if args.weights or args.factory_kwargs:
        raise ModelError("--weights, --factory-kwargs: only with --model package.module:callable")
    if args.index == "tree":
        names = dataset.feature_names
        return load_raw_estimator(Path(args.model), args.trust_pickle, names), dataset
    model = load_model_argument(args.model, args, task, dataset.feature_names)
    return model, dataset
