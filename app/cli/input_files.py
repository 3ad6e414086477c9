"""Reading the files a command names: the data set (``--data``, ``--groups``, ``--features``)
and model files (an adapter, or a tree model itself for shap)."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.errors import ModelError, WorkbenchError


def load_dataset(Dataset, args: argparse.Namespace):
    path = Path(args.data)
    features = args.features.split(",") if args.features else None
    groups = parse_groups(args.groups)
    if path.suffix == ".parquet":
        return Dataset.from_parquet(path, target=args.target, features=features, groups=groups)
    return Dataset.from_csv(path, target=args.target, features=features, groups=groups)


def parse_groups(text: str):
    if text in ("columns", "prefix"):
        return text
    groups = {}
    for part in text.split(";"):
        name, sep, columns = part.partition(":")
        if not sep or not columns:
            raise WorkbenchError(f"--groups: expected 'name:col1,col2;...', got {part!r}")
        groups[name.strip()] = [c.strip() for c in columns.split(",")]
    return groups


def load_model_argument(
    path, args: argparse.Namespace, task: str, feature_names: list[str] | None = None
):
    """A model file named on the command line, read as ``add_model_file_arguments`` says
    (``--output-kind``, ``--trust-pickle``) on ``--device``; an xgboost/lightgbm file is
    checked against ``feature_names`` (the data's columns) when given."""
    from workbench.models import load_model_file

    return load_model_file(
        path,
        task=task,
        output=args.output_kind,
        device=args.device,
        trust_pickle=args.trust_pickle,
        feature_names=feature_names,
    )


def load_raw_estimator(path: Path, trust_pickle: bool, feature_names: list[str] | None = None):
    """The tree model itself of a native xgboost/lightgbm file or of a joblib/pickle file (shap
    needs the model, not an adapter).

    A native file runs no code and is read as is, its features checked against
    ``feature_names`` when given. joblib/pickle runs code when it loads: refused, before the
    file is opened, unless the user passed ``--trust-pickle``. The web app never reads pickles.
    """
    import joblib

    from workbench.models.boosters import (
        booster_info,
        check_feature_names,
        is_native_file,
        read_native_model,
    )
    from workbench.models.files import check_pickle_trusted, is_pickle_file

    if is_native_file(path):
        booster = read_native_model(path)
        if feature_names is not None:
            info = booster_info(booster)
            what = f"model file {path.name!r}"
            check_feature_names(info.feature_names, info.n_features, feature_names, what)
        return booster
    if not is_pickle_file(path):
        raise ModelError(
            "--index tree needs an xgboost (.json/.ubj), lightgbm (.txt) or joblib/pickle "
            f"(.joblib/.pkl) tree model file, got {path.name!r}"
        )
    check_pickle_trusted(path, trust_pickle)
    if not path.is_file():
        raise ModelError(f"model file not found: {str(path)!r}")
    try:
        return joblib.load(path)
    except Exception as error:
        raise ModelError(f"could not load {path.name}: {type(error).__name__}") from None
