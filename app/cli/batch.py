"""Batch runs from the command line: ``--workers N`` / ``--scheduler ADDRESS``, ``--checkpoint``.

The analyzers take an ``executor`` (anything with ``submit``; a ``distributed.Client`` gives its
own) and a ``checkpoint`` folder; this module turns the flags into those two arguments. Dask
distributed is the engine: ``--workers`` starts a local cluster of N single-threaded worker
processes for the run, ``--scheduler`` connects to a running cluster. No flag: one process,
as before.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.cli.common import positive_int
from workbench.chunk_runs import DASK_HTTP_ADDRESS
from workbench.errors import ParameterError, WorkbenchError

_CONNECT_SECONDS = 30


def add_batch_arguments(parser: argparse.ArgumentParser, *, chunk_size: str | None) -> None:
    """``--workers``, ``--scheduler``, ``--checkpoint`` and, when ``chunk_size`` names the
    chunk's unit, ``--chunk-size``."""
    batch = parser.add_argument_group("batch runs (Dask distributed)")
    batch.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="run the chunks on a local Dask cluster of N worker processes",
    )
    batch.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the chunks on a running Dask cluster, e.g. tcp://10.0.0.5:8786",
    )
    batch.add_argument(
        "--checkpoint",
        metavar="DIR",
        help="store every finished chunk here; the same command run again computes only the "
        "missing chunks (resume after a crash)",
    )
    if chunk_size is not None:
        batch.add_argument(
            "--chunk-size",
            type=positive_int,
            metavar="N",
            help=f"{chunk_size} per chunk (default: auto)",
        )


@contextmanager
def batch_options(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """The analyzer's ``executor`` and ``checkpoint`` (and ``chunk_size`` where there is one)
    for the run; a local cluster started here is closed when the run ends."""
    workers, scheduler = getattr(args, "workers", None), getattr(args, "scheduler", None)
    options: dict[str, Any] = {"executor": None, "checkpoint": getattr(args, "checkpoint", None)}
    if hasattr(args, "chunk_size"):
        options["chunk_size"] = args.chunk_size
    if workers and scheduler:
        raise ParameterError("--workers and --scheduler: give one (a local or a running cluster)")
    if not (workers or scheduler):
        yield options
        return
    try:
        import distributed
    except ImportError:
        raise WorkbenchError(
            "--workers/--scheduler need dask[distributed]: pip install 'dask[distributed]'"
        ) from None
    cluster = None
    if workers:
        cluster = distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=DASK_HTTP_ADDRESS,
        )
        client = distributed.Client(cluster)
        print(f"workbench: local Dask cluster of {workers} workers", file=sys.stderr)
    else:
        try:
            client = distributed.Client(scheduler, timeout=_CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as error:
            raise WorkbenchError(
                f"--scheduler: cannot reach {scheduler!r} ({type(error).__name__})"
            ) from None
        count = len(client.scheduler_info().get("workers", {}))
        print(f"workbench: Dask cluster {scheduler} ({count} workers)", file=sys.stderr)
    try:
        yield {**options, "executor": client}
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def batch_requested(args: argparse.Namespace) -> bool:
    """Whether the run goes in chunks (a cluster or a checkpoint was asked for)."""
    names = ("workers", "scheduler", "checkpoint")
    return any(getattr(args, name, None) for name in names)
