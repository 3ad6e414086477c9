"""FISC on COMPAS: the peer ``generalized-rashomon-set`` 0.2.0 against ours, in one process.

The peer's published setup (``shared/data/README.md``): ``MLPClassifier((64, 64),
max_iter=300, random_state=0)`` trained on an 80/20 split (``random_state=0``), explained on
the 1,443 test rows with log-loss, ``epsilon_rate=0.05``, ``delta=0.1``, 30 shuffles and
``n_jobs=1``. The model is trained once and the same fitted estimator goes to both tools.

For each tool the script reports wall seconds, the ratio peer/ours, and agreement with the
peer over the interaction pairs (matched by feature names, order-insensitive): the Spearman
rank correlation of the reference FIS and of the FIS range over the Rashomon set, and the
largest absolute difference of the reference FIS. Ours runs twice per approximator: the first
call builds a fresh adapter (``wrap_model``) and pays every first-call cost, the second reuses
the adapter. The batches the model receives in the second call are replayed through the bare
model forward (``forward_limit.py``): the forward-only limit, and ours / forward-only.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/fisc_compas.py --features 8
    PYTHONPATH=. .venv/bin/python benchmarks/fisc_compas.py --features 27 --skip-peer

The report is also written to ``benchmarks/results/fisc_compas_<features>.txt``
(``fisc_compas_<features>_skip_peer.txt`` with ``--skip-peer``).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

if TYPE_CHECKING:
    from forward_limit import ForwardLimit

TARGET = "Recidivate-Within-Two-Years"
DATA_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "compas.csv",
    Path(__file__).resolve().parents[1] / "sample_data" / "compas.csv",
)
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PEER_PAIR_SEPARATOR = " x "
OUR_PAIR_SEPARATOR = " × "
# Peer times from shared/data/README.md (2-core machine), shown only when the peer is skipped.
DOCUMENTED_PEER_SECONDS = {8: 165.0, 27: 1971.0}

EPSILON_RATE = 0.05
DELTA = 0.1
N_SHUFFLES = 30
SEED = 0


@dataclass(frozen=True)
class Run:
    """One tool's outcome: timings and its pairs as a plain frame (pair, reference_fis, range)."""

    label: str
    first_seconds: float
    second_seconds: float | None
    pairs: pd.DataFrame
    reference_loss: float
    epsilon: float
    note: str
    limit: ForwardLimit | None = None  # the 2nd call's batches through the bare forward


@dataclass(frozen=True)
class Agreement:
    n_pairs: int
    spearman_reference_fis: float
    spearman_range: float
    max_abs_reference_fis_difference: float


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, choices=(8, 27), default=8)
    parser.add_argument("--skip-peer", action="store_true", help="run ours only")
    parser.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch and BLAS threads, ours and the peer (default: every usable core)",
    )
    return parser.parse_args()


def find_data() -> Path:
    for path in DATA_CANDIDATES:
        if path.is_file():
            return path
    raise SystemExit(f"compas.csv not found; looked in {', '.join(map(str, DATA_CANDIDATES))}")


def pair_key(names: list[str]) -> tuple[str, ...]:
    return tuple(sorted(name.strip() for name in names))


def train_reference_model(
    X_train: np.ndarray, y_train: np.ndarray
) -> tuple[MLPClassifier, float, str]:
    started = time.perf_counter()
    model = MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=300, random_state=SEED)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X_train, y_train)
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    state = f"{model.n_iter_} iterations, {'converged' if converged else 'not converged'}"
    return model, time.perf_counter() - started, state


def peer_explainer(model, X_test, y_test, features: list[str], seed: int):
    """The peer's explainer in the published setup (log-loss, 30 shuffles, n_jobs=1)."""
    from generalized_rashomon_set import RashomonExplainer

    return RashomonExplainer(
        model,
        X_test,
        y_test,
        loss="log_loss",
        epsilon_rate=EPSILON_RATE,
        delta=DELTA,
        features=features,
        shuffle_times=N_SHUFFLES,
        n_jobs=1,
        random_state=seed,
    )


def run_peer(
    model: MLPClassifier, X_test: pd.DataFrame, y_test: pd.Series, features: list[str]
) -> Run:
    started = time.perf_counter()
    explainer = peer_explainer(model, X_test, y_test, features, SEED).fit(order=2)
    summary = explainer.interaction_summary()
    seconds = time.perf_counter() - started
    pairs = pd.DataFrame(
        {
            "pair": [pair_key(name.split(PEER_PAIR_SEPARATOR)) for name in summary["name"]],
            "reference_fis": summary["reference"].to_numpy(float),
            "range": summary["range"].to_numpy(float),
        }
    )
    n_models = int(summary["n_models"].iloc[0]) if len(summary) else 0
    return Run(
        label="peer (generalized-rashomon-set 0.2.0)",
        first_seconds=seconds,
        second_seconds=None,
        pairs=pairs,
        reference_loss=float(explainer.loss_ref),
        epsilon=float(explainer.epsilon),
        note=f"{len(pairs)} pairs × {n_models} models, n_jobs=1",
    )


def peer_noise_floor(
    model: MLPClassifier,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    features: list[str],
    peer: Run,
    seeds: tuple[int, ...] = (1, 2, 3, 4),
) -> list[Agreement]:
    """Agreement of the peer's reference FIS with itself under other seeds (untimed).

    The peer estimates each effect from 30 shuffles, with independent draws for the joint and
    the main effects, so its FIS carries Monte-Carlo noise; this is the agreement to expect.
    """
    agreements = []
    for seed in seeds:
        explainer = peer_explainer(model, X_test, y_test, features, seed)
        reference = explainer.explain_reference(order=2)
        pairs = pd.DataFrame(
            {
                "pair": [
                    pair_key([explainer.feature_names[f] for f in subset])
                    for subset in reference.subsets
                ],
                "reference_fis": np.asarray(reference.fis, dtype=float),
                "range": np.nan,
            }
        )
        rerun = Run(f"peer seed {seed}", 0.0, None, pairs, 0.0, 0.0, "")
        agreements.append(agreement(peer, rerun))
    return agreements


def run_ours(
    make_adapter: Callable[[], object],
    test,
    groups: list[str] | None,
    approximator: str,
) -> Run:
    # Sibling modules of this script; imported here, after main has timed importing torch.
    from forward_limit import forward_only, record_batches
    from timing import timed

    from analyzers.rashomon import explore_rashomon

    def explore(adapter):
        return explore_rashomon(
            adapter,
            test,
            epsilon_rate=EPSILON_RATE,
            delta=DELTA,
            order=2,
            approximator=approximator,
            n_permutations=N_SHUFFLES,
            groups=groups,
            random_state=SEED,
        )

    started = time.perf_counter()
    adapter = make_adapter()
    explore(adapter)
    first_seconds = time.perf_counter() - started

    with record_batches() as batches:
        result, second_seconds = timed(lambda: explore(adapter), adapter.device)
    limit = forward_only(adapter, batches, test.X)

    summary = result.summary()
    pairs = pd.DataFrame(
        {
            "pair": [pair_key(label.split(OUR_PAIR_SEPARATOR)) for label in summary["interaction"]],
            "reference_fis": summary["reference_fis"].to_numpy(float),
            "range": summary["range"].to_numpy(float),
        }
    )
    counts = summary["n_models"].to_numpy(int) if len(summary) else np.zeros(1, int)
    # Models per pair vary: the in-set joint models (plus the reference) of each pair.
    n_models = f"{int(np.median(counts))} (median; {counts.min()}–{counts.max()})"
    label = "ours exact" if approximator == "exact" else f"ours permutation({N_SHUFFLES})"
    return Run(
        label=label,
        first_seconds=first_seconds,
        second_seconds=second_seconds,
        pairs=pairs,
        reference_loss=float(result.reference_loss),
        epsilon=float(result.epsilon),
        note=(
            f"{len(pairs)} pairs, models per pair {n_models}, "
            f"{result.extra['search_steps']} search steps, "
            f"{result.extra['rows_evaluated']:,} rows evaluated, "
            f"{result.settings['n_distinct_rows']} distinct rows; 2nd call: "
            f"{limit.describe(second_seconds)}"
        ),
        limit=limit,
    )


def agreement(baseline: Run, other: Run) -> Agreement:
    merged = baseline.pairs.merge(other.pairs, on="pair", suffixes=("_base", "_other"))
    if len(merged) < 2:
        return Agreement(len(merged), float("nan"), float("nan"), float("nan"))
    difference = merged["reference_fis_base"] - merged["reference_fis_other"]
    return Agreement(
        n_pairs=len(merged),
        spearman_reference_fis=float(
            spearmanr(merged["reference_fis_base"], merged["reference_fis_other"]).statistic
        ),
        spearman_range=float(spearmanr(merged["range_base"], merged["range_other"]).statistic),
        max_abs_reference_fis_difference=float(difference.abs().max()),
    )


def machine_lines(torch_module, device: str, import_seconds: float) -> list[str]:
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
        f"machine: {platform.machine()}, {cores} usable cores ({os.cpu_count()} logical), "
        f"{platform.processor() or platform.system()}",
        f"python {platform.python_version()}, torch {torch_module.__version__}, "
        f"numpy {np.__version__} (BLAS: {blas}), GPU: {gpu}",
        f"ours on device {device!r}; importing workbench + analyzers.rashomon "
        f"took {import_seconds:.2f} s (not billed below)",
    ]


def format_table(runs: list[Run], peer: Run | None) -> list[str]:
    header = (
        f"{'method':<38} {'1st s':>8} {'2nd s':>8} {'peer/1st':>9} {'peer/2nd':>9} "
        f"{'fwd s':>7} {'2nd/fwd':>8} {'pairs':>5} {'ρ refFIS':>9} {'ρ range':>8} "
        f"{'max|ΔrefFIS|':>13}"
    )
    lines = [header, "-" * len(header)]
    for run in runs:
        second = "—" if run.second_seconds is None else f"{run.second_seconds:.2f}"
        if peer is None:
            ratio_first = ratio_second = "—"
        else:
            ratio_first = f"{peer.first_seconds / run.first_seconds:.1f}×"
            ratio_second = (
                "—"
                if run.second_seconds is None
                else f"{peer.first_seconds / run.second_seconds:.1f}×"
            )
        if peer is None or run is peer:
            n_pairs = str(len(run.pairs))
            rho_ref = rho_range = max_diff = "—"
        else:
            agree = agreement(peer, run)
            n_pairs = str(agree.n_pairs)
            rho_ref = f"{agree.spearman_reference_fis:.3f}"
            rho_range = f"{agree.spearman_range:.3f}"
            max_diff = f"{agree.max_abs_reference_fis_difference:.2e}"
        forward = "—" if run.limit is None else f"{run.limit.seconds:.2f}"
        to_limit = (
            "—"
            if run.limit is None or run.second_seconds is None
            else f"{run.limit.ratio(run.second_seconds):.2f}×"
        )
        lines.append(
            f"{run.label:<38} {run.first_seconds:>8.2f} {second:>8} {ratio_first:>9} "
            f"{ratio_second:>9} {forward:>7} {to_limit:>8} {n_pairs:>5} {rho_ref:>9} "
            f"{rho_range:>8} {max_diff:>13}"
        )
    return lines


def main() -> None:
    args = parse_args()
    load_at_start = os.getloadavg()[0]
    started = time.perf_counter()
    import torch

    from workbench import Dataset, wrap_model

    import_seconds = time.perf_counter() - started
    from threads import set_threads, thread_line  # beside this script

    set_threads(args.threads)

    path = find_data()
    frame = pd.read_csv(path)
    X = frame.drop(columns=[TARGET])
    y = frame[TARGET]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=SEED)
    model, train_seconds, train_state = train_reference_model(
        X_train.to_numpy(float), y_train.to_numpy()
    )

    dataset = Dataset.from_csv(path, target=TARGET)
    _, test = dataset.train_test_split(test_size=0.2, seed=SEED)
    if not (
        np.array_equal(test.X.numpy(), X_test.to_numpy(np.float32))
        and np.array_equal(test.y.numpy(), y_test.to_numpy(np.float32))
    ):
        raise SystemExit("Dataset.train_test_split does not match sklearn's split row for row")

    feature_names = list(X.columns[: args.features])
    groups = feature_names if args.features < X.shape[1] else None

    def make_adapter():
        return wrap_model(model, task="classification", device=args.device)

    ours = [run_ours(make_adapter, test, groups, name) for name in ("exact", "permutation")]
    peer = None if args.skip_peer else run_peer(model, X_test, y_test, feature_names)
    runs = ([peer] if peer is not None else []) + ours

    lines = [
        f"FISC on COMPAS ({path}): {args.features} features, {len(X_test)} test rows, "
        f"log-loss, epsilon_rate={EPSILON_RATE}, delta={DELTA}, {N_SHUFFLES} shuffles, "
        f"seed {SEED}",
        *machine_lines(torch, args.device, import_seconds),
        f"reference model: MLPClassifier((64, 64), max_iter=300, random_state=0), trained once "
        f"in {train_seconds:.1f} s ({train_state})",
        "",
        *format_table(runs, peer),
        "",
        "1st s: first call, including wrap_model (the sklearn → torch conversion); 2nd s: a "
        "second call on the same adapter. The peer runs once (constructor + fit + summary).",
        "fwd s: forward-only limit, the 2nd call's model batches (same sizes, same rows count) "
        "through the bare model forward on tiled test rows; 2nd/fwd: ours over that limit.",
        thread_line("generalized-rashomon-set (numpy, scikit-learn)"),
        "ρ: Spearman rank correlation with the peer over pairs; range = max − min FIS over the "
        "sampled Rashomon set.",
    ]
    for run in runs:
        lines.append(
            f"  {run.label}: reference loss {run.reference_loss:.6f}, epsilon {run.epsilon:.6f}; "
            f"{run.note}"
        )
    if peer is not None:
        floor = peer_noise_floor(model, X_test, y_test, feature_names, peer)
        rhos = ", ".join(f"{a.spearman_reference_fis:.3f}" for a in floor)
        diffs = ", ".join(f"{a.max_abs_reference_fis_difference:.2e}" for a in floor)
        lines.append(
            f"peer vs itself with random_state 1-4 (reference FIS only, untimed): "
            f"ρ refFIS {rhos}; max|ΔrefFIS| {diffs}"
        )
    exact, permutation = ours
    versus_exact = agreement(exact, permutation)
    lines.append(
        f"ours permutation vs ours exact: ρ refFIS {versus_exact.spearman_reference_fis:.3f}, "
        f"ρ range {versus_exact.spearman_range:.3f}, max|ΔrefFIS| "
        f"{versus_exact.max_abs_reference_fis_difference:.2e}"
    )
    if peer is None:
        documented = DOCUMENTED_PEER_SECONDS[args.features]
        lines.append(
            f"peer skipped; its documented time on a 2-core machine is {documented:.0f} s "
            f"(not this run): {documented / exact.second_seconds:.0f}× ours exact (2nd call), "
            f"{documented / permutation.second_seconds:.0f}× ours permutation (2nd call)"
        )

    load_at_end = os.getloadavg()[0]
    lines.append(
        f"load average (1 min): {load_at_start:.2f} at start, {load_at_end:.2f} at end; "
        f"with {os.cpu_count()} cores, figures above this script's own threads mean other "
        "processes shared the machine and the seconds above are inflated"
    )
    report = "\n".join(lines)
    print(report)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    # A quick --skip-peer run must not overwrite the report of a long run with the peer.
    suffix = "_skip_peer" if peer is None else ""
    out = RESULTS_DIR / f"fisc_compas_{args.features}{suffix}.txt"
    out.write_text(report + "\n", encoding="utf-8")
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
