"""What the ``workbench`` subcommands share: model help, figure formats, data loading, progress.

One module, so that each ``cli_<analysis>.py`` imports public helpers instead of another
subcommand's private ones.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.errors import ModelError, WorkbenchError

JOBLIB_SUFFIXES = (".joblib", ".pkl")

MODEL_HELP = (
    "a built-in sample model (see `workbench models`) trained on --data, or a model file: "
    "TorchScript (.pt/.pth/.ts), torch.export archive (.pt2) or a scikit-learn joblib/pickle file "
    "(.joblib/.pkl). WARNING: joblib and pickle files run code when loaded; only pass files you "
    "created yourself"
)


def add_game_arguments(parser: argparse.ArgumentParser, estimator_help: str) -> None:
    """Options of the interaction indices' game, shared by `interactions` and `compare`."""
    parser.add_argument("--background", type=int, default=50, help="background rows")
    parser.add_argument(
        "--scale",
        choices=["logit", "probability", "value"],
        help="output scale of the game (default: logit for classifiers, value for regression)",
    )
    parser.add_argument("--class-index", type=int, help="class explained (multi-class models)")
    parser.add_argument("--estimator", default="auto", help=estimator_help)
    parser.add_argument("--n-samples", type=int, default=64, help="coalitions per interaction")
    parser.add_argument("--max-exact-groups", type=int, default=14)
    parser.add_argument("--n-permutations", type=int, default=30, help="fis permutations")


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
