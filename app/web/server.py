"""Run the app in the foreground (``workbench serve``/``demo``) or a thread (``app.open``)."""

from __future__ import annotations

import errno
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from app.web.guard import allow_host
from workbench.errors import ParameterError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050


def check_port_free(host: str, port: int) -> None:
    """A one-line error when ``host:port`` cannot be bound (taken, or not an address here)."""
    if not 0 <= int(port) <= 65535:
        raise ParameterError(f"--port: expected 0..65535, got {port}")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ParameterError(
                    f"--port: {host}:{port} is already in use (another workbench?); "
                    "pass --port with a free port"
                ) from None
            raise ParameterError(
                f"--host: cannot listen on {host}:{port} ({error.strerror})"
            ) from None


def serve(app, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> bool:
    """Serve until Ctrl-C (SIGINT); binds 127.0.0.1 unless ``host`` says otherwise.

    Returns whether Ctrl-C stopped it (werkzeug ends quietly on Ctrl-C, as if nothing happened).
    """
    check_port_free(host, port)
    allow_host(app.server, host)
    print(f"Interaction Workbench: http://{host}:{port}/  (Ctrl-C stops)", flush=True)
    with interruptible() as interrupted:
        app.run(host=host, port=port, debug=False)
    return interrupted.is_set()


@contextmanager
def interruptible() -> Iterator[threading.Event]:
    """SIGINT raises KeyboardInterrupt while inside, whatever the process inherited; the event
    yielded is set once it has.

    A process started with SIGINT ignored keeps it ignored: Python installs its Ctrl-C handler
    only where SIGINT is at its default. A non-interactive shell ignores SIGINT in every command
    it starts with ``&`` (CI scripts, ``nohup``), and so does everything those commands start:
    such a server shrugged off ``kill -INT`` and ran on until killed. The handler is put back on
    the way out.
    """
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted  # signal handlers can only be set from the main thread
        return

    def interrupt(signum, frame):
        interrupted.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass
class RunningServer:
    """A server running in a background thread; ``stop()`` shuts it down."""

    url: str
    _server: object
    _thread: threading.Thread

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


def serve_in_thread(app, host: str = DEFAULT_HOST, port: int = 0) -> RunningServer:
    """Serve in a daemon thread (port 0 picks a free port); returns at once."""
    from werkzeug.serving import make_server

    if port:
        check_port_free(host, port)
    allow_host(app.server, host)
    server = make_server(host, port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="workbench-server", daemon=True)
    thread.start()
    return RunningServer(f"http://{host}:{server.server_port}/", server, thread)
