"""JSON log lines: the keys an operator filters on, and no credential in any of them."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from netra_backend.app.log_format import JsonFormatter, log_config
from netra_backend.app.log_redaction import REDACTED, RedactCredentials

pytestmark = pytest.mark.unit

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl"


def _record(msg: str, args: tuple[object, ...] = (), **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("netra_backend.app.x", logging.WARNING, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def _line(record: logging.LogRecord) -> dict[str, object]:
    assert RedactCredentials().filter(record)  # as on every handler
    text = JsonFormatter().format(record)
    assert "\n" not in text
    parsed = json.loads(text)
    assert isinstance(parsed, dict)
    return parsed


def test_json_line_has_time_level_logger_message_and_ids() -> None:
    line = _line(_record("run %s ended", ("r1",), run_id="r1", user_id="u1"))
    assert line["level"] == "WARNING" and line["logger"] == "netra_backend.app.x"
    assert line["message"] == "run r1 ended"
    assert (line["run_id"], line["user_id"]) == ("r1", "u1")
    assert str(line["time"]).endswith("Z")


def test_json_line_leaves_out_ids_a_record_does_not_have() -> None:
    assert set(_line(_record("plain"))) == {"time", "level", "logger", "message"}


def test_json_line_redacts_tokens_in_message_args_extras_and_traceback() -> None:
    try:
        raise ValueError(f"Authorization: Bearer {TOKEN}")
    except ValueError:
        record = _record("header %s", (f"bearer.{TOKEN}",), user_id=f"Bearer {TOKEN}")
        record.exc_info = sys.exc_info()
    line = _line(record)
    text = json.dumps(line)
    assert TOKEN not in text
    assert REDACTED in str(line["message"]) and REDACTED in str(line["exception"])
    assert "ValueError" in str(line["exception"])


def test_access_record_gets_named_fields_and_a_redacted_path() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/health?token=s3cret", "1.1", 200),
        None,
    )
    line = _line(record)
    assert line["method"] == "GET" and line["status"] == 200
    assert line["path"] == f"/api/health?token={REDACTED}"
    assert "s3cret" not in json.dumps(line)


def test_json_log_config_formats_every_handler_as_json_and_keeps_the_filter() -> None:
    config = log_config("json", "debug")
    assert {spec["()"] for spec in config["formatters"].values()} == {JsonFormatter}
    for handler in config["handlers"].values():
        assert "redact_credentials" in handler["filters"]
    assert config["loggers"]["netra_backend"]["level"] == logging.DEBUG
    assert config["root"]["handlers"] == ["default"]


def test_text_log_config_keeps_uvicorns_formatters() -> None:
    config = log_config("text", "info")
    assert config["formatters"]["default"]["()"] == "uvicorn.logging.DefaultFormatter"
    assert config["loggers"]["netra_backend"]["level"] == logging.INFO
