"""How ``netra serve`` logs: uvicorn's text lines, or JSON lines (``NETRA_LOG_FORMAT=json``).

JSON: one object per line, ``{"time", "level", "logger", "message"}``, plus ``run_id`` and
``user_id`` when the call passed them (``logger.info(..., extra={"run_id": ...})``), an
``exception`` with the traceback when there is one, and for the access log ``client``,
``method``, ``path``, ``http_version`` and ``status``. ``time`` is ISO 8601 UTC with
milliseconds.

Credentials stay out either way: :class:`~.log_redaction.RedactCredentials` is on every
handler, and the JSON formatter redacts each string it writes once more (the traceback and
the extra fields too), so nothing it adds can carry a token past the filter. The service never
logs passwords or what users wrote (messages) at all.

Both formats route the service's own loggers (``netra_backend.*``) through the same handler at
``NETRA_LOG_LEVEL`` (before, they fell through to Python's last-resort handler, unfiltered);
other libraries' loggers log from ``warning`` up.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from netra_backend.app.log_redaction import UNFORMATTABLE, redact, uvicorn_log_config

CONTEXT_FIELDS = ("run_id", "user_id")
"""Record attributes (set with ``extra=``) copied into a JSON line when present."""
ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")
"""The five arguments of uvicorn's access-log record, named."""
LEVELS = {"trace": 5, "debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line, every string in it redacted."""
        try:
            message = record.getMessage()
        except Exception:  # a log call must never break the log
            message = UNFORMATTABLE
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(message),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = redact(str(value))
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            for name, value in zip(ACCESS_FIELDS, args, strict=True):
                entry[name] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return orjson.dumps(entry, default=str).decode()


def log_config(log_format: str = "text", log_level: str = "info") -> dict[str, Any]:
    """uvicorn's ``log_config`` for ``netra serve``: redacting handlers, the service's loggers
    at ``log_level``, and JSON formatters when ``log_format`` is ``json``."""
    config = uvicorn_log_config()
    if log_format == "json":
        config["formatters"] = {
            "default": {"()": JsonFormatter},
            "access": {"()": JsonFormatter},
        }
    config["loggers"]["netra_backend"] = {"level": LEVELS.get(log_level, logging.INFO)}
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
