"""``workbench compare``: score several models with one index on one data set and compare them.

Writes the comparison (JSON + CSV), each model's interaction result, optional FISC results and
the figures (per-pair dumbbell, agreement matrices, Rashomon overlay) to --out.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from app.cli.cache import add_cache_arguments, explored, file_fingerprint, scored
from app.cli.common import (
    MODEL_HELP,
    add_data_arguments,
    add_epsilon_arguments,
    add_game_arguments,
    add_grouping_arguments,
    add_max_order_argument,
    add_model_file_arguments,
    add_output_arguments,
    add_run_arguments,
    default_of,
    figure_formats,
    load_dataset,
    load_raw_estimator,
    positive_int,
)
from workbench.errors import ParameterError

_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_TEST_SIZE, _SPLIT_SEED = 0.2, 0  # the split the sample models are trained and explained on


def add_parser(commands) -> None:
    """Add the ``compare`` subcommand to an argparse subparsers object."""
    from analyzers.interaction_result import INTERACTION_INDICES
    from analyzers.interactions import score_interactions as score

    parser = commands.add_parser(
        "compare",
        help="compare the interaction scores of several models: agreement, disagreement, "
        "Rashomon ranges",
        description="Score every pair of feature groups of each --model with one --index on "
        "the same rows, then write the aligned pair × model table, rank agreement, the pairs "
        "the models disagree on, optional FISC verdicts (JSON + CSV) and figures to --out.",
    )
    add_data_arguments(parser)
    parser.add_argument(
        "--model",
        action="append",
        required=True,
        help="a model to compare, 'NAME=MODEL' or MODEL (named after the sample model or the "
        "file stem); give it two or more times. MODEL: " + MODEL_HELP,
    )
    parser.add_argument("--index", choices=INTERACTION_INDICES, default=default_of(score, "index"))
    add_output_arguments(parser)
    add_model_file_arguments(parser)
    add_grouping_arguments(parser)
    parser.add_argument(
        "--split",
        choices=["test", "all"],
        help="rows every model is explained on: the 20%% test split (default when a sample "
        "model is compared) or all rows (default for model files only)",
    )
    parser.add_argument(
        "--rows", type=positive_int, help="explained rows, a seeded sample (default: 100; fis: all)"
    )
    add_max_order_argument(parser, default_of(score, "max_order"))
    add_game_arguments(
        parser, "Shapley: auto, exact or sampling; fis (and --rashomon): auto, exact or permutation"
    )
    _comparison_arguments(parser)
    add_run_arguments(parser, random_state=default_of(score, "random_state"))
    parser.add_argument("--top", type=positive_int, default=20, help="pairs shown in the figures")
    add_cache_arguments(parser)
    parser.set_defaults(run=run_compare)


def _comparison_arguments(parser: argparse.ArgumentParser) -> None:
    """How the scores are compared, and the optional FISC check of ``--rashomon``."""
    from analyzers.compare import compare_results
    from analyzers.interaction_result import AGGREGATES

    parser.add_argument(
        "--aggregate", choices=AGGREGATES, default=default_of(compare_results, "aggregate")
    )
    parser.add_argument(
        "--top-k",
        type=positive_int,
        default=default_of(compare_results, "top_k"),
        help="k of the top-k overlap",
    )
    parser.add_argument(
        "--rashomon",
        action="append",
        default=[],
        metavar="NAME",
        help="explore the Rashomon set (FISC) of this model and check the others' FIS against "
        "its FIS range; needs --index fis; may be repeated",
    )
    parser.add_argument(
        "--model-set",
        action="append",
        default=[],
        metavar="[NAME=]RESULT",
        help="check the other models against the range of a model set of NAME (default: the "
        "first --model): the result.json (or its folder) that `workbench rashomon-set` wrote, "
        "of this --index and data; any builder; may be repeated, one per model",
    )
    add_epsilon_arguments(parser)
    parser.add_argument(
        "--all-sampled",
        action="store_true",
        help="FIS range over all sampled models, not only those inside the Rashomon set",
    )


def run_compare(args: argparse.Namespace) -> int:
    from analyzers.compare import compare_scored
    from app.reports.compare import write_comparison_report
    from workbench.data import Dataset
    from workbench.samples import infer_task

    specs = _model_specs(args.model)
    unknown = [name for name in args.rashomon if name not in specs]
    if unknown:
        raise ParameterError(
            f"--rashomon: unknown model name {unknown[0]!r}; models are {', '.join(specs)}"
        )
    if args.rashomon and args.index != "fis":
        raise ParameterError(
            f"--rashomon: FISC ranges are permutation FIS on the loss scale; use --index fis, "
            f"not {args.index!r}"
        )
    sets = _model_sets(args.model_set, specs, args.index, args.rashomon)
    formats = figure_formats(args.formats)
    dataset = load_dataset(Dataset, args)
    task = infer_task(dataset) if args.task == "auto" else args.task
    models, rows = _models_and_rows(args, specs, dataset, task)
    _check_set_rows(sets, rows.fingerprint())
    started = time.perf_counter()
    results, rashomon = {}, {}

    def score(name: str):
        results[name] = _score(args, name, models[name], specs[name], rows)
        return results[name]

    def explore(name: str):
        if name in args.rashomon:
            rashomon[name] = _explore(args, name, models[name], rows)
        return rashomon.get(name) or sets.get(name)

    comparison = compare_scored(
        list(models),
        score,
        rashomon=explore,
        aggregate=args.aggregate,
        top_k=args.top_k,
        in_set_only=not args.all_sampled,
        dataset_fingerprint=rows.fingerprint(),
    )
    seconds = time.perf_counter() - started
    writing = time.perf_counter()
    written = write_comparison_report(
        comparison,
        args.out,
        results=list(results.values()),
        rashomon=rashomon,
        formats=formats,
        top=args.top,
    )
    _print_summary(comparison, seconds, time.perf_counter() - writing)
    print(f"wrote {len(written)} files to {Path(args.out)}")
    return 0


def _model_specs(values: list[str]) -> dict[str, str]:
    """Model name -> what to load, from 'NAME=MODEL' or 'MODEL' arguments."""
    specs: dict[str, str] = {}
    for value in values:
        name, sep, spec = value.partition("=")
        if not sep:
            name, spec = Path(value).stem if Path(value).suffix else value, value
        if not _NAME.fullmatch(name):
            raise ParameterError(
                f"--model: name {name!r} must be letters, digits, '_', '-' or '.'; use NAME=MODEL"
            )
        if name in specs:
            raise ParameterError(f"--model: name {name!r} is given twice; use NAME=MODEL")
        specs[name] = spec
    if len(specs) < 2:
        raise ParameterError(f"--model: need at least two models to compare; got {len(specs)}")
    return specs


def _model_sets(
    values: list[str], specs: dict[str, str], index: str, fisc: list[str]
) -> dict[str, object]:
    """Model name -> the ModelSetResult of its '[NAME=]RESULT' argument (checked, one line)."""
    from analyzers.model_sets import ModelSetResult

    sets = {}
    for value in values:
        name, sep, path = value.partition("=")
        name, path = (name, Path(path)) if sep else (next(iter(specs)), Path(value))
        if name not in specs:
            raise ParameterError(
                f"--model-set: unknown model name {name!r}; models are {', '.join(specs)}"
            )
        if name in sets or name in fisc:
            raise ParameterError(
                f"--model-set: {name!r} has a range already (one --model-set or --rashomon "
                "per model)"
            )
        path = path / "result.json" if path.is_dir() else path
        if not path.is_file():
            raise ParameterError(f"--model-set: no file {str(path)!r}")
        try:
            found = ModelSetResult.from_json(path.read_text(encoding="utf-8"))
        except Exception as error:  # any parse failure of the user's file: say so in one line
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise ParameterError(
                f"--model-set: {str(path)!r} is not a `workbench rashomon-set` result.json "
                f"({reason})"
            ) from None
        if found.index != index:
            raise ParameterError(
                f"--model-set: {str(path)!r} holds ranges of index {found.index!r} but --index "
                f"is {index!r}; compare with --index {found.index} or build the set with "
                f"--index {index}"
            )
        sets[name] = found
    return sets


def _check_set_rows(sets: dict, fingerprint: str) -> None:
    """A set explained on another data set or split is not a range of these models' scores."""
    for name, found in sets.items():
        recorded = found.settings.get("dataset_fingerprint")
        if recorded is not None and recorded != fingerprint:
            raise ParameterError(
                f"--model-set: the set of {name!r} was explained on other rows than the compared "
                "models; build it on the same data and split (e.g. rashomon-set --test-size 0.2 "
                "--random-state 0 with compare --split test)"
            )


def _models_and_rows(args: argparse.Namespace, specs: dict[str, str], dataset, task: str):
    """Each model (raw tree estimators for --index tree) and the one set of rows they share."""
    from app.cli.common import load_model_argument
    from workbench.models.files import check_pickle_trusted
    from workbench.samples import SAMPLE_MODELS, train_sample_model

    samples = [spec for spec in specs.values() if spec in SAMPLE_MODELS]
    if args.index == "tree" and samples:
        raise ParameterError(
            f"--index tree needs tree model files (.json/.ubj/.txt/.joblib); {samples[0]!r} is "
            "not a tree"
        )
    split = args.split or ("test" if samples else "all")
    if samples and split != "test":
        raise ParameterError(
            "--split all: sample models are trained on 80% of the rows; explain them on the "
            "test split (--split test) so no model is explained on its training rows"
        )
    for spec in specs.values():  # refused before any sample model trains, not after
        if spec not in SAMPLE_MODELS:
            check_pickle_trusted(spec, args.trust_pickle)
    models = {}
    for name, spec in specs.items():
        if spec in SAMPLE_MODELS:
            sample = train_sample_model(
                spec, dataset, task=task, device=args.device, test_size=_TEST_SIZE, seed=_SPLIT_SEED
            )
            print(f"trained {name!r}: test loss {sample.test_loss:.4f}", file=sys.stderr)
            models[name] = sample.adapter
        elif args.index == "tree":
            names = dataset.feature_names
            models[name] = load_raw_estimator(Path(spec), args.trust_pickle, names)
        else:
            models[name] = load_model_argument(spec, args, task, dataset.feature_names)
    if split == "all":
        return models, dataset
    return models, dataset.train_test_split(_TEST_SIZE, seed=_SPLIT_SEED)[1]


def _score(args: argparse.Namespace, name: str, model, spec: str, rows):
    """One model's interaction scores: stored, else scored and stored."""
    parameters = {
        "index": args.index,
        "max_order": args.max_order,
        "rows": args.rows,
        "background": args.background,
        "random_state": args.random_state,
        "model_name": name,
        "output": args.scale,
        "probability_clip": args.probability_clip,
        "class_index": args.class_index,
        "approximator": args.approximator,
        "n_samples": args.n_samples,
        "max_exact_groups": args.max_exact_groups,
        "n_permutations": args.n_permutations,
    }

    fingerprint = model.fingerprint() if hasattr(model, "fingerprint") else file_fingerprint(spec)
    return scored(args, model, rows, parameters, fingerprint)


def _explore(args: argparse.Namespace, name: str, model, rows):
    """One model's FISC result (for ``--rashomon``): stored, else explored and stored."""
    parameters = {
        "epsilon_rate": args.epsilon_rate,
        "epsilon": args.epsilon,
        # FISC scores one order per run: the comparison's highest.
        "order": args.max_order,
        "approximator": args.approximator,
        "n_permutations": args.n_permutations,
        "random_state": args.random_state,
        "model_name": name,
    }

    return explored(args, model, rows, parameters)


def _print_summary(comparison, seconds: float, write_seconds: float) -> None:
    from analyzers.compare_rashomon import range_label

    print(
        f"{comparison.index}: {len(comparison.model_names)} models, {len(comparison.pairs)} "
        f"interactions; analysis {seconds:.1f} s, files {write_seconds:.1f} s"
    )
    print(comparison.agreement.to_string(index=False))
    print(comparison.top_disagreements(5).to_string(index=False))
    for diagnostic in comparison.diagnostics:
        print(f"{diagnostic.severity}: {diagnostic.message}")
    for model, source in comparison.settings.get("ranges", {}).items():
        print(f"{model}: {range_label(source)}")
    if not comparison.rashomon.empty:
        counts = comparison.rashomon.groupby(["reference_model", "model", "verdict"]).size()
        print(counts.rename("pairs").reset_index().to_string(index=False))
