"""Bearer tokens never reach a log line, whatever logs them."""

from __future__ import annotations

import logging

import pytest

from netra_backend.app.log_redaction import REDACTED, RedactCredentials, redact

pytestmark = pytest.mark.unit

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "line",
    [
        f"< authorization: Bearer {TOKEN}",
        f"< sec-websocket-protocol: netra.v1, bearer.{TOKEN}",
        f"header Authorization='BEARER {TOKEN}'",
    ],
)
def test_redact_removes_the_token_and_keeps_the_rest(line: str) -> None:
    cleaned = redact(line)
    assert TOKEN not in cleaned and REDACTED in cleaned
    assert cleaned.startswith(line.split(TOKEN)[0])


def test_filter_rewrites_formatted_records() -> None:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.DEBUG,
        __file__,
        1,
        "< %s",
        (f"authorization: Bearer {TOKEN}",),
        None,
    )
    assert RedactCredentials().filter(record) is True
    assert TOKEN not in record.getMessage()


def _access_record(path: str) -> logging.LogRecord:
    # Exactly what uvicorn's access logger emits; its formatter unpacks the five arguments.
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )


def _access_line(record: logging.LogRecord) -> str:
    from uvicorn.logging import AccessFormatter

    assert RedactCredentials().filter(record) is True
    return AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s").format(record)


def test_filter_keeps_access_records_formattable_for_a_bare_bearer_word() -> None:
    line = _access_line(_access_record("/api/health?bearer"))
    assert line == "127.0.0.1:5000 GET /api/health?bearer HTTP/1.1 200 OK"


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "access_token",
        "ACCESS_TOKEN",
        "jwt",
        "id_token",
        "refresh_token",
        "auth",
        "Authorization",
        "api_key",
        "apiKey",
        "session",
        "client_secret",
        "password",
        "X-Amz-Signature",
    ],
)
def test_redact_hides_token_like_query_parameters(name: str) -> None:
    line = _access_line(_access_record(f"/api/ws?a=1&{name}=s3cr3t-value&b=2"))
    assert "s3cr3t-value" not in line
    assert f"?a=1&{name}={REDACTED}&b=2" in line


@pytest.mark.parametrize("path", ["/api/runs?limit=5", "/api/runs?author=ada", "/x?q=bearer"])
def test_redact_keeps_ordinary_query_parameters(path: str) -> None:
    if "author" in path:  # a name containing "auth" is redacted: better safe than sorry
        assert redact(path) == f"/api/runs?author={REDACTED}"
    else:
        assert redact(path) == path


def test_redact_hides_a_jwt_anywhere() -> None:
    assert redact(f"GET /api/runs/{TOKEN}") == f"GET /api/runs/{REDACTED}"


def test_filter_redacts_a_token_split_between_format_and_argument() -> None:
    record = logging.LogRecord(
        "websockets", logging.DEBUG, __file__, 1, "< Authorization: Bearer %s", ("abc123",), None
    )
    assert RedactCredentials().filter(record) is True
    assert record.getMessage() == f"< Authorization: Bearer {REDACTED}"


def test_filter_never_raises_on_a_broken_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %s", ("only one",), None)
    assert RedactCredentials().filter(record) is True
    assert "could not be formatted" in record.getMessage()
