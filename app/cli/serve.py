"""``workbench demo`` and ``workbench serve``: the web app over a workspace."""

from __future__ import annotations

import argparse
import atexit
import faulthandler
import os
import signal
import sys
import threading
from pathlib import Path
from typing import NoReturn

from app.cli.common import bounded_int, positive_int

# Kept here rather than imported from app.web.server: importing the app loads Dash, which every
# other subcommand would then pay for.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050
DEFAULT_DEMO_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / (
    "interaction-workbench/demo"
)

STOPPING = (
    "Ctrl-C (SIGINT) or SIGTERM stops the server within a second or two, even mid-job: running "
    "jobs are killed (nothing half-written is left in the store) and the port is free at once. "
    "`kill -USR1 PID` writes the stack of every server thread to stderr and keeps serving."
)


def add_parser(commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="serve the sample models on the sample data in the browser",
        description="Create (or reopen) the demo workspace: COMPAS with logistic, MLP and "
        "boosted-tree sample models. Serves at http://127.0.0.1:8050 by default. " + STOPPING,
    )
    demo.add_argument(
        "--workspace", default=str(DEFAULT_DEMO_DIR), help="demo workspace folder (%(default)s)"
    )
    _server_arguments(demo)
    demo.set_defaults(run=_run_demo)

    serve = commands.add_parser(
        "serve",
        help="serve a workspace in the browser",
        description="Serve the data sets, models and cached results of a workspace folder. "
        + STOPPING,
    )
    serve.add_argument("--workspace", required=True, help="workspace folder (has workspace.json)")
    _server_arguments(serve)
    serve.set_defaults(run=_run_serve)


def _server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default %(default)s: this machine only; 0.0.0.0 exposes "
        "the app, which has no login, to the network)",
    )
    parser.add_argument(
        "--allowed-hosts",
        default="",
        help="comma-separated host names the server answers besides localhost, 127.0.0.1, "
        "[::1] and --host (requests naming another host are refused: a guard against DNS "
        "rebinding); '*' answers any",
    )
    parser.add_argument(
        "--port", type=bounded_int(1, 65535), default=DEFAULT_PORT, help="port (%(default)s)"
    )
    parser.add_argument(
        "--jobs",
        choices=["diskcache", "celery"],
        default="diskcache",
        help="background job manager: diskcache (jobs forked from the server) or celery (jobs "
        "sent through Redis to workers started with `WORKBENCH_WORKSPACE=DIR celery -A "
        "app.celery_worker worker`)",
    )
    parser.add_argument(
        "--redis-url", help="Redis of --jobs celery (default $WORKBENCH_REDIS_URL or local)"
    )
    parser.add_argument(
        "--max-jobs",
        type=bounded_int(1, 64),
        help="--jobs diskcache: jobs that compute at once, at least 1 (default: CPU count - 1, "
        "at least 1); later ones wait in a queue",
    )
    cluster = parser.add_argument_group(
        "chunks on a Dask cluster (FISC, exact Shapley indices, model sets)",
        "Jobs stay one per Run (diskcache or Celery); a job's chunks go to the cluster and are "
        "stored in the workspace, so a cancelled or killed job resumes them on the next Run.",
    )
    cluster.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="start a local Dask cluster of N worker processes, closed when the server stops",
    )
    cluster.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running Dask cluster, e.g. tcp://10.0.0.5:8786 (Celery workers: set "
        "WORKBENCH_SCHEDULER=ADDRESS)",
    )


def _run_demo(args: argparse.Namespace) -> int:
    from workbench.workspace import demo_workspace

    return _serve(demo_workspace(args.workspace), args)


def _run_serve(args: argparse.Namespace) -> int:
    from workbench.workspace import Workspace

    return _serve(Workspace.open(args.workspace), args)


def _serve(workspace, args: argparse.Namespace) -> int:
    from app.cli.command import Terminated
    from app.job_cluster import start_serve_cluster
    from app.web import create_app
    from app.web.server import check_port_free, serve

    check_port_free(args.host, args.port)
    # Before any job forks: a forked job inherits the address; the stop also runs at exit.
    start_serve_cluster(args.workers, args.scheduler, jobs=args.jobs)
    app = create_app(
        workspace,
        jobs=args.jobs,
        redis_url=args.redis_url,
        allowed_hosts=[name.strip() for name in args.allowed_hosts.split(",") if name.strip()],
        max_jobs=args.max_jobs,
    )
    warm_up(workspace, before_compiling=first_page_served(app))
    # A server that hangs (in a request, a job start or its exit) can then say where: the dump
    # goes to stderr, and the server goes on. Never unregistered: the process ends in here.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    try:
        interrupted = serve(app, host=args.host, port=args.port)
    except KeyboardInterrupt:  # Ctrl-C outside werkzeug's loop, which swallows it inside
        exit_at_once(130)
    except Terminated:
        print("workbench: terminated", file=sys.stderr)
        exit_at_once(128 + signal.SIGTERM)
    if interrupted:
        exit_at_once(0)
    return 0  # only where serving ended without a signal (a test's stand-in server)


def exit_at_once(code: int) -> NoReturn:
    """Run the exit handlers, then end the process without the interpreter's teardown.

    The handlers kill the running jobs (``app.web.job_pool``) and remove what they left half
    written. The teardown that follows them (garbage-collecting torch, Dash, pandas, numba...)
    needs a CPU-second, which on a loaded 2-core machine was 6-12 s between Ctrl-C and the end of
    the process; nothing in it matters here: the store is written atomically, the listening
    socket is already closed.
    """
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def first_page_served(app) -> threading.Event:
    """Set once the server has answered its first page callback (the first page is on screen)."""
    import flask

    served = threading.Event()

    @app.server.after_request
    def note_first_page(response):
        if flask.request.path.startswith("/_dash-update-component"):
            served.set()
        return response

    return served


def warm_up(
    workspace, before_compiling: threading.Event | None = None, timeout_seconds: float = 120.0
) -> threading.Thread:
    """Load every model, then warm UMAP's compiled code, in a background thread.

    The models come first: the Overview needs their metrics. UMAP's first fit JIT-compiles for
    20-30 s on 2 cores. It is compiled in a child process (:func:`compile_umap`), never in the
    server: jobs are forked from the server, and a fork of a process whose numba thread pool is
    running hangs in its first parallel UMAP call. The child fills numba's on-disk cache, which
    the jobs then load. It waits for ``before_compiling`` (the first page on screen; at most
    ``timeout_seconds``), since next to the first page it made that page take 32 s instead of 5.
    """

    def warm() -> None:
        for name in workspace.model_names():
            try:
                workspace.model(name)
            except Exception:  # the page that needs this model shows its error; warm the rest
                continue
        if before_compiling is not None:
            before_compiling.wait(timeout_seconds)
        compile_umap()

    thread = threading.Thread(target=warm, name="workbench-warm-up", daemon=True)
    thread.start()
    return thread


_UMAP_FIT = """
import sys, warnings
from app.child_process import die_with_parent
die_with_parent(int(sys.argv[1]))  # a killed server takes its warm-up with it

import numpy as np
warnings.simplefilter("ignore")
import umap
points = np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32)
umap.UMAP(n_neighbors=8, n_epochs=10, random_state=0).fit_transform(points)
"""


def compile_umap(timeout_seconds: float = 600.0) -> bool:
    """One tiny seeded UMAP fit in a child process, to fill numba's on-disk cache.

    Returns whether it finished; a failure only means the first UMAP job compiles for itself.
    """
    import subprocess
    import sys

    try:
        done = subprocess.run(
            [sys.executable, "-c", _UMAP_FIT, str(os.getpid())],
            capture_output=True,
            timeout=timeout_seconds,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0
