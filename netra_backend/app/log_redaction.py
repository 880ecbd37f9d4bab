"""Keep credentials out of logs, whatever the log level; never break a log line doing it.

At ``debug`` the WebSocket library logs every handshake header, which includes
``Authorization: Bearer <jwt>`` and the browser's ``bearer.<jwt>`` subprotocol; the access
log writes each request's query string, where a client may put ``?token=...`` by mistake.
A filter on the log handlers replaces, before a record is written:

- a bearer token (``Bearer <token>``, ``bearer.<token>``),
- the value of every token-like query parameter: any name containing ``token``, ``jwt``,
  ``auth``, ``bearer``, ``secret``, ``passw``, ``api_key``/``apikey``, ``session``,
  ``signature`` or ``credential`` (any letter case), e.g. ``access_token``, ``id_token``,
- anything shaped like a JWT (``eyJ...`` with two dots),

with ``[redacted]``. Each string argument of a record is redacted on its own, so records that
formatters unpack (uvicorn's access log) keep their shape; only when a credential spans the
format string and its arguments is the record replaced by its redacted text. The filter never
raises: a record that cannot even be formatted is replaced by a note saying so.
Every pattern is linear in the length of the line.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
# Not after a path or query character: "/api/health?bearer HTTP/1.1" holds no token.
_BEARER = re.compile(r"(?i)(?<![\w?&=/.%-])(bearer[ .]+)[^\s,;'\"]+")
# A parameter name is at most 64 characters, so a failed match costs at most that much.
_QUERY_PARAM = re.compile(r"([?&;])([^=&;\s?#\"']{1,64})=([^&;\s#\"']*)")
_SENSITIVE_NAME = re.compile(
    r"(?i)token|jwt|auth|bearer|secret|passw|api[_-]?key|session|signature|credential"
)
_JWT = re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*")
UNFORMATTABLE = "log record withheld: it could not be formatted to check it for credentials"


def _param(match: re.Match[str]) -> str:
    if _SENSITIVE_NAME.search(match.group(2)) is None:
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}={REDACTED}"


def redact(text: str) -> str:
    """``text`` with every credential (see the module docstring) replaced by ``[redacted]``."""
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _QUERY_PARAM.sub(_param, text)
    return _JWT.sub(REDACTED, text)


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


def _redact_args(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(_redact_value(arg) for arg in args)
    if isinstance(args, Mapping):
        return {key: _redact_value(value) for key, value in args.items()}
    return args


def redact_record(record: logging.LogRecord) -> None:
    """Redact ``record`` in place (see the module docstring). May raise; the filter doesn't."""
    message = record.getMessage()
    cleaned = redact(message)
    if cleaned == message:
        return
    if record.args:
        record.args = _redact_args(record.args)
        if redact(record.getMessage()) == record.getMessage():
            return
    record.msg, record.args = cleaned, ()


class RedactCredentials(logging.Filter):
    """A handler filter that redacts credentials in each record; it never raises."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            redact_record(record)
        except Exception:  # a log filter must never break the log call
            record.msg, record.args = UNFORMATTABLE, ()
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging setup with :class:`RedactCredentials` on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_credentials"] = {"()": RedactCredentials}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_credentials")
    return config
