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

__all__ = ["add_site_arguments", "is_factory", "load_user_model"]

SITE_HELP = (
    "a site by module path, PATH or PATH#CALL for the CALL-th use of a module called several "
    "times per forward pass (e.g. feature_gating.0, gate_sigmoid#1); repeatable"
)


def add_site_arguments(
    parser: argparse.ArgumentParser,
    weights_help: str = "state_dict file of a --model module:callable (loaded with "
    "weights_only=True)",
) -> None:
    """``--site``, ``--site-kind`` and ``--weights`` (for a model built by a factory)."""
    from workbench.sites import SITE_KIND_DEFAULTS

    parser.add_argument(
        "--site", action="append", default=[], metavar="PATH[#CALL]", help=SITE_HELP
    )
    parser.add_argument(
        "--site-kind",
        # embeddings have their own option; attention maps are not gates (workbench intrinsic)
        choices=[k for k in SITE_KIND_DEFAULTS if k not in ("embedding", "attention")],
        default="gate",
        help="what the --site outputs are: gate (open value 1), mask, cross or expert_gate",
    )
    parser.add_argument("--weights", help=weights_help)


def load_user_model(spec: str, weights: str | None):
    """The module built by ``spec`` ("package.module:callable"), with ``weights`` loaded; the
    working directory comes first on the import path, as ``python -m`` would find the code."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    return load_factory_model(spec, weights, argument="--model", weights_argument="--weights")
