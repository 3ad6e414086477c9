"""The Dash app: pages over a workspace's data sets, models and cached results.

``create_app(workspace)`` builds the app; ``workbench serve`` / ``workbench demo`` /
``app.open`` run it. Long analyses are Dash background callbacks (diskcache manager: each
job runs in a forked process) that write their result to the workspace store; pages render from
the store, so a reload or a second tab shows a finished result without recomputing.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import dash
from dash import Dash, dcc, html

from app.web.components import register_exports
from app.web.context import WORKSPACE_KEY, attach_workspace, current_workspace
from app.web.guard import MAX_REQUEST_BYTES, install_guards
from app.web.pages import PAGES

ASSETS = Path(__file__).resolve().parent / "assets"
JOB_MANAGERS = ("diskcache", "celery")
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
APP_TITLE = "Interaction Workbench"


def create_app(
    workspace,
    *,
    jobs: str = "diskcache",
    jobs_dir: str | Path | None = None,
    redis_url: str | None = None,
    allowed_hosts: Iterable[str] = (),
    max_request_bytes: int = MAX_REQUEST_BYTES,
    max_jobs: int | None = None,
) -> Dash:
    """The workbench app over ``workspace``.

    Parameters
    ----------
    workspace : workbench.workspace.Workspace
    jobs : "diskcache" or "celery"
        Background job manager. diskcache: each job runs in a process forked from the server.
        celery: jobs go through Redis to Celery workers started with
        ``WORKBENCH_WORKSPACE=DIR celery -A app.celery_worker worker`` (see that module).
    jobs_dir : path, optional
        Folder of the diskcache manager's cache (default: ``<workspace>/jobs``).
    redis_url : str, optional
        Broker and result backend of the celery manager (default ``$WORKBENCH_REDIS_URL`` or
        redis://127.0.0.1:6379/0).
    allowed_hosts : names, optional
        Host-header names answered besides localhost, 127.0.0.1, [::1] and the address the
        server is bound to (a request naming any other host gets 400: DNS rebinding guard);
        "*" answers any.
    max_request_bytes : int
        Largest request body (default 70 MB: a 50 MB upload, base64-encoded); larger ones
        get 413 before they are read.
    max_jobs : int, optional
        diskcache: jobs that compute at once (default: one less than the CPU count, at least
        1); later ones wait, shown as "Queued (k ahead)". Celery's bound is its workers'.

    Returns
    -------
    dash.Dash
        Run it with ``app.run(host="127.0.0.1", port=8050)``, or ``app.server`` under a WSGI
        server.
    """
    from workbench.errors import ParameterError

    if jobs not in JOB_MANAGERS:
        raise ParameterError(f"jobs: expected one of {', '.join(JOB_MANAGERS)}, got {jobs!r}")
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        background_callback_manager=(
            celery_manager(redis_url)
            if jobs == "celery"
            else _diskcache_manager(jobs_dir or workspace.root / "jobs", max_jobs, workspace.root)
        ),
        suppress_callback_exceptions=True,
        title=APP_TITLE,
        update_title=None,
    )
    install_guards(app.server, allowed_hosts, max_request_bytes)
    attach_workspace(app.server, workspace)
    for page in PAGES:
        page.register(app, workspace)
    register_exports(app)
    app.layout = _shell
    return app


def _diskcache_manager(folder: str | Path, max_jobs: int | None, workspace_root: Path):
    import diskcache

    from app.web.job_pool import DEFAULT_MAX_JOBS, PooledDiskcacheManager
    from app.web.job_record import remove_partial_writes
    from app.web.jobs import queued_progress

    return PooledDiskcacheManager(
        diskcache.Cache(str(folder)),
        DEFAULT_MAX_JOBS if max_jobs is None else max_jobs,
        queued_progress=queued_progress,
        after_killed=lambda pids: remove_partial_writes(workspace_root, pids),
    )


def celery_manager(redis_url: str | None = None):
    """Dash's Celery manager over Redis (``pip install "dash[celery]"``), with late
    acknowledgement and a visible failure when a worker dies mid-job (app.web.celery_jobs)."""
    import os

    from workbench.errors import ParameterError

    try:
        from celery import Celery

        from app.web.celery_jobs import WatchedCeleryManager
    except ImportError:
        raise ParameterError(
            '--jobs celery: Celery is not installed; pip install "dash[celery]"'
        ) from None
    url = redis_url or os.environ.get("WORKBENCH_REDIS_URL", DEFAULT_REDIS_URL)
    from app.web.jobs import lost_output

    return WatchedCeleryManager(Celery("workbench", broker=url, backend=url), lost_output)


def _shell() -> html.Div:
    pages = sorted(dash.page_registry.values(), key=lambda page: page["order"])
    links = [dcc.Link(page["name"], href=page["relative_path"]) for page in pages]
    return html.Div(
        [
            html.Nav(
                [html.Span("Interaction Workbench", className="wb-brand"), *links],
                className="wb-nav",
            ),
            html.Main(_page_container(), className="wb-page"),
            dcc.Store(id=WORKSPACE_KEY, data=str(current_workspace().root)),
        ]
    )


def _page_container() -> html.Div:
    """``dash.page_container`` with the page-title store filled from the start.

    Dash's pages set ``document.title = data.title`` in a clientside callback on this store; when
    the first page's request fails (server busy or restarting) that callback ran on an empty store
    and added "Cannot read properties of undefined (reading 'title')" to the real error.
    """
    from dash.dash import _ID_CONTENT, _ID_DUMMY, _ID_LOCATION, _ID_STORE

    return html.Div(
        [
            dcc.Location(id=_ID_LOCATION, refresh="callback-nav"),
            # a spinner while a page is built (from the store, after a job: seconds), never blank
            dcc.Loading(
                html.Div(id=_ID_CONTENT, disable_n_clicks=True),
                target_components={_ID_CONTENT: "children"},
                overlay_style={"visibility": "visible", "opacity": 0.5},
                delay_show=300,
            ),
            dcc.Store(id=_ID_STORE, data={"title": APP_TITLE}),
            html.Div(id=_ID_DUMMY, disable_n_clicks=True),
        ]
    )
