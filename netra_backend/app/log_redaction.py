"""Keep credentials out of logs, whatever the log level.

At ``debug`` the WebSocket library logs every handshake header, which includes
``Authorization: Bearer <jwt>`` and the browser's ``bearer.<jwt>`` subprotocol. A filter on
the log handlers rewrites any bearer token to ``[redacted]`` before a record is written.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

_BEARER = re.compile(r"(?i)(bearer[ .]+)[^\s,;'\"]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``text`` with every bearer token replaced by ``[redacted]``."""
    return _BEARER.sub(lambda m: m.group(1) + REDACTED, text)


class RedactCredentials(logging.Filter):
    """A handler filter that redacts bearer tokens in each record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "earer" in message:  # cheap test first: most records hold no credential
            record.msg, record.args = redact(message), None
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging setup with :class:`RedactCredentials` on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_credentials"] = {"()": RedactCredentials}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_credentials")
    return config
