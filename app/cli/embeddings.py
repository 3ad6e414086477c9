"""``workbench embeddings``: embedding geometry of a CTR model, written as JSON, CSV and figures.

The model is a zoo sample model (trained on first use and cached, see ``workbench.zoo.training``)
or a model saved by ``save_ctr_model`` (``.json`` + ``.pt``, no pickle). Output is written to a
staging folder and renamed into place, so an interrupted run leaves no half-written report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.cache import add_cache_arguments, cached_result
from app.cli.common import (
    add_data_arguments,
    add_output_arguments,
    add_run_arguments,
    default_of,
    positive_int,
)
from app.cli.ctr import add_training_arguments, parse_config
from app.cli.user_model import (
    add_factory_arguments,
    is_factory,
    load_user_model,
    user_output_kind,
)
from app.reports.output_folder import staged_folder
from workbench.errors import WorkbenchError

_COLOUR_PREFIXES = ("gate:", "attribution:")
_CSV_PREFIXES = {
    "geometry": ("geometry", "spectrum", "norm_strata"),
    "relations": ("pairs",),
    "collisions": ("fields", "buckets", "features"),
    "private_rows": ("variants",),
}


def add_parser(commands) -> None:
    """Register ``workbench embeddings`` on the CLI's subparsers."""
    parser = commands.add_parser(
        "embeddings",
        help="embedding geometry of a CTR model: per-field spectrum, CKA, collisions, maps",
        description="Analyse the field embeddings of a CTR model and write result.json, CSV "
        "tables and figures (HTML, PNG, SVG) to --out.",
    )
    from analyzers.embeddings import analyze_embeddings as analyze

    parser.add_argument(
        "--model",
        required=True,
        help="a zoo model name (finalmlp, masknet, gdcn, dcnv2, autoint, fcn; trained on first "
        "use and cached), the .json of a model saved by `workbench train`, or your own model's "
        "factory package.module:callable with --weights and --embedding-site",
    )
    parser.add_argument(
        "--embedding-site",
        metavar="PATH[#CALL]",
        help="module path whose output holds your model's field vectors side by side, or PATH.* "
        "for one module per field, joined in field order (a DeepCTR-Torch model's "
        "embedding_dict.*)",
    )
    parser.add_argument(
        "--weights", help="state_dict of a --model module:callable (loaded with weights_only=True)"
    )
    add_factory_arguments(parser)
    add_data_arguments(
        parser,
        data_help="'adult', 'synthetic' or a CSV whose feature columns are the model's field codes",
        data_default="adult",
        target_help="target column of a CSV --data",
        target_required=False,
    )
    add_output_arguments(parser)
    add_training_arguments(
        parser,
        config_help="zoo model option as for `workbench train`, JSON value; e.g. "
        "shared_buckets=256 for one hashed shared embedding table (collisions, --private-rows); "
        "repeatable",
    )
    parser.add_argument(
        "--compare", default="", help="comma-separated zoo models to compare with (CKA)"
    )
    _map_arguments(parser, analyze)
    parser.add_argument(
        "--private-rows",
        action="store_true",
        help="shared tables: Δloss on test rows when colliding features get private rows",
    )
    parser.add_argument(
        "--per-field", action="store_true", help="--private-rows also per field (slower)"
    )
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=default_of(analyze, "n_steps"),
        help="fitting steps for --private-rows",
    )
    add_run_arguments(parser, random_state=default_of(analyze, "random_state"))
    add_cache_arguments(parser)
    parser.set_defaults(run=run_embeddings)


def _map_arguments(parser: argparse.ArgumentParser, analyze) -> None:
    """The projection map of the embeddings and what colours its points."""
    parser.add_argument(
        "--projection", choices=["pca", "umap", "none"], default=default_of(analyze, "projection")
    )
    parser.add_argument(
        "--points", choices=["table", "rows"], default=default_of(analyze, "projection_points")
    )
    parser.add_argument(
        "--components", type=int, choices=[2, 3], default=default_of(analyze, "n_components")
    )
    parser.add_argument(
        "--max-points", type=positive_int, default=default_of(analyze, "max_points")
    )
    parser.add_argument(
        "--max-rows",
        type=positive_int,
        default=default_of(analyze, "max_rows"),
        help="data rows sampled",
    )
    parser.add_argument(
        "--gate-site",
        default="auto",
        help="colour the table map by the mean gate per level at this field-aligned site of a "
        "zoo model ('auto': the model's first such site, 'none': no gate colour)",
    )
    parser.add_argument(
        "--attribution",
        choices=["none", "feature_ablation", "integrated_gradients"],
        default="none",
        help="also colour the table map by each field's captum attribution (gates analyzer)",
    )


def run_embeddings(args: argparse.Namespace) -> int:
    from app.cli.common import figure_formats

    formats = figure_formats(args.formats)
    user_output_kind(args)  # factory-only options refused for a zoo model before training
    model, train, test = _model_and_data(args.model, args)
    report = _analyze(args, model, train, test)
    comparison = None
    others = [name.strip() for name in args.compare.split(",") if name.strip()]
    if others:
        from app.embedding_job import model_comparison

        # The held-out rows, as the report's: the compared models read the same rows.
        adapters = {report.model_name: model}
        adapters.update({name: _model_and_data(name, args)[0] for name in others})
        comparison = model_comparison(adapters, test, args.max_rows, args.random_state)
    written = write_embeddings_report(report, args.out, formats=formats, comparison=comparison)
    _print_summary(report)
    print(f"wrote {len(written)} files to {Path(args.out)}")
    return 0


def write_embeddings_report(report, folder, *, formats=("html",), comparison=None) -> list[Path]:
    """Write result.json, CSV tables and figures of an EmbeddingReport into ``folder``, atomically.

    Parameters
    ----------
    report : EmbeddingReport
    folder : path
    formats : tuple of str
        Figure formats ("html", "png", "svg"); empty for tables only.
    comparison : ModelComparison, optional
        Also written (comparison.json, comparison_*.csv, the model CKA heatmap).

    Returns
    -------
    list of Path
    """
    from analyzers import figures
    from analyzers.figures import embeddings as embedding_figures

    with staged_folder(folder) as stage:
        staging = stage.path
        (staging / "result.json").write_text(report.to_json())
        built = {
            "geometry_table": embedding_figures.geometry_table(report.geometry),
            "spectrum": embedding_figures.spectrum_plot(report.geometry),
            "norm_by_frequency": embedding_figures.norm_strata_plot(report.geometry),
            "cka_fields": embedding_figures.cka_heatmap(report.relations),
        }
        for part, frames in _CSV_PREFIXES.items():
            result = getattr(report, part)
            for name in frames if result is not None else ():
                getattr(result, name).to_csv(staging / f"{part}_{name}.csv", index=False)
        if report.collisions is not None:
            built["collisions"] = embedding_figures.collision_chart(report.collisions)
        if report.projection is not None:
            report.projection.coordinates.to_csv(staging / "projection.csv", index=False)
            color = "field" if "field" in report.projection.coordinates else None
            built["projection"] = embedding_figures.projection_scatter(
                report.projection, color=color
            )
            for column in report.projection.coordinates.columns:
                if column in ("frequency", "norm") or column.startswith(_COLOUR_PREFIXES):
                    built[f"projection_{_slug(column)}"] = embedding_figures.projection_scatter(
                        report.projection, color=column
                    )
        if comparison is not None:
            (staging / "comparison.json").write_text(comparison.to_json())
            comparison.geometry.to_csv(staging / "comparison_geometry.csv", index=False)
            comparison.cka.to_csv(staging / "comparison_cka.csv", index=False)
            built["cka_models"] = embedding_figures.model_cka_heatmap(comparison)
        if formats:
            figures.write_figures(built, staging, formats)
    return stage.written


def _analyze(args: argparse.Namespace, model, train, test):
    """The embedding report of ``model`` on its held-out rows, as the app's job computes it:
    stored, else analysed (map colours too) and stored."""
    from app.analyses import analysis
    from app.cli.common import ProgressBar
    from app.embedding_job import embedding_report

    # The registry's parameters (top_k has no option here), then the options given.
    parameters = {
        **analysis("embeddings").defaults,
        "max_rows": args.max_rows,
        "projection": None if args.projection == "none" else args.projection,
        "projection_points": args.points,
        "n_components": args.components,
        "max_points": args.max_points,
        "random_state": args.random_state,
        "gate_site": args.gate_site,
        "attribution": args.attribution,
        "private_rows": args.private_rows,
        "n_steps": args.steps,
    }
    model_name = args.model.partition(":")[2] if is_factory(args.model) else Path(args.model).stem

    def analyze():
        with ProgressBar(enabled=not args.no_progress) as bar:
            return embedding_report(
                model,
                test,
                parameters,
                model_name=model_name,
                train_rows=train,
                max_batch_rows=args.max_batch_rows,
                progress=bar.update,
                per_field=args.per_field,
                embedding_site=args.embedding_site,
            )

    return cached_result(
        args,
        "embeddings",
        model_fingerprint=model.fingerprint(),
        data_fingerprint=test.fingerprint(),
        parameters={
            "model_name": model_name,
            **parameters,
            "per_field": args.per_field,
            # Only when given, so zoo results keep the key they share with the app.
            **({"embedding_site": args.embedding_site} if args.embedding_site else {}),
            # Fitting private rows reads the training rows too: they are part of what the
            # result depends on.
            "train_rows": train.fingerprint() if args.private_rows else None,
        },
        compute=analyze,
    )


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def _model_and_data(model_name: str, args: argparse.Namespace):
    """(adapter, train rows, test rows) for a zoo name or a saved model file."""
    from workbench.models import wrap_model
    from workbench.zoo import MODELS
    from workbench.zoo.training import TrainingConfig, load_ctr_model, sample_ctr_model

    dataset = _dataset(args)
    output = "logit"  # our zoo's models and saved models return logits
    if model_name in MODELS:
        # The same cache key as `workbench train` with equal options: a model trained there is
        # loaded here, not trained again.
        trained = sample_ctr_model(
            model_name,
            dataset,
            config=parse_config(args.config),
            training=TrainingConfig(max_epochs=args.max_epochs, seed=args.random_state),
            cache_dir=args.cache_dir,
        )
        module, train, test = trained.model, trained.train, trained.test
        auc = trained.metrics.get("test_auc", float("nan"))
        print(f"sample model {model_name!r}: test AUC {auc:.4f}", file=sys.stderr)
    elif is_factory(model_name):
        module = load_user_model(model_name, args.weights, args.factory_kwargs, dataset)
        output = args.output_kind or "logit"
        train, test = dataset.train_test_split(0.2, seed=args.random_state)
    elif Path(model_name).suffix == ".json" or Path(model_name).with_suffix(".json").is_file():
        module, _ = load_ctr_model(Path(model_name).with_suffix(""))
        train, test = dataset.train_test_split(0.2, seed=args.random_state)
    else:
        raise WorkbenchError(
            f"--model: {model_name!r} is neither a zoo model ({', '.join(MODELS)}) nor a saved "
            "model's .json"
        )
    adapter = wrap_model(module, task="classification", output=output, device=args.device)
    return adapter, train, test


def _dataset(args: argparse.Namespace):
    from workbench.data import Dataset
    from workbench.zoo.training import SAMPLE_DATA, sample_data

    if args.data in SAMPLE_DATA:
        return sample_data(args.data, seed=args.random_state)
    if not args.target:
        raise WorkbenchError("--target: a CSV --data needs its target column")
    return Dataset.from_csv(args.data, target=args.target, categorical="codes")


def _print_summary(report) -> None:
    geometry = report.geometry.geometry
    view = geometry[geometry["weighting"] == geometry["weighting"].iloc[-1]]
    columns = [
        "field",
        "n_rows",
        "dim",
        "mean_norm",
        "effective_rank",
        "dim_95",
        "mean_pairwise_cosine",
    ]
    print(view[columns].round(3).to_string(index=False))
    if report.collisions is not None:
        summary = report.collisions.summary
        print(
            f"shared table: {summary['collision_rate']:.1%} of traffic collides "
            f"(uniform hashing: {summary['expected_collision_rate']:.1%}), "
            f"mean bucket purity {summary['mean_purity']:.2f}"
        )
    if report.private_rows is not None:
        print(report.private_rows.variants.round(4).to_string(index=False))
    print(f"analysis {report.seconds:.1f} s")
