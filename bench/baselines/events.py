"""The five events of a Netra ``triage_agent`` run, as the baselines send them.

The ``data`` payloads are copied from a captured run of the real server (message "How do I
reduce my AWS bill?"), so each envelope has the size Netra's has (255, 250, 302, 515 and 587
bytes, about 1.9 KB a run). Ids and timestamps are made fresh per event, as Netra does, so a
baseline pays for the same uuid4 / datetime / JSON work per frame.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt

_REPLY = (
    "This is a cost question. Send it to cost_optimizer with context.monthly_spend (USD per "
    'month) and context.primary_services (for example ["EC2", "RDS", "S3"]), optionally '
    "context.breakdown ({service: monthly USD}), and it will estimate concrete savings."
)
_RESULT = {
    "intent": "cost",
    "confidence": 0.5512,
    "suggested_agent": "cost_optimizer",
    "scores": {"cost": 0.5512, "performance": 0.123, "quality": 0.123, "general": 0.2028},
    "evidence": {"cost": ["aws bill"]},
}


def _payloads(message: str, request_id: str | None, call_id: str) -> list[tuple[str, Any]]:
    agent = "triage_agent"
    arguments = {"message": message}
    return [
        ("agent_started", {"agent": agent, "request_id": request_id, "message": message}),
        (
            "agent_thinking",
            {
                "agent": agent,
                "text": f"Classifying the intent of a {len(message.split())}-word message.",
            },
        ),
        (
            "tool_executing",
            {
                "agent": agent,
                "tool": "intent_classifier",
                "call_id": call_id,
                "arguments": arguments,
            },
        ),
        (
            "tool_completed",
            {
                "agent": agent,
                "tool": "intent_classifier",
                "call_id": call_id,
                "arguments": arguments,
                "result": _RESULT,
                "duration_ms": 1.964,
            },
        ),
        (
            "agent_completed",
            {
                "agent": agent,
                "request_id": request_id,
                "duration_ms": 5.876,
                "result": {
                    "intent": "cost",
                    "confidence": 0.5512,
                    "suggested_agent": "cost_optimizer",
                    "reply": _REPLY,
                },
            },
        ),
    ]


def run_envelopes(message: str, request_id: str | None, first_seq: int) -> list[dict[str, Any]]:
    """The five envelopes of one run, numbered from ``first_seq``."""
    run_id = uuid.uuid4().hex
    return [
        {
            "type": event_type,
            "data": data,
            "run_id": run_id,
            "seq": first_seq + k,
            "event_id": uuid.uuid4().hex,
            "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        for k, (event_type, data) in enumerate(_payloads(message, request_id, f"{run_id[:8]}-1"))
    ]


def encode(frame: dict[str, Any]) -> str:
    """Serialise like Netra does (compact separators, UTF-8 kept)."""
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False, default=str)


def verify_bearer(token: str, secret: str) -> str:
    """The subject of a valid HS256 token (PyJWT); raises ``jwt.PyJWTError`` otherwise."""
    claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
    return str(claims["sub"])
