"""The diskcache job manager of ``workbench serve``: a bounded pool of forked jobs that end with
the server.

Dash's ``DiskcacheManager`` forks one process per job, from the request's thread, with no limit:
six jobs on two cores made a stored page take 2-5 s instead of 0.3 s, and a killed server left
its jobs running with a copy of the listening socket (the port stayed taken). Here:

- at most ``max_jobs`` jobs compute at once; a later job waits in its process, in start order,
  with "Queued (k ahead)" as its progress, and Cancel ends it as it ends a running one;
- every job forks from one long-lived thread, so Linux's parent-death signal (which follows the
  forking thread) ends the job when the server dies, whatever killed it;
- a job drops its inherited network sockets first, and an exiting server kills its jobs instead
  of waiting for them (``multiprocess`` would join them at exit);
- no job forks while another thread of the server is importing a module: the child would inherit
  that module's import lock held by a thread it does not have, and hang at its first import of
  the module (seen: a job forked while the warm-up imported scikit-learn never started).
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

import psutil
from dash import DiskcacheManager

from app.child_process import die_with_parent, release_inherited_sockets
from workbench.errors import ParameterError

#: jobs computing at once: one core is left to the server, which renders the pages
DEFAULT_MAX_JOBS = max(1, (os.cpu_count() or 2) - 1)
_QUEUE_POLL_SECONDS = 0.2
_IMPORT_WAIT_SECONDS = 60.0
_KILL_WAIT_SECONDS = 3.0

#: a job as the pool knows it: (pid, creation time), so a reused pid is not taken for the job
Job = tuple[int, float]


class PooledDiskcacheManager(DiskcacheManager):
    """A ``DiskcacheManager`` that runs at most ``max_jobs`` jobs at once.

    Parameters
    ----------
    cache : diskcache.Cache
    max_jobs : int
        Jobs that compute at once (at least 1); later ones queue.
    queued_progress : callable, optional
        ``queued_progress(ahead)`` is the progress value a queued job shows, ``ahead`` being how
        many jobs must end before it starts.
    after_killed : callable, optional
        ``after_killed(pids)``, called at exit once the jobs still running are dead (to remove
        what they left half written).
    """

    def __init__(
        self, cache, max_jobs: int = DEFAULT_MAX_JOBS, queued_progress=None, after_killed=None
    ):
        if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or max_jobs < 1:
            raise ParameterError(f"max_jobs: expected an integer >= 1, got {max_jobs!r}")
        super().__init__(cache)
        self.max_jobs = max_jobs
        self._queued_progress = queued_progress
        self._after_killed = after_killed
        self._started: list[Job] = []
        self._forker: _ForkingThread | None = None
        self._forker_lock = threading.Lock()

    def call_job_fn(self, key, job_fn, args, context):
        job_args = (key, self._make_progress_key(key), args, context)
        return self._forking_thread().run(lambda: self._start(job_fn, job_args))

    def jobs(self) -> list[Job]:
        """The jobs started by this server that are still alive (running or queued)."""
        return [job for job in self._started if job_alive(job)]

    def _start(self, job_fn, job_args) -> int:
        from multiprocess import Process

        ahead = self.jobs()  # runs in the forking thread only, so no lock is needed
        progress_key = job_args[1]

        def report(waiting: int) -> None:
            if self._queued_progress is not None:
                self.handle.set(progress_key, list(self._queued_progress(waiting)))

        process = Process(
            target=_job_process,
            args=(job_fn, job_args, os.getpid(), ahead, self.max_jobs, report),
        )
        wait_for_imports(_IMPORT_WAIT_SECONDS)
        process.start()
        self._started = [*ahead, (process.pid, _creation_time(process.pid))]
        return process.pid

    def _forking_thread(self) -> _ForkingThread:
        with self._forker_lock:
            # A manager built before a fork (a preloading WSGI server) needs its own thread.
            if self._forker is None or self._forker.owner != os.getpid():
                from multiprocess.util import Finalize

                self._forker = _ForkingThread()
                # multiprocess's exit handler runs these before it joins (waits for) every job
                Finalize(None, self._end_jobs, exitpriority=10)
            return self._forker

    def _end_jobs(self) -> None:
        """Kill the jobs (and what they started) and wait for them, at most a few seconds.

        Not ``terminate_job``: it takes the job cache's SQLite lock around each kill, which a
        request thread may hold at that moment; a kill needs no lock.
        """
        family = []
        for pid, _ in self.jobs():
            try:
                job = psutil.Process(pid)
                family += [*job.children(recursive=True), job]
            except psutil.Error:
                continue
        for process in family:
            try:
                process.kill()
            except psutil.Error:
                continue
        psutil.wait_procs(family, timeout=_KILL_WAIT_SECONDS)
        if family and self._after_killed is not None:
            self._after_killed([process.pid for process in family])


def job_alive(job: Job) -> bool:
    """Whether the job's process still runs (a finished, unreaped job is a zombie: not alive)."""
    pid, created = job
    try:
        process = psutil.Process(pid)
        return process.create_time() == created and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def wait_for_slot(
    ahead: list[Job],
    max_jobs: int,
    report: Callable[[int], None],
    poll_seconds: float = _QUEUE_POLL_SECONDS,
) -> None:
    """Wait until fewer than ``max_jobs`` of the jobs started before this one are alive.

    Jobs start in order and each waits for its own predecessors, so at most ``max_jobs`` compute
    at once, and a cancelled or crashed job frees its place by ending (no lock to leak).
    ``report(k)`` is called when the number of jobs that must end first changes.
    """
    shown = None
    while True:
        ahead = [job for job in ahead if job_alive(job)]
        waiting = len(ahead) - max_jobs + 1
        if waiting <= 0:
            return
        if waiting != shown:
            report(waiting)
            shown = waiting
        time.sleep(poll_seconds)


def wait_for_imports(timeout_seconds: float) -> bool:
    """Wait until no other thread holds a module's import lock; returns whether none does.

    Reads CPython's table of per-module import locks (``importlib._bootstrap._module_locks``,
    a lock with ``count`` > 0 is held); where it is absent, it returns at once.
    """
    deadline = time.monotonic() + timeout_seconds
    while _importing_elsewhere():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _importing_elsewhere() -> bool:
    import importlib._bootstrap as bootstrap

    me = threading.get_ident()
    for reference in list(getattr(bootstrap, "_module_locks", {}).values()):
        lock = reference()
        if lock is not None and getattr(lock, "count", 0) and getattr(lock, "owner", me) != me:
            return True
    return False


def _job_process(job_fn, job_args, server_pid, ahead, max_jobs, report) -> None:
    die_with_parent(server_pid)
    release_inherited_sockets()
    wait_for_slot(ahead, max_jobs, report)
    job_fn(*job_args)


def _creation_time(pid: int) -> float:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:  # already gone: nothing will wait for it
        return 0.0


class _ForkingThread:
    """One thread that lives as long as the server and forks every job.

    The parent-death signal fires when the thread that forked the child ends; a request's thread
    ends with the request, which would kill the job at once.
    """

    def __init__(self) -> None:
        self.owner = os.getpid()
        self._requests: queue.Queue = queue.Queue()
        threading.Thread(target=self._serve, name="workbench-jobs", daemon=True).start()

    def run(self, start: Callable[[], int]) -> int:
        done: Future = Future()
        self._requests.put((start, done))
        return done.result()

    def _serve(self) -> None:
        while True:
            start, done = self._requests.get()
            try:
                done.set_result(start())
            except BaseException as error:  # handed to the request that asked
                done.set_exception(error)
