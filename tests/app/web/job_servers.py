"""``workbench serve`` in a subprocess, with a fault planted, for the fault-injection tests.

Modes (what the launcher changes before it serves):
- ``slow-compute``: the interactions analysis ticks for a minute (a test-only slow analysis);
- ``busy-compute``: the interactions analysis keeps a core busy for two minutes (load tests);
- ``slow-store``: results compute as usual, but each store write stalls for a minute between
  writing its temporary file and renaming it (a kill then lands mid-write);
- ``plain``: nothing.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

LAUNCHER = """
import dataclasses, os, sys, time
import app.analyses as analyses
from app.cli import main

root, port, mode, max_jobs = sys.argv[1:5]
if mode == "busy-compute":
    import numpy as np
    def busy(model, parameters, progress):
        deadline = time.monotonic() + 120
        matrix = np.random.default_rng(0).normal(size=(200, 200))
        while time.monotonic() < deadline:
            matrix = np.tanh(matrix @ matrix.T / 200)
            if progress is not None:
                progress("busy", 0, 1)
        raise RuntimeError("the busy test analysis ran to its end")

    spec = analyses.ANALYSES["interactions"]
    analyses.ANALYSES["interactions"] = dataclasses.replace(spec, compute=busy)
elif mode == "slow-compute":
    def tick(model, parameters, progress):
        for step in range(600):
            if progress is not None:
                progress("slow", step, 600)
            time.sleep(0.1)
        raise RuntimeError("the slow test analysis ran to its end")

    spec = analyses.ANALYSES["interactions"]
    analyses.ANALYSES["interactions"] = dataclasses.replace(spec, compute=tick)
elif mode == "slow-store":
    fsync = os.fsync
    def stalled_fsync(descriptor):
        time.sleep(60)
        fsync(descriptor)
    os.fsync = stalled_fsync
sys.exit(main(["serve", "--workspace", root, "--port", port, "--max-jobs", max_jobs]))
"""

#: the interactions page's form for the XOR workspace of tests/app/conftest.py
XOR_FORM = {
    "inter-data": "xor",
    "inter-model": "xor-logistic",
    "inter-index": "sii",
    "inter-rows": 20,
    "inter-background": 10,
    "inter-scale": "auto",
    "inter-clip": 1e-7,
    "inter-aggregate": "mean_abs",
    "inter-url": "",
}
XOR_PAGE = "?data=xor&model=xor-logistic&index=sii&rows=20&background=10"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(
    root: Path, port: int, mode: str, log: Path, max_jobs: int = 2, ignore_sigint: bool = False
) -> subprocess.Popen:
    """The server on 127.0.0.1:``port``, in its own session (a signal reaches it alone).

    ``ignore_sigint``: start it with SIGINT ignored, as a non-interactive shell starts a command
    with ``&`` (a CI script, ``nohup``); whatever the test process inherited, it is then the same.
    """
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(root), str(port), mode, str(max_jobs)],
        stdout=open(log, "a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        if ignore_sigint
        else None,
    )


def stopped_in_time(server: subprocess.Popen, log: Path, timeout_seconds: float) -> None:
    """Fail, with the server's thread stacks, if it has not ended within ``timeout_seconds``.

    A server that outlives its signal then says where it is stuck instead of only timing out.
    """
    try:
        server.wait(timeout=timeout_seconds)
    except subprocess.TimeoutExpired:
        stacks = thread_stacks(server, log)
        raise AssertionError(
            f"the server still runs {timeout_seconds:g} s after the signal; its threads:\n{stacks}"
        ) from None


def thread_stacks(server: subprocess.Popen, log: Path, wait_seconds: float = 5.0) -> str:
    """Every thread's stack, which ``workbench serve`` writes to its log on SIGUSR1."""
    size = log.stat().st_size
    server.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + wait_seconds
    while True:
        time.sleep(0.2)
        with open(log, errors="replace") as text:
            text.seek(size)
            stacks = text.read()
        if "Current thread" in stacks or time.monotonic() > deadline:
            return stacks


def form(workspace) -> dict:
    return {**XOR_FORM, "wb-workspace-key": str(workspace.root)}


def wait_gone(processes: list[psutil.Process], timeout_seconds: float) -> list[psutil.Process]:
    """The processes still alive (zombies count as gone) after at most ``timeout_seconds``."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        alive = [p for p in processes if _running(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stop(server: subprocess.Popen) -> None:
    """Kill what is left of a test server and its children."""
    try:
        family = [psutil.Process(server.pid), *psutil.Process(server.pid).children(True)]
    except psutil.Error:
        family = []
    for process in family:
        try:
            process.kill()
        except psutil.Error:
            pass
    server.wait(timeout=10)
