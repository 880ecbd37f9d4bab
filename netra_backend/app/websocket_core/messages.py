"""Client -> server frames: parsing and validation. Pure: text in, frame objects out.

Every problem raises :class:`ProtocolError` with a code from ``docs/protocol.md`` and a
message naming the field, so the endpoint can answer with an ``error`` frame and carry on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netra_backend.app.errors import ProtocolError

MAX_REQUEST_ID_CHARS = 128
MAX_CONTEXT_DEPTH = 32
"""Deepest nesting of any field (``context`` in practice): a run's request is stored and listed
back by ``/api/runs``, whose serializer gives up on very deep values (a 500 on every later
listing)."""


@dataclass(frozen=True, slots=True)
class PingFrame:
    """``{"type": "ping"}``."""


@dataclass(frozen=True, slots=True)
class AgentRequestFrame:
    """``{"type": "agent_request", "agent", "message", "context"?, "request_id"?,
    "conversation_id"?}``."""

    agent: str
    message: str
    context: Mapping[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    conversation_id: str | None = None


@dataclass(frozen=True, slots=True)
class ResumeFrame:
    """``{"type": "resume", "last_seq": N}``: replay what came after ``N``, then go live."""

    last_seq: int


@dataclass(frozen=True, slots=True)
class CancelRunFrame:
    """``{"type": "cancel_run", "run_id": R}``."""

    run_id: str


ClientFrame = PingFrame | AgentRequestFrame | ResumeFrame | CancelRunFrame
FRAME_TYPES = ("agent_request", "cancel_run", "ping", "resume")
MAX_SEQ = 2**63 - 1


def parse_client_frame(text: str, *, max_message_chars: int) -> ClientFrame:
    """Decode and validate one client text frame."""
    try:
        payload = json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        # ValueError also covers integers over Python's digit limit and NaN/Infinity, which
        # would otherwise escape and drop the connection (or fail to store on PostgreSQL).
        raise ProtocolError("invalid_json", f"frame is not valid JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ProtocolError(
            "invalid_message", f"frame must be a JSON object, got {type(payload).__name__}"
        )
    for name, value in payload.items():
        if _too_deep(value, MAX_CONTEXT_DEPTH):
            raise ProtocolError(
                "invalid_message",
                f"field {name!r} is nested deeper than {MAX_CONTEXT_DEPTH} levels",
            )
    if "\\u" in text:  # valid UTF-8 text can only carry a lone surrogate as a \uXXXX escape
        _reject_surrogates(payload)
    frame_type = payload.get("type")
    if not isinstance(frame_type, str):
        raise ProtocolError("invalid_message", "field 'type' is required and must be a string")
    if frame_type == "ping":
        return PingFrame()
    if frame_type == "agent_request":
        return _agent_request(payload, max_message_chars)
    if frame_type == "resume":
        last_seq = payload.get("last_seq")
        if (
            isinstance(last_seq, bool)
            or not isinstance(last_seq, int)
            or not 0 <= last_seq <= MAX_SEQ
        ):
            raise ProtocolError(
                "invalid_message", "field 'last_seq' must be an integer from 0 (nothing seen yet)"
            )
        return ResumeFrame(last_seq)
    if frame_type == "cancel_run":
        run_id = _required_str(payload, "run_id")
        if len(run_id) > MAX_REQUEST_ID_CHARS:
            raise ProtocolError("invalid_message", "field 'run_id' is too long")
        return CancelRunFrame(run_id)
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
    if not isinstance(value, str) or len(value) > MAX_REQUEST_ID_CHARS:
        return None
    try:
        value.encode("utf-8")  # a lone surrogate echoed back would kill the connection's writer
    except UnicodeEncodeError:
        return None
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"number {literal[:40]} is out of range")
    return value


def _reject_surrogates(payload: Any) -> None:
    # A lone "\\ud800" escape decodes to a str that cannot be UTF-8 encoded: echoed in an event
    # it kills the connection's writer, and stored it breaks every later /api/runs listing.
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProtocolError(
            "invalid_message", f"frame holds a lone UTF-16 surrogate at position {exc.start}"
        ) from None


def _too_deep(value: Any, limit: int) -> bool:
    # Iterative: a frame may nest ~1000 levels, deeper than Python recursion allows here.
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


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
    conversation_id = payload.get("conversation_id")
    if conversation_id is not None and (
        not isinstance(conversation_id, str)
        or not conversation_id.strip()
        or len(conversation_id) > MAX_REQUEST_ID_CHARS
    ):
        raise ProtocolError(
            "invalid_message",
            "field 'conversation_id' must be a non-empty string of at most "
            f"{MAX_REQUEST_ID_CHARS} characters",
        )
    return AgentRequestFrame(
        agent=agent,
        message=message,
        context=context,
        request_id=request_id,
        conversation_id=conversation_id,
    )


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
