"""``workbench rashomon-set --builder dropout|masks``: the reference model and its rows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.errors import WorkbenchError


def dropout_builder(args: argparse.Namespace):
    """(DropoutSetBuilder, explained rows) from --model, --data and the dropout options.

    A sample model explains its 20% test split, a zoo model its stratified test split, a model
    file every row of --data.
    """
    from analyzers.model_sets import DropoutSetBuilder

    adapter, explained = _reference_model(args, "dropout")
    layers = (
        [name.strip() for name in args.layers.split(",") if name.strip()] if args.layers else None
    )
    builder = DropoutSetBuilder(
        adapter,
        rate=args.rate,
        **({} if args.members is None else {"n_members": args.members}),
        layers=layers,
        mode=args.dropout_mode,
        seed=args.random_state,
        max_batch_rows=args.max_batch_rows,
    )
    return builder, explained


def mask_builder(args: argparse.Namespace):
    """(MaskSetBuilder, explained rows): FISC's input masks around --model, as for dropout."""
    from analyzers.model_sets import MaskSetBuilder

    adapter, explained = _reference_model(args, "masks")
    builder = MaskSetBuilder(
        adapter,
        **({} if args.members is None else {"n_members": args.members}),
        seed=args.random_state,
        max_batch_rows=args.max_batch_rows,
    )
    return builder, explained


def _reference_model(args: argparse.Namespace, builder: str):
    from app.cli.common import load_dataset, load_model_argument
    from workbench.data import Dataset
    from workbench.samples import SAMPLE_MODELS, infer_task, train_sample_model
    from workbench.zoo import MODELS

    if args.model in MODELS:
        return _zoo_model(args)
    if not args.target:
        raise WorkbenchError("--target: the target column of --data is needed")
    dataset = load_dataset(Dataset, args)
    task = infer_task(dataset) if args.task == "auto" else args.task
    if args.model in SAMPLE_MODELS:
        if args.model == "gbt" and builder == "dropout":
            raise WorkbenchError(
                "--model: gbt (boosted trees) has no torch module to drop units from; use "
                "--builder retrain for trees"
            )
        sample = train_sample_model(args.model, dataset, task=task, device=args.device)
        print(
            f"trained sample model {args.model!r}: test loss {sample.test_loss:.4f}",
            file=sys.stderr,
        )
        return sample.adapter, sample.test
    if not Path(args.model).suffix:
        raise WorkbenchError(
            f"--model: {args.model!r} is neither a sample model ({', '.join(SAMPLE_MODELS)}), "
            f"a zoo model ({', '.join(MODELS)}) nor a model file"
        )
    return load_model_argument(args.model, args, task, list(dataset.feature_names)), dataset


def _zoo_model(args: argparse.Namespace):
    """A zoo CTR model trained (or read from the cache) on 'adult', 'synthetic' or a CSV."""
    from workbench.data import Dataset
    from workbench.models import wrap_model
    from workbench.zoo.training import SAMPLE_DATA, TrainingConfig, sample_ctr_model, sample_data

    if args.data in SAMPLE_DATA:
        dataset = sample_data(args.data, seed=args.random_state)
    elif args.target:
        dataset = Dataset.from_csv(args.data, target=args.target, categorical="codes")
    else:
        raise WorkbenchError("--target: a CSV --data needs its target column")
    trained = sample_ctr_model(args.model, dataset, training=TrainingConfig(seed=args.random_state))
    auc = trained.metrics.get("test_auc", float("nan"))
    print(f"zoo model {args.model!r}: test AUC {auc:.4f}", file=sys.stderr)
    adapter = wrap_model(trained.model, task="classification", output="logit", device=args.device)
    return adapter, trained.test
