"""Screen-then-refine against the refine estimator on every pair, 200 features, same run.

Data: ``planted_interactions`` (standard normal features, 5 planted products, seed 0); the
model is the known function itself. Arm "screen+refine" is ``screen_and_refine`` (few-
permutation FIS replicates on row subsamples, then precise FIS on the refined pairs). Arm
"all pairs" is the same precise FIS (same rows, permutations, seed) on every one of the
p(p-1)/2 pairs, ``score_interactions(index="fis")``, measured in full (with
``--measured-pairs N``, on N pairs drawn at random through the refine's own function and
extrapolated linearly; the printout says which). Recall is of the planted pairs (the ground
truth) in the refined set and in the top-20 by refined value; when all pairs are measured, the
printout also says whether every refined value equals the full computation's.

Usage::

    PYTHONPATH=.:benchmarks .venv/bin/python benchmarks/screen_refine.py [--features 200]
        [--rows 256] [--n-permutations 10] [--measured-pairs 0] [--threads 1]
        [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import torch
from timing import timed_with_process

from analyzers.interactions import score_interactions, screen_and_refine
from analyzers.interactions.screen_refine import _refined_fis
from workbench.data.planted import planted_interactions
from workbench.models import wrap_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=200)
    parser.add_argument("--rows", type=int, default=256)
    parser.add_argument("--n-permutations", type=int, default=10)
    parser.add_argument("--screen-rows", type=int, default=64)
    parser.add_argument("--screen-replicates", type=int, default=3)
    parser.add_argument("--top-k", type=int, default=20)
    parser.add_argument("--measured-pairs", type=int, default=0, help="0: all pairs")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    planted = planted_interactions(n_rows=args.rows, n_features=args.features, seed=0)
    adapter = wrap_model(planted.model, task="regression", device=args.device)
    settings = {"approximator": "permutation", "n_permutations": args.n_permutations}
    result, wall, cpu = timed_with_process(
        lambda: screen_and_refine(
            adapter,
            planted.dataset,
            top_k=args.top_k,
            screen_rows=args.screen_rows,
            screen_replicates=args.screen_replicates,
            **settings,
        ),
        adapter.device,
    )
    combos = list(itertools.combinations(range(args.features), 2))
    measured = len(combos) if args.measured_pairs <= 0 else min(args.measured_pairs, len(combos))
    full = None
    if measured == len(combos):
        full, all_wall, all_cpu = timed_with_process(
            lambda: score_interactions(
                adapter, planted.dataset, index="fis", random_state=0, **settings
            ),
            adapter.device,
        )
    else:
        chosen = np.random.default_rng(1).choice(len(combos), size=measured, replace=False)
        _, all_wall, all_cpu = timed_with_process(
            lambda: _refined_fis(
                adapter,
                planted.dataset,
                [combos[i] for i in sorted(chosen)],
                random_state=0,
                max_batch_rows=None,
                **settings,
            ),
            adapter.device,
        )
    scale = len(combos) / measured
    truth = {f"{a} × {b}" for a, b in planted.pairs}
    refined = set(result.refined_pairs)
    top = set(result.top(args.top_k)["pair"])
    print(f"{args.features} features, {len(combos)} pairs, {args.rows} rows, device {args.device}")
    print(
        f"screen+refine: {wall:.1f} s wall ({cpu:.1f} s process): screen "
        f"{result.settings['screen_seconds']:.1f} s, refined {len(refined)} pairs in "
        f"{result.settings['refine_seconds']:.1f} s"
    )
    how = "all measured" if measured == len(combos) else f"extrapolated from {measured} measured"
    print(
        f"all pairs, precise FIS: {all_wall * scale:.1f} s wall ({all_cpu * scale:.1f} s "
        f"process; {how} pairs)"
    )
    print(f"speed-up (all pairs / screen+refine): {all_wall * scale / wall:.1f}x")
    print(
        f"recall of the {len(truth)} planted pairs: refined set {len(truth & refined)}/"
        f"{len(truth)}, top-{args.top_k} by refined value {len(truth & top)}/{len(truth)}"
    )
    if full is not None:
        values = full.scores.set_index("pair")["value"]
        refined_rows = result.pairs[result.pairs["refined"]].set_index("pair")["refined_value"]
        same = np.array_equal(refined_rows.to_numpy(), values[refined_rows.index].to_numpy())
        print(f"refined values equal the full computation's: {same}")
    print("diagnostics:", [d.code for d in result.diagnostics])


if __name__ == "__main__":
    main()
