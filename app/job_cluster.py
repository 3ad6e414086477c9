"""The Dask cluster the app's jobs hand their chunks to (``workbench serve --workers/--scheduler``).

Two engines, two jobs. The job dispatcher (diskcache, or Celery through Redis) stays: it runs one
job per Run, and Cancel, "Queued (k ahead)", a lost Celery worker and the job's progress are wired
to it. What a job computes is a different axis: its heavy analysis splits into independent chunks
(FISC's interactions, exact Shapley rows, model-set members), and those go to a Dask cluster
through the analyzers' ``executor`` argument, as ``workbench fisc --workers`` does. Dask replacing
the dispatcher would mean re-doing cancel, queueing and page progress on Dask futures, and a Run
would still be one task with chunks under it; nested here, a job is one Dask client for its
lifetime and the cluster is shared by every job (and every CLI run) pointed at it.

With a cluster configured, each job also checkpoints its chunks in the workspace's store, so a job
cancelled or killed mid-way resumes its finished chunks on the next Run. Without one, nothing
changes: jobs compute in their own process, as before.

A job forked from the server (diskcache) or run by a Celery worker cannot use a client made in
another process, so the configuration is the scheduler's address and each job connects for its
own run. Celery workers read it from ``$WORKBENCH_SCHEDULER``.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from workbench.chunk_runs import DASK_HTTP_ADDRESS, ChunkLedger
from workbench.errors import ParameterError, WorkbenchError
from workbench.store import ResultStore

#: the scheduler address a Celery worker (or any process without ``--scheduler``) uses
SCHEDULER_VARIABLE = "WORKBENCH_SCHEDULER"
_CONNECT_SECONDS = 30

# A scheduler address, or an executor of this process (a test's thread pool); None: from the
# environment. Set once by the server before jobs fork, so forked jobs inherit it.
_configured: Any = None


def configure_cluster(target: Any) -> None:
    """Where the jobs of this process (and the jobs it forks) run their chunks.

    Parameters
    ----------
    target : str, Executor or None
        A Dask scheduler address (``tcp://host:8786``); an object with ``submit`` used as it
        is (a ``concurrent.futures`` pool: chunks in this process' threads); None: the
        address in ``$WORKBENCH_SCHEDULER``, or no cluster.
    """
    global _configured
    if target is not None and not isinstance(target, str) and not hasattr(target, "submit"):
        raise ParameterError(
            f"cluster: expected a scheduler address or an executor, got {type(target).__name__}"
        )
    _configured = target


def configured_cluster() -> Any:
    """The configured scheduler address or executor, or None (jobs compute in their process)."""
    if _configured is not None:
        return _configured
    return os.environ.get(SCHEDULER_VARIABLE) or None


@contextmanager
def chunk_options(store: ResultStore) -> Iterator[dict[str, Any]]:
    """The ``executor`` and ``checkpoint`` arguments of one job's analysis (empty without a
    cluster); a client opened here is closed when the job's analysis ends. The checkpoint is a
    :class:`~workbench.chunk_runs.ChunkLedger` on the workspace's store: the job prunes its
    chunks once it has stored the whole result."""
    target = configured_cluster()
    if target is None:
        yield {}
        return
    checkpoint = ChunkLedger(store.root, store.sidecar_min_cells)
    if not isinstance(target, str):
        yield {"executor": target, "checkpoint": checkpoint}
        return
    client = _connect(target)
    try:
        yield {"executor": client, "checkpoint": checkpoint}
    finally:
        client.close()


def _connect(address: str):
    try:
        import distributed
    except ImportError:
        raise WorkbenchError(
            "a Dask cluster needs dask[distributed]: pip install 'dask[distributed]'"
        ) from None
    try:
        return distributed.Client(address, timeout=_CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as error:
        raise WorkbenchError(
            f"Dask scheduler {address!r} cannot be reached ({type(error).__name__})"
        ) from None


def start_serve_cluster(
    workers: int | None,
    scheduler: str | None,
    *,
    jobs: str = "diskcache",
    processes: bool = True,
) -> Callable[[], None]:
    """Configure the server's cluster from ``--workers``/``--scheduler``; returns its stop.

    ``--workers N`` starts a local cluster of N single-threaded worker processes that the
    server owns: it is closed by the returned function, which also runs at exit (the server
    ends through its exit handlers). ``--scheduler`` checks that the cluster answers. Neither:
    nothing is configured and the stop does nothing.
    """
    if workers and scheduler:
        raise ParameterError("--workers and --scheduler: give one (a local or a running cluster)")
    if workers and jobs == "celery":
        # Celery workers are other processes, started by the user: they cannot find a cluster
        # that lives inside this server.
        raise ParameterError(
            f"--workers with --jobs celery: start a Dask scheduler, pass --scheduler ADDRESS "
            f"and start the Celery workers with {SCHEDULER_VARIABLE}=ADDRESS"
        )
    if not (workers or scheduler):
        return lambda: None
    if scheduler:
        client = _connect(scheduler)
        count = len(client.scheduler_info().get("workers", {}))
        client.close()
        configure_cluster(scheduler)
        print(f"workbench: jobs run their chunks on {scheduler} ({count} workers)", file=sys.stderr)
        return lambda: configure_cluster(None)
    import distributed

    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=processes,
        dashboard_address=DASK_HTTP_ADDRESS,
    )
    configure_cluster(cluster.scheduler_address)
    print(
        f"workbench: jobs run their chunks on a local cluster of {workers} workers", file=sys.stderr
    )

    def stop() -> None:
        if cluster.status.name in ("closing", "closed"):
            return
        configure_cluster(None)
        cluster.close()

    atexit.register(stop)
    return stop
