"""The Celery job manager of ``workbench serve --jobs celery``: a job whose worker died fails
visibly instead of spinning forever.

A Celery task's state stays PENDING when the worker running it is killed, and Dash polls a PENDING
job for ever (375 s watched, worker restarted, nothing redelivered). Here:

- tasks are acknowledged late and rejected when their worker process is lost, so Celery hands
  them to another worker (at once when a prefork child dies; after Redis' visibility timeout
  when the whole worker dies);
- while a job runs, its worker refreshes a heartbeat key in Redis every few seconds; a job that
  started but whose heartbeat expired is reported by the page as failed ("the worker ... stopped").

``WORKBENCH_JOB_LOST_SECONDS`` (default 30) sets how long a silent job counts as running; the
worker and the server read it alike.
"""

from __future__ import annotations

import os
import threading

from dash import CeleryManager

_PREFIX = "workbench-job"
_STARTED_TTL_SECONDS = 7 * 24 * 3600
DEFAULT_LOST_SECONDS = 30.0


def lost_after_seconds() -> float:
    """Seconds without a heartbeat after which a started job counts as lost."""
    return float(os.environ.get("WORKBENCH_JOB_LOST_SECONDS", DEFAULT_LOST_SECONDS))


class WatchedCeleryManager(CeleryManager):
    """Dash's ``CeleryManager`` with late acknowledgement and worker heartbeats.

    Parameters
    ----------
    celery_app : celery.Celery
        With a Redis broker and result backend.
    lost_output : callable
        ``lost_output()`` is what the job's callback returns when its worker died.
    """

    def __init__(self, celery_app, lost_output) -> None:
        celery_app.conf.update(
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,  # a worker holds no job it has not started
        )
        super().__init__(celery_app)
        self._lost_output = lost_output
        _send_heartbeats(celery_app)

    def job_lost(self, job) -> bool:
        """Whether ``job`` started on a worker that has not been heard of since."""
        if not job:
            return False
        client = self.handle.backend.client
        return bool(client.exists(_key("started", job))) and not client.exists(_key("alive", job))

    def job_running(self, job):
        return super().job_running(job) and not self.job_lost(job)

    def get_result(self, key, job):
        result = super().get_result(key, job)
        if result is self.UNDEFINED and self.job_lost(job):
            return self._lost_output()
        return result


def _key(kind: str, job) -> str:
    return f"{_PREFIX}-{kind}-{job}"


def _send_heartbeats(celery_app) -> None:
    """In a worker: mark each job started and keep its heartbeat fresh while it runs."""
    from celery.signals import task_postrun, task_prerun

    beating: dict[str, threading.Event] = {}

    def start(task_id=None, **_):
        lost_after = lost_after_seconds()
        client = celery_app.backend.client
        client.set(_key("alive", task_id), 1, px=int(lost_after * 1000))
        client.set(_key("started", task_id), 1, ex=_STARTED_TTL_SECONDS)
        stop = beating[task_id] = threading.Event()

        def beat() -> None:
            while not stop.wait(lost_after / 5):
                client.set(_key("alive", task_id), 1, px=int(lost_after * 1000))

        threading.Thread(target=beat, name=f"heartbeat-{task_id}", daemon=True).start()

    def end(task_id=None, **_):
        stop = beating.pop(task_id, None)
        if stop is not None:
            stop.set()
        celery_app.backend.client.delete(_key("started", task_id), _key("alive", task_id))

    # Signals hold weak references by default; these closures must outlive this call.
    task_prerun.connect(start, weak=False)
    task_postrun.connect(end, weak=False)
