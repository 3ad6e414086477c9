"""What a job stored, readable after Cancel: the page's answer to "was anything kept?".

Cancel kills the job at any moment: before it stored anything, or after it stored its result
while it was still drawing the view (a job that finished 1.5 s before Cancel kept its result
while the page said "nothing was stored"). The job notes its pid and, before each store write,
the result's path (``app.analyses.watching_stores``); the Cancel message waits for the job to end
and then checks those files, which the store writes atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import psutil

from app.web.job_pool import job_alive

CANCELLED = "Cancelled: nothing was stored."
STORED_BEFORE_CANCEL = (
    "Cancel came after the job had stored its result, so it is kept: press Run to show it "
    "(it is read from the store, not computed again)."
)
_RECORDS = Path("jobs") / "records"


class JobRecord:
    """The record of the latest job a page ran with given settings in a workspace.

    Parameters
    ----------
    workspace_root : path
        The workspace folder (records live in ``<root>/jobs/records``).
    page : str
        The page's job prefix (``"inter"``).
    values : list
        The job's form values: Run and Cancel send the same ones, so both find the record.
    """

    def __init__(self, workspace_root: str | Path, page: str, values: list) -> None:
        text = json.dumps([page, list(values)], sort_keys=True, default=str)
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        self.path = Path(workspace_root) / _RECORDS / f"{digest}.json"

    def start(self) -> None:
        """Called by the job when it starts, in its own process."""
        self._write({"pid": os.getpid(), "created": _creation_time(os.getpid()), "storing": []})

    def storing(self, result_path: Path) -> None:
        """Called by the job before it stores a result at ``result_path``."""
        record = self._read() or {"pid": os.getpid(), "created": 0.0, "storing": []}
        record["storing"] = [*record["storing"], str(result_path)]
        self._write(record)

    def cancel_message(self, wait_seconds: float = 3.0) -> str:
        """The truth after Cancel: waits (at most ``wait_seconds``) for the job to end, then says
        whether a result it was storing is in the store."""
        deadline = time.monotonic() + wait_seconds
        record = self._read()
        while (
            record is not None
            and job_alive((record["pid"], record["created"]))
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
            record = self._read()
        if record is not None and any(Path(path).is_file() for path in record["storing"]):
            return STORED_BEFORE_CANCEL
        return CANCELLED

    def _read(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def _write(self, record: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        partial.write_text(json.dumps(record))
        os.replace(partial, self.path)


def remove_partial_writes(workspace_root: str | Path, pids: list[int]) -> int:
    """Delete the temporary files of writes that the killed jobs ``pids`` never finished.

    Called by an exiting server once it has killed its jobs: a job killed between writing a
    result's temporary file and renaming it (``ResultStore.put``) left a ``.<stem>.<id>.tmp``
    next to the result it was storing, which its record names. Returns how many files went.
    """
    folder = Path(workspace_root) / _RECORDS
    killed = set(pids)
    partials = [path for pid in killed for path in folder.glob(f"*.{pid}.tmp")]
    for record_path in folder.glob("*.json"):
        try:
            record = json.loads(record_path.read_text())
        except (OSError, ValueError):
            continue
        if record.get("pid") not in killed:
            continue
        for result in map(Path, record.get("storing", [])):
            partials += result.parent.glob(f".{result.stem}.*.tmp")
    for path in partials:
        path.unlink(missing_ok=True)
    return len(partials)


def _creation_time(pid: int) -> float:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return 0.0
