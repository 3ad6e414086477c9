"""What the ``workbench`` subcommands share: their common options, defaults, data, progress.

One module, so that each ``app/cli/<analysis>.py`` declares an option every command has (data,
target, model file kind, output folder, formats, device, random state...) by calling one
function here, and imports public helpers instead of another subcommand's private ones.

Defaults of analysis options are the analyzer's own: ``default_of`` is the registry's
``app.analyses.signature_default``, so a command gives what the Python API and the app give.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.analyses import signature_default as default_of
from workbench.errors import ModelError, WorkbenchError

JOBLIB_SUFFIXES = (".joblib", ".pkl")

MODEL_HELP = (
    "a built-in sample model (see `workbench models`) trained on --data, or a model file: "
    "TorchScript (.pt/.pth/.ts), torch.export archive (.pt2) or a scikit-learn joblib/pickle file "
    "(.joblib/.pkl). WARNING: joblib and pickle files run code when loaded; only pass files you "
    "created yourself"
)


TASKS = ("auto", "classification", "regression")


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
    """``--task`` and ``--output-kind``: how a model file is read."""
    parser.add_argument("--task", choices=TASKS, default="auto")
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
        type=int,
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
    parser.add_argument("--max-batch-rows", type=int, help="rows per forward pass (default: auto)")
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
        type=int,
        default=default_of(score, "background"),
        help=f"background rows (default: {DEFAULT_BACKGROUND})",
    )
    parser.add_argument(
        "--scale",
        choices=["logit", "probability", "value"],
        help="output scale of the game (default: logit for classifiers, value for regression)",
    )
    parser.add_argument("--class-index", type=int, help="class explained (multi-class models)")
    parser.add_argument(
        "--probability-clip",
        type=float,
        default=default_of(score, "probability_clip"),
        help="logit scale of a probability output: probabilities are clipped into "
        "[clip, 1 - clip] (as the Interactions page's field)",
    )
    add_approximator_argument(parser, default_of(score, "approximator"), approximator_help)
    parser.add_argument(
        "--n-samples",
        type=int,
        default=default_of(score, "n_samples"),
        help="coalitions per interaction",
    )
    parser.add_argument(
        "--max-exact-groups", type=int, default=default_of(score, "max_exact_groups")
    )
    parser.add_argument(
        "--n-permutations",
        type=int,
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


def load_raw_estimator(path: Path):
    """The scikit-learn object of a joblib/pickle file (shap needs the estimator itself).

    joblib/pickle runs code when it loads: the CLI help says so; the web app never calls this.
    """
    import joblib

    if not path.is_file():
        raise ModelError(f"model file not found: {str(path)!r}")
    if path.suffix.lower() not in JOBLIB_SUFFIXES:
        raise ModelError(f"--index tree needs a .joblib or .pkl file, got {path.name!r}")
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
        type=float,
        default=default_of(explore_rashomon, "epsilon_rate"),
        help="FISC ε as a fraction of L*",
    )
    parser.add_argument("--epsilon", type=float, help="absolute FISC ε (overrides --epsilon-rate)")
