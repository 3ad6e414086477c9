"""``workbench add-data`` and ``workbench add-model``: register a data set, a model file or the
user's own torch model (``--factory``) in a workspace without editing ``workspace.json`` by hand.

Each checks what it registers before the manifest is written (the data set reads, its sample
models train; the model file loads and predicts on the data set's rows); a failure prints one
line and leaves the workspace as it was.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.common import TASKS, TRUST_PICKLE_HELP
from workbench.errors import ParameterError

GROUPINGS = ("columns", "prefix")
#: options of a --factory model, refused with --file (option -> argparse name)
FACTORY_ONLY = {
    "--weights": "weights",
    "--site": "site",
    "--embedding-site": "embedding_site",
    "--fields": "fields",
    "--float-input": "float_input",
    "--factory-kwargs": "factory_kwargs",
}


def add_parsers(commands) -> None:
    """Add ``add-data`` and ``add-model`` to an argparse subparsers object."""
    data = commands.add_parser(
        "add-data",
        help="register a CSV/Parquet data set (and sample models trained on it) in a workspace",
        description="Register a data set file in the workspace's manifest once it reads "
        "and every --sample-models model trains on it; nothing is written otherwise.",
    )
    data.add_argument("--workspace", required=True, help="workspace folder (made if missing)")
    data.add_argument("--name", required=True, help="the data set's name in the workspace")
    data.add_argument("--data", required=True, help="CSV (.csv, .csv.gz) or Parquet file")
    data.add_argument("--target", required=True, help="target column")
    data.add_argument(
        "--groups",
        choices=GROUPINGS,
        default="columns",
        help="'columns' (one group per column) or 'prefix' (Name=level blocks together)",
    )
    data.add_argument(
        "--coding",
        choices=("table", "fields"),
        default="table",
        help="'table' (columns as they are) or 'fields' (one coded field per column, numeric "
        "columns bucketised: the input of CTR models, e.g. DeepCTR-Torch's)",
    )
    data.add_argument(
        "--sample-models",
        default="",
        help="comma-separated built-in models to train on it, named NAME-MODEL "
        "(see `workbench models`), e.g. logistic,mlp,gbt",
    )
    data.set_defaults(run=_run_add_data)

    model = commands.add_parser(
        "add-model",
        help="register a model file already on disk in a workspace",
        description="Register a TorchScript (.pt/.pth/.ts) or torch.export (.pt2) model file, "
        "explained on a data set of the workspace, once it loads and predicts on that data "
        "set's rows. A joblib/pickle file only with --trust-pickle. Or your own torch model: "
        "--factory package.module:callable builds it (your code, imported here and by "
        "`workbench serve`: the web app never imports a factory itself), --weights loads its "
        "state_dict, --site/--embedding-site name its gates and embeddings by module path.",
    )
    model.add_argument("--workspace", required=True, help="an existing workspace folder")
    model.add_argument("--name", required=True, help="the model's name in the workspace")
    model.add_argument("--data", required=True, help="name of a data set of the workspace")
    source = model.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", help="the model file (stays where it is)")
    source.add_argument(
        "--factory",
        metavar="PACKAGE.MODULE:CALLABLE",
        help="your own torch model's factory (imported from the working directory or the "
        "Python path)",
    )
    _factory_arguments(model)
    model.add_argument("--task", choices=TASKS, default="auto")
    model.add_argument(
        "--output-kind",
        choices=["probability", "logit", "value"],
        help="what a torch model file or --factory model returns (default: logit for "
        "classification; probability for a model that ends in a sigmoid, as DeepCTR-Torch's)",
    )
    model.add_argument("--trust-pickle", action="store_true", help=TRUST_PICKLE_HELP)
    model.set_defaults(run=_run_add_model)


def _factory_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a ``--factory`` model: weights, sites, embedding site, field spec."""
    from app.cli.user_model import add_factory_arguments, add_site_arguments

    add_site_arguments(parser, "its state_dict file (loaded with weights_only=True)")
    add_factory_arguments(parser, output_kind=False)  # --output-kind serves --file too
    parser.add_argument(
        "--embedding-site",
        metavar="PATH[#CALL]",
        help="module path of its field embeddings, or PATH.* for one module per field (a "
        "DeepCTR-Torch model's embedding_dict.*)",
    )
    parser.add_argument(
        "--fields",
        metavar="JSON",
        help='for a model that takes a dict of tensors: {"input": "column" or ["columns"]}',
    )
    parser.add_argument(
        "--float-input",
        action="append",
        default=[],
        metavar="INPUT",
        help="a --fields input passed as float (default long codes); repeatable",
    )


def _run_add_data(args: argparse.Namespace) -> int:
    from workbench.samples import SAMPLE_MODELS
    from workbench.workspace import DataEntry, ModelEntry, Workspace

    samples = [s.strip() for s in args.sample_models.split(",") if s.strip()]
    unknown = [s for s in samples if s not in SAMPLE_MODELS]
    if unknown:
        raise ParameterError(
            f"--sample-models: unknown model {unknown[0]!r}; built-in: {', '.join(SAMPLE_MODELS)}"
        )
    if not Path(args.data).is_file():
        raise ParameterError(f"--data: no file at {args.data!r}")
    workspace = Workspace.create(args.workspace)
    entry = DataEntry(
        name=args.name,
        path=str(Path(args.data).expanduser().resolve()),
        target=args.target,
        groups=args.groups,
        coding=args.coding,
    )
    models = [
        ModelEntry(name=f"{args.name}-{s}", data=args.name, kind="sample", sample=s)
        for s in samples
    ]
    entry = workspace.add_data_with_models(entry, models)
    dataset = workspace.dataset(entry.name)
    print(
        f"added data set {entry.name!r} ({dataset.n_rows} rows, {dataset.n_groups} groups) "
        f"to {workspace.root}"
        + (f" with models {', '.join(m.name for m in models)}" if models else "")
    )
    return 0


def _run_add_model(args: argparse.Namespace) -> int:
    from workbench.workspace import Workspace

    workspace = Workspace.open(args.workspace)
    if args.factory:
        entry = _register_factory(workspace, args)
        sites = f" with sites {', '.join(args.site)}" if args.site else ""
        print(
            f"added torch model {entry.name!r} ({entry.factory}){sites} on data set "
            f"{entry.data!r} to {workspace.root}"
        )
        return 0
    given = [opt for opt, value in FACTORY_ONLY.items() if getattr(args, value)]
    if given:
        raise ParameterError(f"{given[0]}: only with --factory, not with --file")
    from workbench.registration import register_model_file

    entry = register_model_file(
        workspace,
        args.name,
        args.data,
        args.file,
        task=args.task,
        output=args.output_kind,
        trusted=args.trust_pickle,
    )
    trust = " (trusted pickle)" if entry.trusted else ""
    print(f"added model {entry.name!r}{trust} on data set {entry.data!r} to {workspace.root}")
    return 0


def _register_factory(workspace, args: argparse.Namespace):
    """``--factory``: register the user's own torch model, its code found where this command
    found it (the working directory is recorded as the import path)."""
    import os
    import sys
    import warnings

    from app.cli.user_model import parse_factory_kwargs
    from workbench.registration import OutputKindWarning, register_torch_model

    field_inputs = _field_inputs(args)
    factory_kwargs = parse_factory_kwargs(args.factory_kwargs)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OutputKindWarning)
        entry = register_torch_model(
            workspace,
            args.name,
            args.data,
            args.factory,
            weights=args.weights,
            sites=[
                s if args.site_kind == "gate" else {"site": s, "kind": args.site_kind}
                for s in args.site
            ],
            embedding_site=args.embedding_site,
            field_inputs=field_inputs,
            import_path=os.getcwd(),
            factory_kwargs=factory_kwargs,
            task=args.task,
            output=args.output_kind,
        )
    for warning in caught:  # one line each, without Python's file:line and source line
        if issubclass(warning.category, OutputKindWarning):
            print(f"warning: {warning.message}", file=sys.stderr)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename,
                                 warning.lineno)  # fmt: skip
    return entry


def _field_inputs(args: argparse.Namespace) -> dict | None:
    """``--fields`` and ``--float-input`` as a ``DictInputs`` specification."""
    import json

    if args.float_input and not args.fields:
        raise ParameterError("--float-input: only with --fields")
    if not args.fields:
        return None
    try:
        fields = json.loads(args.fields)
    except json.JSONDecodeError as error:
        raise ParameterError(f"--fields: not JSON ({error.msg})") from None
    if not isinstance(fields, dict):
        raise ParameterError('--fields: expected {"input": "column" or ["columns"]}')
    return {"fields": fields, "dtypes": {f: "float" for f in args.float_input}}
