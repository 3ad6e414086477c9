"""What the ``workbench`` subcommands share: their common options, defaults, data, progress.

One module, so that each ``app/cli/<analysis>.py`` declares an option every command has (data,
target, model file kind, output folder, formats, device, random state...) by calling one
function here, and imports public helpers instead of another subcommand's private ones.

Defaults of analysis options are the analyzer's own: ``default_of`` is the registry's
``app.analyses.signature_default``, so a command gives what the Python API and the app give.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from app.analyses import signature_default as default_of
from workbench.errors import ModelError, ParameterError, WorkbenchError

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


def _number_type(
    convert: Callable[[str], float], what: str, low: float, high: float, low_open: bool
) -> Callable[[str], float]:
    """An argparse ``type=``: ``convert(text)`` if finite and in [low, high] (or (low, high])."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        below = value <= low if low_open else value < low
        if not math.isfinite(value) or below or value > high:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def bounded_int(low: int, high: float = math.inf) -> Callable[[str], int]:
    """Type of an integer option in [low, high]: ``type=bounded_int(1)``."""
    what = f"an integer >= {low}" if high == math.inf else f"an integer in [{low}, {high}]"
    return _number_type(int, what, low, high, low_open=False)


def bounded_float(low: float, high: float, low_open: bool = False) -> Callable[[str], float]:
    """Type of a real option in [low, high] (or (low, high]): ``type=bounded_float(0, 1)``."""
    what = f"a number in {'(' if low_open else '['}{low:g}, {high:g}]"
    return _number_type(float, what, low, high, low_open=low_open)


#: every count that must be at least one (rows, permutations, samples, epochs...)
positive_int = bounded_int(1)
#: counts where 0 means "none" or "all" (halo plots, gate rows)
nonnegative_int = bounded_int(0)
#: positive finite reals (ε, ε rate, grid spacing)
positive_float = _number_type(float, "a positive number", 0.0, math.inf, low_open=True)
#: the largest bootstrap count the gates analysis allows: its draws are held in memory at once
MAX_BOOTSTRAP = 10_000


def check_output_folder(text: str) -> Path:
    """``--out`` as a folder the report can be written to, checked before any work.

    Refuses an empty path (it would scatter files into the current folder), an existing file,
    a path under a file, and a place this process cannot write in. Probing writability makes a
    temporary folder and removes it at once, so nothing is left behind.
    """
    if not text.strip():
        raise ParameterError("--out: empty path; name the folder to write the report to")
    folder = Path(text).expanduser()
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"--out: {str(folder)!r} is a file, not a folder")
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ParameterError(f"--out: {str(folder)!r} is under the file {str(existing)!r}")
    # The report is staged beside the folder, then moved into it: both places must be writable.
    for place in {existing, existing.parent} if existing == folder else {existing}:
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".workbench-probe-", dir=place))
        except OSError as error:
            raise ParameterError(
                f"--out: cannot write in {str(place)!r} ({error.strerror})"
            ) from None
    return folder


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


def add_output_arguments(parser: argparse.ArgumentParser, formats_default: str | None = None):
    """``--out`` (required) and ``--formats``."""
    parser.add_argument("--out", required=True, help="output folder")
    default_help = (
        f"default {formats_default!r}"
        if formats_default is not None
        else "default: all three when a Chromium is installed (PNG/SVG need one), else html"
    )
    parser.add_argument(
        "--formats",
        default=formats_default,
        help=f"figure formats among html,png,svg ('' for none); {default_help}",
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


def figure_formats(text: str | None) -> tuple[str, ...]:
    """Formats to write, checked before any work: PNG/SVG need a Chromium for kaleido."""
    from analyzers.figures import find_chromium

    if text is None:
        if find_chromium() is None:
            print(
                "workbench: no Chromium found, writing HTML figures only "
                "(apt-get install chromium for PNG/SVG)",
                file=sys.stderr,
            )
            return ("html",)
        return ("html", "png", "svg")
    formats = tuple(f.strip() for f in text.split(",") if f.strip())
    unknown = [f for f in formats if f not in ("html", "png", "svg", "pdf")]
    if unknown:
        raise WorkbenchError(f"--formats: unknown format {unknown[0]!r}; use html, png, svg")
    if set(formats) - {"html"} and find_chromium() is None:
        raise WorkbenchError(
            "--formats: PNG/SVG export needs Chromium (apt-get install chromium); "
            "use --formats html"
        )
    return formats


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


class ProgressBar:
    """A tqdm bar per analysis stage, fed by the analyzer's progress callback."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None
        self.stage = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            if self.bar is not None:
                self.bar.close()
            self.bar = tqdm(total=total, desc=f"{stage:>12s}", unit="", leave=True, file=sys.stderr)
            self.stage = stage
        self.bar.total = total
        self.bar.update(done - self.bar.n)  # honours tqdm's refresh interval


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
