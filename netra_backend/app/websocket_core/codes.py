"""The wire protocol's codes, each in one place: close codes and ``error`` frame codes.

``docs/protocol.md`` has a table of each; ``tests/unit/websocket_core/test_codes.py`` checks
that the tables and these enums list the same codes.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class CloseCode(IntEnum):
    """WebSocket close codes the server uses."""

    UNAUTHORIZED = 4401
    POLICY = 1008
    MESSAGE_TOO_BIG = 1009
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013


class ErrorCode(StrEnum):
    """``data.code`` of an ``error`` frame (a client frame could not be served)."""

    INVALID_JSON = "invalid_json"
    INVALID_MESSAGE = "invalid_message"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_AGENT = "unknown_agent"
    MESSAGE_TOO_LONG = "message_too_long"
    BINARY_NOT_SUPPORTED = "binary_not_supported"
    RATE_LIMITED = "rate_limited"
    SERVER_BUSY = "server_busy"
    STORAGE_UNAVAILABLE = "storage_unavailable"
    SHUTTING_DOWN = "shutting_down"
    RUN_NOT_ACTIVE = "run_not_active"
    RESUME_IN_PROGRESS = "resume_in_progress"
    CONVERSATION_BUSY = "conversation_busy"


class RunErrorCode(StrEnum):
    """``data.error.code`` of an ``agent_failed`` event (and a run record's error).

    ``cancelled`` is never in ``agent_failed`` (a cancelled run ends ``agent_cancelled``): it is
    the code recorded with such a run and of a ``tool_completed`` whose call was stopped.
    """

    INVALID_CONTEXT = "invalid_context"
    TIMEOUT = "timeout"
    AGENT_ERROR = "agent_error"
    SERVER_SHUTDOWN = "server_shutdown"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    PROVIDER_AUTH = "provider_auth"
    PROVIDER_RATE_LIMITED = "provider_rate_limited"
    PROVIDER_ERROR = "provider_error"


class ResumeFailure(StrEnum):
    """``data.code`` of a ``resume_failed`` frame."""

    HISTORY_EXPIRED = "history_expired"
    UNKNOWN_POSITION = "unknown_position"
    LOG_RESET = "log_reset"
