"""Who gets in: a rebinding page's Host header is refused; a huge body is refused unread."""

from __future__ import annotations

import socket
import time

import pytest


@pytest.fixture
def empty_app(tmp_path):
    from app.web import create_app
    from workbench.workspace import Workspace

    return create_app(Workspace.create(tmp_path / "ws"), jobs_dir=tmp_path / "jobs")


def test_a_foreign_host_header_is_refused_with_one_line(empty_app):
    client = empty_app.server.test_client()
    refused = client.get("/_dash-layout", headers={"Host": "evil.example:8050"})
    assert refused.status_code == 400
    reason = refused.get_data(as_text=True)
    assert reason.count("\n") == 1 and "'evil.example' is not allowed" in reason
    for host in ("127.0.0.1:8050", "localhost:8050", "[::1]:8050", "localhost"):
        assert client.get("/_dash-layout", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_and_the_bound_address_are_answered(tmp_path):
    from app.web import create_app
    from app.web.guard import allow_host
    from workbench.workspace import Workspace

    app = create_app(Workspace.create(tmp_path / "ws"), allowed_hosts=["Lab-Box"])
    client = app.server.test_client()
    assert client.get("/_dash-layout", headers={"Host": "lab-box:80"}).status_code == 200
    assert client.get("/_dash-layout", headers={"Host": "10.1.2.3:80"}).status_code == 400
    allow_host(app.server, "10.1.2.3")
    assert client.get("/_dash-layout", headers={"Host": "10.1.2.3:80"}).status_code == 200


def test_cli_passes_allowed_hosts(monkeypatch, tmp_path):
    from app.cli import main
    from app.cli import serve as cli_serve
    from workbench.workspace import Workspace

    Workspace.create(tmp_path)
    seen = {}

    def fake_serve(app, host, port):
        client = app.server.test_client()
        for name in ("a.lan", "b.lan", "c.lan"):
            seen[name] = client.get("/_dash-layout", headers={"Host": name}).status_code

    monkeypatch.setattr("app.web.server.serve", fake_serve)
    monkeypatch.setattr(cli_serve, "warm_up", lambda *args, **kwargs: None)
    assert main(["serve", "--workspace", str(tmp_path), "--allowed-hosts", "a.lan, b.lan"]) == 0
    assert seen == {"a.lan": 200, "b.lan": 200, "c.lan": 400}


def test_a_200_mb_body_is_refused_before_it_is_read(empty_app):
    from app.web.server import serve_in_thread

    server = serve_in_thread(empty_app)
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(
                b"POST /_dash-update-component HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\n"
                + f"Content-Length: {200 * 2**20}\r\n\r\n".encode()
            )
            # Only 1 MB of the announced 200 MB is ever sent: the answer must not wait for more.
            connection.sendall(b" " * 2**20)
            started = time.monotonic()
            answer = b""
            while b"limit" not in answer and (chunk := connection.recv(4096)):
                answer += chunk
            answer = answer.decode()
        assert answer.startswith("HTTP/1.1 413"), answer
        assert "larger than the 70 MB limit" in answer
        assert time.monotonic() - started < 5
    finally:
        server.stop()


def test_the_request_limit_lets_the_largest_upload_through():
    import base64

    from app.web.guard import MAX_REQUEST_BYTES, MAX_UPLOAD_BYTES

    encoded = len(base64.b64encode(b"x" * MAX_UPLOAD_BYTES))
    assert encoded + 2**20 < MAX_REQUEST_BYTES < 100 * 2**20
