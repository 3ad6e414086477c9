"""Dropout Rashomon set: the batched kernel against one forward pass per member, same process.

The reference is the COMPAS sample MLP (``MLPClassifier((64, 64), max_iter=300,
random_state=0)``, 80/20 split, seed 0, as ``workbench.samples``), converted to torch; the
members are 256 activation-dropout masks at p = 0.1 on its two hidden ReLU layers, scored on
the 1,443 test rows. Arm "batched" is ``DropoutLossKernel.losses`` (members tiled into few
passes); arm "one by one" runs each member's own module (``DropoutMember``) over the rows in
one pass and takes its mean loss. The arms are interleaved, repeated, and timed in wall and
process seconds; the script checks that both give the same losses.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/dropout_set.py [--members 256] [--threads 1]
        [--device cpu|cuda] [--repeats 3] [--mode activations|weights]
"""

from __future__ import annotations

import argparse
import dataclasses
import warnings
from pathlib import Path

import torch
from sklearn.exceptions import ConvergenceWarning
from timing import timed_with_process

from workbench import Dataset
from workbench.kernels.dropout_losses import DropoutLossKernel
from workbench.kernels.dropout_masks import DropoutMember, draw_masks, resolve_layers, unit_shapes
from workbench.samples import train_sample_model

TARGET = "Recidivate-Within-Two-Years"
DATA_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "compas.csv",
    Path(__file__).resolve().parents[1] / "sample_data" / "compas.csv",
)


def one_by_one(adapter, masks, X, y) -> torch.Tensor:
    """(members,) mean loss, one forward pass of each member's own module over all rows."""
    losses = torch.empty(len(masks), dtype=torch.float64)
    for j in range(len(masks)):
        module = DropoutMember(adapter.module, masks.mode, masks.member(j))
        member = dataclasses.replace(adapter, module=module, _source_digest=None)
        losses[j] = adapter.loss.per_row(member.forward(X), y).mean().cpu()
    return losses


@dataclasses.dataclass(frozen=True)
class Arms:
    """The two arms' best (wall, process) seconds, the batched arm's forward passes, the
    dropped layers and the largest loss difference between the arms."""

    best: dict[str, tuple[float, float]]
    passes: int
    layers: list[str]
    difference: float

    def ratios(self) -> tuple[float, float]:
        """one-by-one / batched, in wall and in process seconds."""
        loop, batched = self.best["one by one"], self.best["batched"]
        return loop[0] / batched[0], loop[1] / max(batched[1], 1e-9)


def batched_against_loop(adapter, rows, members: int, rate: float, mode: str, repeats: int):
    """``members`` seeded dropout masks at ``rate`` on ``adapter``'s hidden layers, scored on
    ``rows`` by the batched kernel and by one pass per member, interleaved, ``repeats`` times
    after a warm-up call of each (vmap tracing, allocator); best of each arm by wall seconds."""
    X, y = rows.X.to(adapter.device), rows.y.to(adapter.device)
    layers = resolve_layers(adapter.module, None, mode)
    shapes = unit_shapes(adapter.module, layers, mode, X[:1])
    masks = draw_masks(shapes, range(members), rate, mode, seed=0)
    kernel = DropoutLossKernel(adapter, rows.X, rows.y)
    kernel.losses(masks)
    one_by_one(adapter, masks, X, y)
    times = {"batched": [], "one by one": []}
    for _ in range(repeats):
        passes = kernel.forward_passes
        batched, *bt = timed_with_process(lambda: kernel.losses(masks), adapter.device)
        passes = kernel.forward_passes - passes
        looped, *lt = timed_with_process(lambda: one_by_one(adapter, masks, X, y), adapter.device)
        times["batched"].append(bt)
        times["one by one"].append(lt)
    best = {arm: min(runs) for arm, runs in times.items()}
    return Arms(best, passes, layers, float((batched - looped).abs().max()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=256)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--mode", choices=("activations", "weights"), default="activations")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    path = next(p for p in DATA_CANDIDATES if p.exists())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sample = train_sample_model(
            "mlp", Dataset.from_csv(path, target=TARGET), device=args.device
        )
    adapter, test = sample.adapter, sample.test
    arms = batched_against_loop(adapter, test, args.members, args.rate, args.mode, args.repeats)
    print(
        f"COMPAS sample MLP, {test.n_rows} test rows, {args.members} members, "
        f"{args.mode} p={args.rate} on {arms.layers}, device {adapter.device}, "
        f"{torch.get_num_threads()} thread(s), best of {args.repeats} (interleaved)"
    )
    print(f"batched: {arms.passes} forward pass(es); one by one: {args.members} passes")
    for arm, (wall, cpu) in arms.best.items():
        print(f"{arm:>11s}: wall {wall:.3f} s, process {cpu:.3f} s")
    ratio_wall, ratio_cpu = arms.ratios()
    print(f"ratio one-by-one / batched: wall {ratio_wall:.1f}x, process {ratio_cpu:.1f}x")
    print(f"largest loss difference between the arms: {arms.difference:.2e}")


if __name__ == "__main__":
    main()
