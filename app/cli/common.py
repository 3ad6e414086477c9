"""What the ``workbench`` subcommands share: their common options, defaults, data, progress.

One module, so that each ``app/cli/<analysis>.py`` declares an option every command has (data,
target, model file kind, output folder, formats, device, random state...) by calling one
function here, and imports public helpers instead of another subcommand's private ones. The
helpers live by job, and are importable from here too: option types (``app.cli.option_types``),
the report folder and figure formats (``app.cli.report_output``), reading the data and model
files (``app.cli.input_files``) and the progress bar (``app.cli.progress_bar``).

Defaults of analysis options are the analyzer's own: ``default_of`` is the registry's
``app.analyses.signature_default``, so a command gives what the Python API and the app give.
"""

from __future__ import annotations

import argparse

from app.analyses import signature_default as default_of
from app.cli.input_files import (
    load_dataset,
    load_model_argument,
    load_raw_estimator,
    parse_groups,
)
from app.cli.option_types import (
    MAX_BOOTSTRAP,
    bounded_float,
    bounded_int,
    nonnegative_int,
    positive_float,
    positive_int,
)
from app.cli.progress_bar import ProgressBar
from app.cli.report_output import add_output_arguments, check_output_folder, figure_formats

# Re-exported: the subcommands import these from here.
__all__ = [
    "MAX_BOOTSTRAP",
    "MODEL_HELP",
    "TASKS",
    "TRUST_PICKLE_HELP",
    "ProgressBar",
    "WorkbenchArgumentParser",
    "add_approximator_argument",
    "add_data_arguments",
    "add_epsilon_arguments",
    "add_game_arguments",
    "add_grouping_arguments",
    "add_max_order_argument",
    "add_model_file_arguments",
    "add_output_arguments",
    "add_random_state_argument",
    "add_run_arguments",
    "bounded_float",
    "bounded_int",
    "check_output_folder",
    "default_of",
    "figure_formats",
    "load_dataset",
    "load_model_argument",
    "load_raw_estimator",
    "nonnegative_int",
    "parse_groups",
    "positive_float",
    "positive_int",
]

MODEL_HELP = (
    "a built-in sample model (see `workbench models`) trained on --data, or a model file: "
    "TorchScript (.pt/.pth/.ts), torch.export archive (.pt2), xgboost (.json/.ubj) or lightgbm "
    "(.txt) model file, or a scikit-learn joblib/pickle file (.joblib/.pkl, read only with "
    "--trust-pickle: joblib and pickle files run code when loaded)"
)


TASKS = ("auto", "classification", "regression")

TRUST_PICKLE_HELP = (
    "allow loading a joblib/pickle model file; loading one runs code its author chose, so pass "
    "this only for files you created or trust"
)


class WorkbenchArgumentParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line (the CLI's rule), not usage plus a line.

    Subparsers are made of the same class (argparse's default), so every subcommand has it.
    """

    def error(self, message: str):
        self.exit(2, f"workbench: error: {message} (see `{self.prog} --help`)\n")


def add_data_arguments(
    parser: argparse.ArgumentParser,
    *,
    data_help: str = "CSV (.csv, .csv.gz) or Parquet file",
    data_default: str | None = None,
    target_help: str = "target column",
    target_required: bool = True,
) -> None:
    """``--data`` (required unless it has a default) and ``--target``."""
    parser.add_argument(
        "--data", required=data_default is None, default=data_default, help=data_help
    )
    parser.add_argument("--target", required=target_required, help=target_help)


def add_grouping_arguments(parser: argparse.ArgumentParser) -> None:
    """``--groups`` and ``--features`` of a table data set (see :func:`load_dataset`)."""
    parser.add_argument(
        "--groups",
        default="columns",
        help="'columns' (one group per column), 'prefix' (Name=level blocks together) or "
        "explicit groups 'name:col1,col2;other:col3'",
    )
    parser.add_argument(
        "--features", help="comma-separated feature columns (default: all but target)"
    )


def add_model_file_arguments(parser: argparse.ArgumentParser) -> None:
    """``--task``, ``--output-kind`` and ``--trust-pickle``: how a model file is read."""
    parser.add_argument("--task", choices=TASKS, default="auto")
    parser.add_argument("--trust-pickle", action="store_true", help=TRUST_PICKLE_HELP)
    parser.add_argument(
        "--output-kind",
        choices=["probability", "logit", "value"],
        help="what a torch model file returns (default: logit for classification)",
    )


def add_random_state_argument(parser: argparse.ArgumentParser, default: int) -> None:
    """``--random-state`` (``--seed`` kept as its old name): seed of every random draw."""
    parser.add_argument(
        "--random-state",
        "--seed",
        dest="random_state",
        type=bounded_int(0, 2**32 - 1),  # numpy's seed range
        default=default,
        help="seed of every sample and permutation (--seed is its old name)",
    )


def add_run_arguments(
    parser: argparse.ArgumentParser,
    *,
    random_state: int,
    device: str = "auto",
    progress: bool = True,
) -> None:
    """``--device``, ``--max-batch-rows``, ``--random-state`` and, with ``progress``,
    ``--no-progress``."""
    parser.add_argument("--device", default=device, help="auto, cpu, cuda, cuda:1 ...")
    parser.add_argument(
        "--max-batch-rows", type=positive_int, help="rows per forward pass (default: auto)"
    )
    add_random_state_argument(parser, random_state)
    if progress:
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_max_order_argument(parser: argparse.ArgumentParser, default: int) -> None:
    """``--max-order`` (``--order`` kept as its old name): pairs (2), or pairs and triples (3)."""
    parser.add_argument(
        "--max-order",
        "--order",
        dest="max_order",
        type=int,
        choices=[2, 3],
        default=default,
        help="score pairs (2), or pairs and triples (3) (--order is its old name)",
    )


def add_approximator_argument(parser: argparse.ArgumentParser, default: str, help: str) -> None:
    """``--approximator`` (``--estimator`` kept as its old name): how scores are estimated."""
    parser.add_argument(
        "--approximator",
        "--estimator",
        dest="approximator",
        default=default,
        help=f"{help} (--estimator is its old name)",
    )


def add_game_arguments(parser: argparse.ArgumentParser, approximator_help: str) -> None:
    """Options of the interaction indices' game, shared by `interactions` and `compare`."""
    from analyzers.interactions import score_interactions as score
    from analyzers.interactions.score import DEFAULT_BACKGROUND

    parser.add_argument(
        "--background",
        type=positive_int,
        default=default_of(score, "background"),
        help=f"background rows (default: {DEFAULT_BACKGROUND})",
    )
    parser.add_argument(
        "--scale",
        choices=["logit", "probability", "value"],
        help="output scale of the game (default: logit for classifiers, value for regression)",
    )
    parser.add_argument(
        "--class-index", type=nonnegative_int, help="class explained (multi-class models)"
    )
    parser.add_argument(
        "--probability-clip",
        type=bounded_float(0.0, 0.49, low_open=True),
        default=default_of(score, "probability_clip"),
        help="logit scale of a probability output: probabilities are clipped into "
        "[clip, 1 - clip] (as the Interactions page's field)",
    )
    add_approximator_argument(parser, default_of(score, "approximator"), approximator_help)
    parser.add_argument(
        "--n-samples",
        type=positive_int,
        default=default_of(score, "n_samples"),
        help="coalitions per interaction",
    )
    parser.add_argument(
        "--max-exact-groups", type=positive_int, default=default_of(score, "max_exact_groups")
    )
    parser.add_argument(
        "--n-permutations",
        type=positive_int,
        default=default_of(score, "n_permutations"),
        help="fis permutations",
    )


def add_epsilon_arguments(parser: argparse.ArgumentParser) -> None:
    """``--epsilon-rate`` (default: explore_rashomon's) and ``--epsilon``: the Rashomon set's
    tolerance, for ``fisc`` and ``compare --rashomon``."""
    from analyzers.rashomon import explore_rashomon

    parser.add_argument(
        "--epsilon-rate",
        type=positive_float,
        default=default_of(explore_rashomon, "epsilon_rate"),
        help="FISC ε as a fraction of L*",
    )
    parser.add_argument(
        "--epsilon", type=positive_float, help="absolute FISC ε (overrides --epsilon-rate)"
    )
