"""Model-set cost (issue 14): the dropout kernel against a loop, and a retrained set's split.

(a) A dropout set on the demo's Adult FinalMLP (the shipped weights, ``sample_ctr_model``
"finalmlp" on "adult", seed 0, stratified 80/20 split, as the demo workspace loads it):
``--members`` activation-dropout masks at p = ``--rate`` on its hidden activations, scored on
the test rows. Arm "batched" is ``DropoutLossKernel.losses``; arm "one by one" runs each
member's own module over the rows in one pass (``dropout_set.one_by_one``). Arms interleaved,
best of ``--repeats`` by wall seconds, wall and process seconds, their ratio, and the largest
loss difference between the arms.

(b) A retrained set on COMPAS: ``--seeds`` boosted-tree members (the CLI's ``--learner gbt``:
``GradientBoostingClassifier(n_estimators=100, max_depth=3)``, 80/20 split, seed 0) and
``--index`` over ``--explained-rows`` test rows for every member, with a member cache in a
temporary folder: once cold (every member trained and stored), once warm (every member read
back). Each run's seconds are split at the progress stages: the members (trained, or read from
the cache), their losses on the explained rows (L*, ε, who is in), and the index over them.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/model_set_cost.py [--threads 1] [--members 256]
        [--rows N] [--seeds 16] [--explained-rows 100] [--repeats 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from dropout_set import DATA_CANDIDATES, TARGET, batched_against_loop
from sklearn.ensemble import GradientBoostingClassifier
from threads import set_threads, thread_line

from analyzers.model_sets import RetrainedSetBuilder, explore_model_set
from analyzers.model_sets.builders import TRAINING_STAGE
from analyzers.model_sets.explore import SCORING_STAGE
from workbench import Dataset
from workbench.member_cache import MemberCache
from workbench.models import wrap_model
from workbench.samples import SAMPLE_DATA_DIR
from workbench.zoo.training import sample_ctr_model


def adult_finalmlp(device: str, cache: Path):
    """The demo's FinalMLP adapter and test rows (shipped weights copied into ``cache``, so a
    changed training key retrains there, never in sample_data/)."""
    shutil.copytree(SAMPLE_DATA_DIR / "zoo", cache, dirs_exist_ok=True)
    shipped = set(cache.iterdir())
    trained = sample_ctr_model("finalmlp", "adult", cache_dir=cache)
    origin = (
        "trained now: the shipped weights' key has changed"
        if set(cache.iterdir()) - shipped
        else "demo weights"
    )
    adapter = wrap_model(trained.model, task="classification", output="logit", device=device)
    return adapter, trained.test, origin


def dropout_arms(args, cache: Path) -> None:
    adapter, test, origin = adult_finalmlp(args.device, cache)
    if args.rows:
        test = test.subset(range(min(args.rows, test.n_rows)))
    arms = batched_against_loop(adapter, test, args.members, args.rate, "activations", args.repeats)
    print(
        f"(a) dropout set: Adult FinalMLP ({origin}), {test.n_rows} test rows, "
        f"{args.members} members, activations p={args.rate} on {arms.layers}, device "
        f"{adapter.device}, best of {args.repeats} (interleaved)"
    )
    print(f"    batched: {arms.passes} forward pass(es); one by one: {args.members} passes")
    print(f"    {'arm':<12s} {'wall s':>9s} {'process s':>10s}")
    for arm, (wall, cpu) in arms.best.items():
        print(f"    {arm:<12s} {wall:9.3f} {cpu:10.3f}")
    ratio_wall, ratio_cpu = arms.ratios()
    print(f"    ratio one-by-one / batched: wall {ratio_wall:.1f}x, process {ratio_cpu:.1f}x")
    print(f"    largest loss difference between the arms: {arms.difference:.2e}")


class StageClock:
    """Wall and process seconds of a model-set run, split at its progress events: members
    (trained or read from the cache), their losses on the explained rows, the index."""

    def __init__(self) -> None:
        self.marks = {"start": _now()}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == TRAINING_STAGE and done == total:
            self.marks["members"] = _now()
        elif stage == SCORING_STAGE:
            self.marks.setdefault("losses", _now())

    def split(self) -> dict[str, tuple[float, float]]:
        """{"members", "losses", "index"}: (wall seconds, process seconds) of each part."""
        marks = [*self.marks.values(), _now()]
        parts = ("members", "losses", "index")
        return {
            part: (b[0] - a[0], b[1] - a[1])
            for part, a, b in zip(parts, marks[:-1], marks[1:], strict=True)
        }


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def retrained_split(args, cache: Path) -> None:
    path = next(p for p in DATA_CANDIDATES if p.exists())
    data = Dataset.from_csv(path, target=TARGET, groups="prefix")
    train, explained = data.train_test_split(0.2, seed=0)
    learner = GradientBoostingClassifier(n_estimators=args.trees, max_depth=3)
    rows = list(range(min(args.explained_rows, explained.n_rows)))
    print(
        f"(b) retrained set: COMPAS gbt ({args.trees} trees, depth 3), {args.seeds} seeds, "
        f"{train.n_rows} training rows; {args.index} over {len(rows)} explained rows "
        f"({explained.n_groups} groups), every member scored"
    )
    print("    seconds wall / process; members: trained (cold) or read from the cache (warm)")
    print(
        f"    {'run':<11s} {'members':>13s} {'losses':>13s} {'index':>13s} "
        f"{'members share':>13s} {'trained':>7s} {'cached':>6s}"
    )
    runs = {}
    for run in ("cold cache", "warm cache"):
        members = MemberCache(cache)
        builder = RetrainedSetBuilder(learner, train, seeds=range(args.seeds), cache=members)
        clock = StageClock()
        explore_model_set(builder, explained, args.index, rows=rows, progress=clock)
        split = runs[run] = clock.split()
        cells = " ".join(f"{f'{wall:.2f}/{cpu:.2f}':>13s}" for wall, cpu in split.values())
        share = split["members"][0] / sum(wall for wall, _ in split.values())
        print(f"    {run:<11s} {cells} {share:13.0%} {members.n_saved:7d} {members.n_loaded:6d}")
    cold, warm = runs["cold cache"]["members"], runs["warm cache"]["members"]
    print(
        f"    ratio cold / warm members: wall {cold[0] / warm[0]:.1f}x, "
        f"process {cold[1] / max(warm[1], 1e-9):.1f}x"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=256)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--rows", type=int, help="(a) first N test rows (default: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--index", default="sii")
    parser.add_argument("--explained-rows", type=int, default=100)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    print(thread_line("one pass per member (torch)", peer_runs_torch=True))
    with tempfile.TemporaryDirectory(prefix="model-set-cost-") as folder:
        dropout_arms(args, Path(folder) / "zoo")
        retrained_split(args, Path(folder) / "members")


if __name__ == "__main__":
    main()
