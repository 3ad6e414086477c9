"""Gate ablation of a trained FinalMLP on all Adult rows: batched TapKernel vs one pass per edit.

Every field of every site of the sample FinalMLP (trained on first use and cached, see
``workbench.zoo.training.sample_ctr_model``) is ablated to its mean, to 1 (open) and to 0, plus
each whole site: 92 edits, each evaluated on all 48,842 Adult rows. Ours stacks the edits of a
site into shared forward passes (``TapKernel.outputs``); the peer is the plain loop a user would
write: register a hook, run one forward pass over all rows, remove the hook, for every edit.
Both produce the (edits, rows) logits; the script prints both times, the ratio, the largest
absolute difference and the forward-only limit of ours (``forward_limit.py``: our forward passes'
batches replayed through the bare model, without the edit hooks), and writes the report to
``benchmarks/results/gates_<device>.txt``.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/gates.py --device cpu
    PYTHONPATH=. .venv/bin/python benchmarks/gates.py --device cuda --repeats 3
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

import torch
from forward_limit import forward_only, record_batches  # beside this script
from threads import set_threads, thread_line
from timing import timed

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def build_edits(module, X: torch.Tensor, kernel) -> list:
    from workbench.kernels.tap_edits import TapEdit

    sites = module.gate_sites()
    means = kernel.capture(
        [s.name for s in sites], reduce=lambda _site, out: out.double().sum(0, keepdim=True)
    )
    edits = []
    for site in sites:
        mean = (means[site.name].sum(0) / X.shape[0]).float()
        groups = [slice(None)]
        if site.field_aligned:
            groups = [*module.field_slices(), *groups]
        for columns in groups:
            units = torch.zeros(site.width, dtype=torch.bool)
            units[columns] = True
            edits.append(TapEdit(site.name, units, mean))
            if site.open_value is not None:
                edits.append(TapEdit(site.name, units, torch.full((site.width,), site.open_value)))
            edits.append(TapEdit(site.name, units, torch.zeros(site.width)))
    return edits


def loop_of_passes(adapter, X: torch.Tensor, edits) -> torch.Tensor:
    """The peer: one hooked forward pass over all rows per edit."""
    from workbench.kernels.tap_edits import find_site

    out = torch.empty((len(edits), X.shape[0]))
    for i, edit in enumerate(edits):
        units = edit.units.to(adapter.device)
        values = edit.values.to(adapter.device)

        def hook(_m, _i, output, units=units, values=values):
            return torch.where(units, values, output)

        handle = find_site(adapter.module, edit.site).register_forward_hook(hook)
        try:
            out[i] = adapter.forward(X).cpu()
        finally:
            handle.remove()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--threads", type=int, help="torch threads (default: every usable core)")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs of each; best kept")
    parser.add_argument("--max-batch-rows", type=int, help="our rows per forward pass")
    parser.add_argument("--cache-dir", help="sample model cache")
    args = parser.parse_args(argv)
    set_threads(args.threads)

    from workbench.kernels.tap_edits import TapKernel
    from workbench.models import wrap_model
    from workbench.zoo.training import sample_ctr_model, sample_data

    data = sample_data("adult")
    trained = sample_ctr_model("finalmlp", data, cache_dir=args.cache_dir)
    adapter = wrap_model(trained.model, task="classification", output="logit", device=args.device)
    X = data.X.to(adapter.device)
    kernel = TapKernel(adapter, data.X, max_batch_rows=args.max_batch_rows)
    edits = build_edits(adapter.module, data.X, kernel)
    kernel.outputs(edits[:2])  # warm-up: first-call costs out of the timing
    loop_of_passes(adapter, X, edits[:2])
    ours_seconds, loop_seconds = [], []
    for _ in range(args.repeats):
        passes_before = kernel.forward_passes
        with record_batches() as batches:
            ours, seconds = timed(lambda: kernel.outputs(edits), adapter.device)
        ours_seconds.append(seconds)
        ours_passes = kernel.forward_passes - passes_before
        peer, seconds = timed(lambda: loop_of_passes(adapter, X, edits), adapter.device)
        loop_seconds.append(seconds)
    best_ours, best_loop = min(ours_seconds), min(loop_seconds)
    limit = forward_only(adapter, batches, data.X, repeats=args.repeats)
    lines = [
        f"gate ablation, FinalMLP (test AUC {trained.metrics['test_auc']:.4f}) on all "
        f"{data.n_rows:,} Adult rows",
        f"device {adapter.device}; torch {torch.__version__}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        thread_line("(one hooked pass per edit)", peer_runs_torch=True),
        f"{len(edits)} edits over {len(adapter.module.gate_sites())} sites; our batch "
        f"{kernel.batch_rows:,} rows -> {ours_passes} forward passes; loop: {len(edits)} passes",
        f"ours (TapKernel.outputs)  {best_ours:8.2f} s   (runs: "
        f"{', '.join(f'{s:.2f}' for s in ours_seconds)})",
        f"loop (one pass per edit)  {best_loop:8.2f} s   (runs: "
        f"{', '.join(f'{s:.2f}' for s in loop_seconds)})",
        f"ratio loop/ours           {best_loop / best_ours:8.2f}",
        f"ours' {limit.describe(best_ours)}",
        f"max |ours - loop| logit   {float((ours - peer).abs().max()):.2e}",
    ]
    if ours_passes >= len(edits):
        lines.append(
            "note: the row budget holds one copy of the rows, so both ran the same forward "
            "passes; the ratio is timing noise (the batching pays off where the budget holds "
            "many copies, e.g. --device cuda)"
        )
    report = "\n".join(lines)
    print(report)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"gates_{adapter.device.type}.txt").write_text(report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
