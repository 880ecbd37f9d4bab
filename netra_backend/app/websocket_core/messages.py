"""Client -> server frames: parsing and validation. Pure: text in, frame objects out.

Every problem raises :class:`ProtocolError` with a code from ``docs/protocol.md`` and a
message naming the field, so the endpoint can answer with an ``error`` frame and carry on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netra_backend.app.errors import ProtocolError

MAX_REQUEST_ID_CHARS = 128


@dataclass(frozen=True, slots=True)
class PingFrame:
    """``{"type": "ping"}``."""


@dataclass(frozen=True, slots=True)
class AgentRequestFrame:
    """``{"type": "agent_request", "agent", "message", "context"?, "request_id"?}``."""

    agent: str
    message: str
    context: Mapping[str, Any] = field(default_factory=dict)
    request_id: str | None = None


ClientFrame = PingFrame | AgentRequestFrame
FRAME_TYPES = ("agent_request", "ping")


def parse_client_frame(text: str, *, max_message_chars: int) -> ClientFrame:
    """Decode and validate one client text frame."""
    try:
        payload = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ProtocolError("invalid_json", f"frame is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ProtocolError(
            "invalid_message", f"frame must be a JSON object, got {type(payload).__name__}"
        )
    frame_type = payload.get("type")
    if not isinstance(frame_type, str):
        raise ProtocolError("invalid_message", "field 'type' is required and must be a string")
    if frame_type == "ping":
        return PingFrame()
    if frame_type == "agent_request":
        return _agent_request(payload, max_message_chars)
    raise ProtocolError(
        "unknown_type", f"unknown frame type {frame_type!r}; expected one of {list(FRAME_TYPES)}"
    )


def request_id_of(text: str) -> str | None:
    """Best-effort ``request_id`` of a frame, to echo it in an error frame."""
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        return None
    value = payload.get("request_id") if isinstance(payload, dict) else None
    return value if isinstance(value, str) and len(value) <= MAX_REQUEST_ID_CHARS else None


def _agent_request(payload: Mapping[str, Any], max_message_chars: int) -> AgentRequestFrame:
    agent = _required_str(payload, "agent")
    message = _required_str(payload, "message")
    if len(message) > max_message_chars:
        raise ProtocolError(
            "message_too_long",
            f"field 'message' has {len(message)} characters; the limit is {max_message_chars}",
        )
    context = payload.get("context", {})
    if context is None:
        context = {}
    if not isinstance(context, dict):
        raise ProtocolError(
            "invalid_message", f"field 'context' must be an object, got {type(context).__name__}"
        )
    request_id = payload.get("request_id")
    if request_id is not None and (
        not isinstance(request_id, str) or len(request_id) > MAX_REQUEST_ID_CHARS
    ):
        raise ProtocolError(
            "invalid_message",
            f"field 'request_id' must be a string of at most {MAX_REQUEST_ID_CHARS} characters",
        )
    return AgentRequestFrame(agent=agent, message=message, context=context, request_id=request_id)


def _required_str(payload: Mapping[str, Any], name: str) -> str:
    if name not in payload:
        raise ProtocolError("invalid_message", f"field {name!r} is required")
    value = payload[name]
    if not isinstance(value, str):
        raise ProtocolError(
            "invalid_message", f"field {name!r} must be a string, got {type(value).__name__}"
        )
    if not value.strip():
        raise ProtocolError("invalid_message", f"field {name!r} must not be empty")
    return value
