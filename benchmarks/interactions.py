"""Pairwise SII of an MLP: ours against shapiq's exact computation on the same game; H² too.

Setup: an ``MLPClassifier((64, 64), max_iter=300, random_state=0)`` (``MLPRegressor`` for the
synthetic data) trained on an 80/20 split (``random_state=0``) of ``--groups`` columns, one group
per column. Explained: ``--rows`` seeded test rows; background: ``--background`` seeded training
rows. The game of row x is the interventional one, v_x(S) = mean_b logit f(x_S, b_{-S}) over the
whole background, for both tools:

- shapiq 1.4.1: ``MarginalImputer(model, background, x=row, sample_size=len(background))``
  (joint marginal, all background rows, no sampling) fed to ``ExactComputer(...)("SII", 2)``,
  one row at a time, the model a numpy function returning the logit of ``predict_proba``;
- ours: ``score_interactions(adapter, data, "sii", approximator="exact")`` on ``wrap_model`` of
  the same fitted estimator (the scikit-learn MLP rebuilt as a torch module).

Friedman H² of every pair on ``--h2-rows`` test rows: ours (one kernel call) against a
straightforward loop, one ``predict_proba`` per grid point of every pair and single group.

Reported: wall seconds (ours: first call with ``wrap_model`` and a second call), the ratio
shapiq/ours, the max absolute difference of the pair scores (SII per row and pair; H² per
pair), and the forward-only limit of ours (``forward_limit.py``: the model batches of our
second SII call, and of our H² call, replayed through the bare model forward), with ours over it.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/interactions.py --groups 12
    PYTHONPATH=. .venv/bin/python benchmarks/interactions.py --groups 14 --data synthetic

The report is also written to ``benchmarks/results/interactions_<data>_<groups>.txt``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor

if TYPE_CHECKING:
    from forward_limit import ForwardLimit

TARGET = "Recidivate-Within-Two-Years"
DATA_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "compas.csv",
    Path(__file__).resolve().parents[1] / "sample_data" / "compas.csv",
)
# Columns spanning every COMPAS field, so the groups are not all one-hot levels of one field.
COMPAS_COLUMNS = (
    "Age=18-20",
    "Age=24-30",
    "Age>=30",
    "Gender=Male",
    "Race=African-American",
    "Race=Caucasian",
    "Juvenile-Felonies=0",
    "Juvenile-Crimes=0",
    "Prior-Crimes=0",
    "Prior-Crimes=1-3",
    "Prior-Crimes>3",
    "Current-Charge-Degree=Misdemeanor",
    "Age<=45",
    "Race=Hispanic",
)
RESULTS_DIR = Path(__file__).resolve().parent / "results"
SEED = 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--groups", type=int, default=12, choices=range(4, 15))
    parser.add_argument("--data", choices=["compas", "synthetic"], default="compas")
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--background", type=int, default=50)
    parser.add_argument("--h2-rows", type=int, default=50)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (ours only)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch and BLAS threads for both tools (default: every usable core; on a shared "
        "2-core machine pass 1, two contending threads ran a small MLP several times slower)",
    )
    parser.add_argument("--skip-shapiq", action="store_true")
    return parser.parse_args()


def load_data(name: str, n_groups: int) -> tuple[pd.DataFrame, np.ndarray, str]:
    if name == "compas":
        path = next((p for p in DATA_CANDIDATES if p.exists()), None)
        if path is None:
            raise SystemExit("compas.csv not found; use --data synthetic")
        frame = pd.read_csv(path)
        columns = list(COMPAS_COLUMNS[:n_groups])
        return frame[columns], frame[TARGET].to_numpy(), f"COMPAS ({path})"
    rng = np.random.default_rng(SEED)
    X = rng.normal(size=(4000, n_groups))
    y = X[:, 0] + np.sin(X[:, 1]) + 1.5 * X[:, 2] * X[:, 3] - X[:, 4] * X[:, 5] ** 2
    y = y + 0.1 * rng.normal(size=len(y))
    columns = [f"x{i}" for i in range(n_groups)]
    return pd.DataFrame(X, columns=columns), y, "synthetic continuous (4,000 rows)"


def output_function(model, classification: bool):
    """The model on the game's scale (logit for the classifier), float64 numpy."""
    if not classification:
        return lambda X: model.predict(X).astype(np.float64)

    def logit(X):
        proba = np.clip(model.predict_proba(X)[:, 1].astype(np.float64), 1e-7, 1 - 1e-7)
        return np.log(proba) - np.log1p(-proba)

    return logit


def run_shapiq(function, explained: np.ndarray, background: np.ndarray) -> tuple[float, np.ndarray]:
    from shapiq import ExactComputer
    from shapiq.imputer import MarginalImputer

    n_groups = explained.shape[1]
    pairs = list(itertools.combinations(range(n_groups), 2))
    values = np.zeros((len(explained), len(pairs)))
    start = time.perf_counter()
    for r, row in enumerate(explained):
        imputer = MarginalImputer(
            function, background, x=row, sample_size=len(background), random_state=SEED
        )
        interactions = ExactComputer(imputer, n_players=n_groups)("SII", 2)
        values[r] = [interactions[pair] for pair in pairs]
    return time.perf_counter() - start, values


def run_ours(make_adapter, dataset, positions, background):
    from forward_limit import forward_only, record_batches  # beside this script
    from timing import timed

    from analyzers.interactions import score_interactions

    def score(adapter):
        return score_interactions(
            adapter, dataset, "sii", rows=positions, background=background, approximator="exact"
        )

    start = time.perf_counter()
    adapter = make_adapter()
    first = score(adapter)
    first_seconds = time.perf_counter() - start
    with record_batches() as batches:
        second, second_seconds = timed(lambda: score(adapter), adapter.device)
    limit = forward_only(adapter, batches, dataset.X)
    values = second.scores.pivot(index="row", columns="pair", values="value")
    ordered = [
        f"{dataset.group_names[i]} × {dataset.group_names[j]}"
        for i, j in itertools.combinations(range(dataset.n_groups), 2)
    ]
    values = values.loc[list(positions), ordered].to_numpy(dtype=float)
    return first_seconds, second_seconds, values, first.settings["model_rows_evaluated"], limit


def run_ours_h2(adapter, data) -> tuple[object, float, ForwardLimit]:
    """Our H² of every pair in one call, timed, and its forward-only limit."""
    from forward_limit import forward_only, record_batches
    from timing import timed

    from analyzers.interactions import score_interactions

    with record_batches() as batches:
        result, seconds = timed(
            lambda: score_interactions(adapter, data, "h2", rows=None), adapter.device
        )
    return result, seconds, forward_only(adapter, batches, data.X)


def h2_loop(function, sample: np.ndarray) -> tuple[float, np.ndarray]:
    """Friedman's H² the plain way: one model call per grid point of each PD."""
    n, p = sample.shape
    start = time.perf_counter()

    def partial_dependence(columns):
        values = np.empty(n)
        for r in range(n):
            grid = sample.copy()
            grid[:, columns] = sample[r, columns]
            values[r] = function(grid).mean()
        return values - values.mean()

    single = [partial_dependence([j]) for j in range(p)]
    h2 = []
    for j, k in itertools.combinations(range(p), 2):
        joint = partial_dependence([j, k])
        residual = joint - single[j] - single[k]
        h2.append((residual**2).sum() / (joint**2).sum() if (joint**2).sum() > 0 else 0.0)
    return time.perf_counter() - start, np.array(h2)


def machine_lines(torch_module, device: str) -> list[str]:
    from threadpoolctl import threadpool_info

    blas = ", ".join(
        sorted(
            {
                f"{pool['internal_api']} {pool['num_threads']} threads"
                for pool in threadpool_info()
                if pool["user_api"] == "blas"
            }
        )
    )
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpu = torch_module.cuda.get_device_name(0) if torch_module.cuda.is_available() else "none"
    return [
        f"machine: {platform.machine()}, {cores} usable cores ({os.cpu_count()} logical)",
        f"python {platform.python_version()}, torch {torch_module.__version__}, "
        f"numpy {np.__version__} (BLAS: {blas}), GPU: {gpu}; ours on device {device!r}",
    ]


def main() -> None:
    args = parse_args()
    from importlib.metadata import version

    import torch
    from threads import set_threads, thread_line  # beside this script

    from workbench import Dataset, wrap_model

    set_threads(args.threads)
    load_start = os.getloadavg()[0]
    features, target, description = load_data(args.data, args.groups)
    classification = args.data == "compas"
    X_train, X_test, y_train, y_test = train_test_split(
        features.to_numpy(dtype=np.float32), target, test_size=0.2, random_state=SEED
    )
    estimator_class = MLPClassifier if classification else MLPRegressor
    model = estimator_class(hidden_layer_sizes=(64, 64), max_iter=300, random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    rng = np.random.default_rng(SEED)
    positions = np.sort(rng.choice(len(X_test), size=min(args.rows, len(X_test)), replace=False))
    background = X_train[rng.choice(len(X_train), size=args.background, replace=False)]
    test = Dataset.from_arrays(X_test, y_test, feature_names=list(features.columns))
    task = "classification" if classification else "regression"

    def make_adapter():
        return wrap_model(model, task=task, device=args.device)

    lines = [
        f"Pairwise SII of an MLP(64, 64) on {description}: {args.groups} groups "
        f"({args.groups * (args.groups - 1) // 2} pairs), {len(positions)} explained rows, "
        f"{args.background} background rows, scale {'logit' if classification else 'value'}",
        *machine_lines(torch, str(make_adapter().device)),
        f"shapiq {'not run' if args.skip_shapiq else version('shapiq')}; "
        f"load average (1 min) at start {load_start:.2f}",
        "",
    ]
    ours_first, ours_second, ours_values, model_rows, limit = run_ours(
        make_adapter, test, positions, background
    )
    full_rows = len(positions) * args.background * (1 << args.groups)
    lines += (
        f"ours exact SII: 1st call {ours_first:.2f} s (with wrap_model), 2nd call "
        f"{ours_second:.2f} s; {model_rows:,} model rows evaluated "
        f"(the full game would need {full_rows:,})",
        f"  2nd call's {limit.describe(ours_second)}",
    )
    function = output_function(model, classification)
    if not args.skip_shapiq:
        shapiq_seconds, shapiq_values = run_shapiq(function, X_test[positions], background)
        difference = np.abs(shapiq_values - ours_values).max()
        lines.append(
            f"shapiq ExactComputer(MarginalImputer) SII: {shapiq_seconds:.2f} s; "
            f"shapiq/ours {shapiq_seconds / ours_first:.1f}× (1st) "
            f"{shapiq_seconds / ours_second:.1f}× (2nd); max |ΔSII| {difference:.2e} "
            f"(largest |SII| {np.abs(shapiq_values).max():.3f})"
        )
    sample = X_test[positions[: args.h2_rows]]
    h2_data = Dataset.from_arrays(
        sample, y_test[positions[: args.h2_rows]], feature_names=list(features.columns)
    )
    ours_h2, ours_h2_seconds, h2_limit = run_ours_h2(make_adapter(), h2_data)
    loop_seconds, loop_h2 = h2_loop(function, sample)
    lines += [
        f"H² on {len(sample)} rows: ours {ours_h2_seconds:.2f} s, plain loop {loop_seconds:.2f} s "
        f"({loop_seconds / ours_h2_seconds:.1f}×); max |ΔH²| "
        f"{np.abs(ours_h2.scores['value'].to_numpy() - loop_h2).max():.2e}",
        f"  H² call's {h2_limit.describe(ours_h2_seconds)}",
        "forward-only: the same model batches (sizes and count) through the bare model forward "
        "on tiled data rows, same process and threads: the limit without evaluating fewer rows",
        thread_line("shapiq and the H² loop (numpy, scikit-learn)"),
    ]
    lines.append(f"load average (1 min) at end {os.getloadavg()[0]:.2f} (2 cores: >2 means shared)")
    report = "\n".join(lines)
    print(report)
    RESULTS_DIR.mkdir(exist_ok=True)
    suffix = "_skip_shapiq" if args.skip_shapiq else ""
    path = RESULTS_DIR / f"interactions_{args.data}_{args.groups}{suffix}.txt"
    path.write_text(report + "\n")
    print(f"report written to {path}")


if __name__ == "__main__":
    main()
