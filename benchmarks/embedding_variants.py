"""Private-row variants of a shared-table FinalMLP on all Adult rows: batched kernel vs a loop.

The sample FinalMLP with one hashed shared table (``shared_buckets``, trained on first use and
cached, see ``workbench.zoo.training.sample_ctr_model``) gets the variants the embeddings
analyzer scores (``analyzers.embeddings.private_rows``): the shared table, every colliding
feature on a private row, and each field's colliding features on private rows. Private rows
are set to their shared row plus seeded noise, so every variant computes something different.
Ours evaluates the mean log-loss of every variant on all 48,842 rows with
``EmbeddingVariantKernel.mean_losses`` (variants × rows stacked into large batches); the peer is
the loop a user would write: for each variant, swap the embedding's lookup and run one forward
pass over all rows. The script prints both times, their ratio and the largest absolute
difference of the losses, and the forward-only limit of ours (``forward_limit.py``: the model
batches of our run replayed through the bare model, with its own embedding lookup), and writes
the report to ``benchmarks/results/embedding_variants_<device>.txt``.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/embedding_variants.py --device cpu
    PYTHONPATH=. .venv/bin/python benchmarks/embedding_variants.py --device cuda --repeats 3
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
_NOISE = 0.05  # spread of the private rows around their shared row


def build_variants(embedding, data, device: torch.device, random_state: int):
    """(names, tables (variants, rows, dim), index (variants, fields, max_vocab))."""
    from analyzers.embeddings.private_rows import colliding_features, variant_index

    colliding = colliding_features(embedding, data)
    names, index, _ = variant_index(embedding, colliding, per_field=True)
    shared = embedding.shared_weight.detach().to(device)
    buckets = torch.as_tensor(colliding["bucket"].to_numpy().copy(), device=device)
    generator = torch.Generator().manual_seed(random_state)
    private = shared[buckets][None] + _NOISE * torch.randn(
        len(names), len(colliding), shared.shape[1], generator=generator
    ).to(device)
    tables = torch.cat([shared.expand(len(names), *shared.shape), private], dim=1)
    return names, tables, index.to(device)


def loop_of_passes(adapter, embedding, data, tables, index) -> torch.Tensor:
    """The peer: one forward pass over all rows per variant, the lookup swapped each time."""
    X = data.X.to(adapter.device)
    codes = X.long()  # (rows, fields)
    y = data.y.to(adapter.device)
    fields = torch.arange(codes.shape[1], device=adapter.device)
    losses = []
    for variant in range(index.shape[0]):
        rows = index[variant, fields[None, :], codes]  # (rows, fields)
        lookup = tables[variant][rows]  # (rows, fields, dim)
        embedding.forward = lambda _codes, lookup=lookup: lookup
        try:
            losses.append(adapter.loss.per_row(adapter.forward(X), y).mean())
        finally:
            del embedding.forward
    return torch.stack(losses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--shared-buckets", type=int, default=64)
    parser.add_argument("--threads", type=int, help="torch threads (default: every usable core)")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs of each; best kept")
    parser.add_argument("--max-batch-rows", type=int, help="our rows per forward pass")
    parser.add_argument("--cache-dir", help="sample model cache")
    # --seed: the old name, kept one release
    parser.add_argument("--random-state", "--seed", dest="random_state", type=int, default=0)
    args = parser.parse_args(argv)
    set_threads(args.threads)

    from workbench.kernels.embedding_variants import EmbeddingVariantKernel
    from workbench.models import wrap_model
    from workbench.zoo.training import sample_ctr_model, sample_data

    data = sample_data("adult")
    trained = sample_ctr_model(
        "finalmlp", data, config={"shared_buckets": args.shared_buckets}, cache_dir=args.cache_dir
    )
    adapter = wrap_model(trained.model, task="classification", output="logit", device=args.device)
    embedding = adapter.module.embedding
    names, tables, index = build_variants(embedding, data, adapter.device, args.random_state)
    kernel = EmbeddingVariantKernel(adapter, embedding, data, max_batch_rows=args.max_batch_rows)
    kernel.mean_losses(tables[:2], index[:2])  # warm-up: first-call costs out of the timing
    loop_of_passes(adapter, embedding, data, tables[:2], index[:2])
    ours_seconds, loop_seconds = [], []
    for _ in range(args.repeats):
        # The kernel calls the module itself (not adapter.forward): record the module's calls.
        with record_batches(modules=(adapter.module,)) as batches:
            ours, seconds = timed(lambda: kernel.mean_losses(tables, index), adapter.device)
        ours_seconds.append(seconds)
        peer, seconds = timed(
            lambda: loop_of_passes(adapter, embedding, data, tables, index), adapter.device
        )
        loop_seconds.append(seconds)
    best_ours, best_loop = min(ours_seconds), min(loop_seconds)
    limit = forward_only(adapter, batches, data.X, repeats=args.repeats)
    passes = -(-len(names) * data.n_rows // kernel.batch_rows)
    lines = [
        f"private-row variants, FinalMLP shared table of {args.shared_buckets} rows "
        f"(test AUC {trained.metrics['test_auc']:.4f}) on all {data.n_rows:,} Adult rows",
        f"device {adapter.device}; torch {torch.__version__}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        thread_line("(one pass per variant)", peer_runs_torch=True),
        f"{len(names)} variants ({tables.shape[1]} table rows each); our batch "
        f"{kernel.batch_rows:,} rows -> {passes} forward passes; loop: {len(names)} passes",
        f"ours (EmbeddingVariantKernel)  {best_ours:8.2f} s   (runs: "
        f"{', '.join(f'{s:.2f}' for s in ours_seconds)})",
        f"loop (one pass per variant)    {best_loop:8.2f} s   (runs: "
        f"{', '.join(f'{s:.2f}' for s in loop_seconds)})",
        f"ratio loop/ours                {best_loop / best_ours:8.2f}",
        f"ours' {limit.describe(best_ours)}",
        f"max |ours - loop| mean loss    {float((ours - peer.double()).abs().max()):.2e}",
    ]
    report = "\n".join(lines)
    print(report)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"embedding_variants_{adapter.device.type}.txt").write_text(report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
