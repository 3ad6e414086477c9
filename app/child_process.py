"""Child processes of the server that end with it and hold none of its sockets.

A job is a fork of the server, so without care it outlives a killed server (SIGKILL, SIGTERM,
``kill -INT``) and keeps a copy of the listening socket: the port stays taken and a restart says
"already in use" until the orphan finishes. Linux's parent-death signal ends the child with its
parent; replacing the inherited network sockets frees the port even before that.

Only the standard library here: the UMAP warm-up child imports this module before anything else.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> bool:
    """Ask the kernel to SIGKILL this process when the thread that forked it ends (Linux only).

    The signal follows the forking *thread*, not the process, so fork from a thread that lives as
    long as the server (see ``app.web.job_pool``). ``parent_pid`` is the server's pid as the parent
    saw it: if the server died before this call, the signal would never come, so exit now.
    Returns whether the signal is armed (False off Linux).
    """
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return False
    if os.getppid() != parent_pid:
        os._exit(1)
    return True


def release_inherited_sockets() -> int:
    """Point every inherited TCP socket of this process at /dev/null; returns how many.

    A forked job needs no network socket (it talks to the server through files), but it inherits
    the listening socket and the request's connection. Closing their descriptors would let a later
    ``open`` reuse the numbers while Python's socket objects still own them; ``dup2`` keeps the
    numbers valid and drops the sockets.
    """
    released = 0
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for descriptor in _socket_descriptors():
            os.dup2(null, descriptor)
            released += 1
    finally:
        os.close(null)
    return released


def _socket_descriptors() -> list[int]:
    folder = "/proc/self/fd"
    if not os.path.isdir(folder):
        return []
    descriptors = []
    for name in os.listdir(folder):
        try:
            target = os.readlink(f"{folder}/{name}")
        except OSError:  # the descriptor listdir itself used, closed by now
            continue
        if target.startswith("socket:") and _is_network_socket(int(name)):
            descriptors.append(int(name))
    return descriptors


def _is_network_socket(descriptor: int) -> bool:
    try:
        probe = socket.socket(fileno=os.dup(descriptor))
    except OSError:
        return False
    try:
        return probe.family in (socket.AF_INET, socket.AF_INET6)
    finally:
        probe.close()
