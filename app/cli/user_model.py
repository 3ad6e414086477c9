"""A user's own torch model on the command line: ``--model pkg.module:build --weights w.pt``.

Sites are module paths, read and replaced by forward hooks, so the model must be a live
``nn.Module`` of the user's own class (TorchScript modules take no hooks). It is built by the
user's factory (their own code, imported from the working directory or the Python path) and its
weights are loaded with ``torch.load(weights_only=True)``, which runs no code from the file.
"""

from __future__ import annotations

import argparse
import os
import sys

from workbench.factory_models import is_factory, load_factory_model

__all__ = [
    "add_attention_site_arguments",
    "add_factory_arguments",
    "add_site_arguments",
    "is_factory",
    "load_user_model",
    "parse_factory_kwargs",
    "user_attention_model",
    "user_output_kind",
]

OUTPUT_KINDS = ("logit", "probability")

SITE_HELP = (
    "a site by module path, PATH or PATH#CALL for the CALL-th use of a module called several "
    "times per forward pass (e.g. feature_gating.0, gate_sigmoid#1); repeatable"
)


def add_site_arguments(
    parser: argparse.ArgumentParser,
    weights_help: str = "state_dict file of a --model module:callable (loaded with "
    "weights_only=True)",
    attention: bool = True,
) -> None:
    """``--site``, ``--site-kind`` and ``--weights`` (for a model built by a factory).
    ``attention=False`` for a command that cannot read attention maps: the parser refuses the
    kind instead of the command failing after it has loaded the model."""
    from workbench.sites import SITE_KIND_DEFAULTS

    parser.add_argument(
        "--site", action="append", default=[], metavar="PATH[#CALL]", help=SITE_HELP
    )
    # embeddings have their own option (--embedding-site)
    kinds = [k for k in SITE_KIND_DEFAULTS if k != "embedding" and (attention or k != "attention")]
    attention_help = (
        ", or attention ((rows, heads, F, F) maps, e.g. int_layers.0@softmax of a DeepCTR "
        "AutoInt: the Gates page's Attention card and `workbench attention` read them)"
        if attention
        else " (attention maps: `workbench attention`)"
    )
    parser.add_argument(
        "--site-kind",
        choices=kinds,
        default="gate",
        help="what the --site outputs are: gate (open value 1), mask, cross, expert_gate"
        + attention_help,
    )
    parser.add_argument("--weights", help=weights_help)


def add_factory_arguments(parser: argparse.ArgumentParser, output_kind: bool = True) -> None:
    """``--factory-kwargs`` and (unless the command has its own) ``--output-kind``."""
    parser.add_argument(
        "--factory-kwargs",
        metavar="JSON",
        help="keyword arguments of the factory, a JSON object (a factory with a `dataset` "
        'parameter also gets the data set), e.g. \'{"name": "FiBiNET"}\' for '
        "workbench.deepctr:build",
    )
    if output_kind:
        parser.add_argument(
            "--output-kind",
            choices=OUTPUT_KINDS,
            help="what your factory's model returns: logit (default) or probability (it ends "
            "in a sigmoid, as DeepCTR-Torch models do)",
        )


def parse_factory_kwargs(text: str | None) -> dict | None:
    """``--factory-kwargs`` as a dict (None when not given); one line if it is not an object."""
    import json

    from workbench.errors import ParameterError

    if not text:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ParameterError(f"--factory-kwargs: not JSON ({error.msg})") from None
    if not isinstance(value, dict):
        raise ParameterError(f"--factory-kwargs: expected a JSON object, got {text!r}")
    return value


def user_output_kind(args: argparse.Namespace) -> str:
    """The output kind of ``--model``: ``--output-kind`` for a factory, "logit" otherwise (our
    zoo's models return logits); one line for factory-only options given with a zoo model."""
    from workbench.errors import ParameterError

    if not is_factory(args.model):
        for option in ("output_kind", "factory_kwargs"):
            if getattr(args, option, None):
                flag = "--" + option.replace("_", "-")
                raise ParameterError(f"{flag}: only with --model package.module:callable")
        return "logit"
    return args.output_kind or "logit"


def load_user_model(
    spec: str, weights: str | None, factory_kwargs: str | None = None, dataset=None
):
    """The module built by ``spec`` ("package.module:callable") with ``--factory-kwargs`` (and
    ``dataset``, for a factory that takes one), ``weights`` loaded; the working directory comes
    first on the import path, as ``python -m`` would find the code."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return load_factory_model(
        spec,
        weights,
        factory_kwargs=parse_factory_kwargs(factory_kwargs),
        dataset=dataset,
        argument="--model",
        weights_argument="--weights",
    )


def add_attention_site_arguments(parser: argparse.ArgumentParser, site_help: str) -> None:
    """``--attention-site`` (any torch model's attention), and the options of a model built by
    a factory: ``--weights``, ``--factory-kwargs``, ``--output-kind``."""
    parser.add_argument(
        "--attention-site",
        action="append",
        default=[],
        metavar="SITE",
        help=site_help,
    )
    parser.add_argument(
        "--weights", help="state_dict file of a --model module:callable (weights_only=True)"
    )
    add_factory_arguments(parser)


def user_attention_model(args: argparse.Namespace):
    """(adapter, rows) of a --model package.module:callable read at its --attention-site: its
    rows are the whole --data (the command cannot tell the rows it was trained on)."""
    from app.cli.ctr import _dataset
    from workbench.errors import ParameterError
    from workbench.models import wrap_model

    if not args.attention_site:
        raise ParameterError(
            "--attention-site: name the attention sites of a --model package.module:callable "
            "(e.g. fm@softmax for DeepCTR's AFM); only our zoo's models name their own"
        )
    rows = _dataset(args)
    module = load_user_model(args.model, args.weights, args.factory_kwargs, rows)
    output = user_output_kind(args)  # DeepCTR's models return probabilities
    return wrap_model(module, task="classification", output=output, device=args.device), rows
