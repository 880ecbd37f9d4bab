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
