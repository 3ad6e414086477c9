"""The Celery worker of ``workbench serve --jobs celery``.

Start it beside the server, on the same workspace folder and Redis::

    WORKBENCH_WORKSPACE=DIR [WORKBENCH_REDIS_URL=redis://...] celery -A app.celery_worker worker

The worker builds the same app as the server, which registers every page's job with Celery under
the same names; a job finds its workspace by the key the page sends (``app/context.py``), and the
workspace's results store is the folder both processes share.
"""

from __future__ import annotations

import os

from app.web import create_app
from workbench.workspace import Workspace

workspace = Workspace.open(os.environ["WORKBENCH_WORKSPACE"])
web_app = create_app(workspace, jobs="celery")
#: what ``celery -A app.celery_worker`` looks for (Celery tries ``app``, then ``celery``)
celery = web_app._background_manager.handle
