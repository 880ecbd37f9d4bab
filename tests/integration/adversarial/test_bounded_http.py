"""Bounded HTTP input on a real ``netra serve``: 431, 413, 408 as JSON, idle connections closed.

Raw sockets, so the tests control exactly which bytes reach the server and when. Nothing
here measures time: a refusal is proved by the answer, and "before the body is read" by
never sending the body the request declares.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from test_framework.server import ServerProcess, running_server

pytestmark = pytest.mark.integration

HEADER_LIMIT = 16 * 1024
BODY_LIMIT = 64 * 1024
READ_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    # Short timeouts keep the test quick; the limits are the defaults.
    env = {"NETRA_HTTP_HEADER_TIMEOUT_SECONDS": "1", "NETRA_HTTP_IDLE_TIMEOUT_SECONDS": "1"}
    with running_server(env=env) as process:
        yield process


def _connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=READ_TIMEOUT)
    return sock


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP response: status, lower-cased headers, body (by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response; got {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        body += chunk
    return int(status_line.split()[1]), headers, body[:length]


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def _error(body: bytes) -> Any:
    return json.loads(body)["error"]


def test_http_header_over_limit_in_one_piece_gets_431(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 65536 + b"\r\n\r\n")
        status, headers, body = _read_response(sock)
        assert status == 431
        assert headers["content-type"] == "application/json"
        assert _error(body)["code"] == "headers_too_large"
        assert str(HEADER_LIMIT) in _error(body)["message"]
        assert _closed_by_server(sock)


def test_http_header_over_limit_in_pieces_gets_431(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        status = None
        try:
            for _ in range(64):  # 64 headers of 1 KiB, never a blank line
                sock.sendall(b"X-Pad: " + b"a" * 1017 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-way: the answer is already waiting
        status, _, body = _read_response(sock)
        assert status == 431
        assert _error(body)["code"] == "headers_too_large"


def test_http_header_under_limit_is_served(server: ServerProcess) -> None:
    response = httpx.get(f"{server.base_url}/api/health", headers={"X-Pad": "a" * 15000})
    assert response.status_code == 200


def test_http_declared_body_over_limit_gets_413_before_it_is_sent(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10485760\r\n\r\n"
        )  # and not one byte of the body
        status, headers, body = _read_response(sock)
    assert status == 413
    assert headers["content-type"] == "application/json"
    assert _error(body) == {
        "code": "body_too_large",
        "message": "the request body of 10485760 bytes exceeds the limit of 65536 bytes",
    }


def test_http_chunked_body_over_limit_gets_413_while_streaming(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"a" * 16384
        for _ in range(5):  # 80 KiB, and never the final zero-size chunk
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        status, _, body = _read_response(sock)
    assert status == 413
    assert _error(body)["code"] == "body_too_large"


def test_http_body_over_limit_from_a_real_client_gets_413(server: ServerProcess) -> None:
    payload = {"email": "ada@example.com", "password": "x" * (BODY_LIMIT + 1)}
    response = httpx.post(f"{server.base_url}/api/auth/login", json=payload)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_http_half_sent_head_gets_408_and_is_closed(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        status, _, body = _read_response(sock)
        assert status == 408
        assert _error(body)["code"] == "request_timeout"
        assert _closed_by_server(sock)


def test_http_silent_connection_is_closed(server: ServerProcess) -> None:
    with _connect(server) as sock:
        assert _closed_by_server(sock)


def test_http_idle_keep_alive_connection_is_closed(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, body = _read_response(sock)
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        assert _closed_by_server(sock)


def test_http_bad_request_gets_json_400(server: ServerProcess) -> None:
    with _connect(server) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        status, headers, body = _read_response(sock)
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert _error(body)["code"] == "bad_request"


def test_access_log_is_clean_for_bearer_and_redacts_token_parameters(
    server: ServerProcess,
) -> None:
    secret = "s3cr3t-token-value"
    for path in (
        "/api/health?bearer",
        f"/api/health?token={secret}",
        f"/api/health?ACCESS_TOKEN={secret}&jwt={secret}",
        f"/api/health?id_token={secret}",
    ):
        assert httpx.get(server.base_url + path).status_code == 200
    # One more request after them, so the lines above are surely written.
    assert httpx.get(f"{server.base_url}/api/health?done=1").status_code == 200
    log = server.log_text()
    assert "/api/health?done=1" in log
    assert "Logging error" not in log and "Traceback" not in log
    assert "/api/health?bearer HTTP/1.1" in log
    assert secret not in log
    assert "token=[redacted]" in log and "ACCESS_TOKEN=[redacted]&jwt=[redacted]" in log
