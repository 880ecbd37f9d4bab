"""The framework's contract checks and URL helpers reject what they should."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from test_framework.envelopes import assert_run_contract, assert_valid_envelope
from test_framework.urls import http_url_for, normalise_base_url, ws_url_for

pytestmark = pytest.mark.unit


def envelope(event_type: str, seq: int, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": event_type,
        "data": data or {},
        "run_id": "run-1",
        "seq": seq,
        "event_id": f"ev-{seq}",
        "timestamp": "2024-05-01T12:00:00+00:00",
    }


def good_run() -> list[dict[str, Any]]:
    call = {"tool": "t", "call_id": "c1"}
    return [
        envelope("agent_started", 1),
        envelope("agent_thinking", 2),
        envelope("tool_executing", 3, dict(call)),
        envelope("tool_completed", 4, dict(call)),
        envelope("agent_completed", 5),
    ]


def test_a_whole_run_passes() -> None:
    assert_run_contract(good_run())


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", "1"),
        ("seq", True),
        ("data", []),
        ("timestamp", "2024-05-01T12:00:00+02:00"),
        ("run_id", ""),
    ],
)
def test_bad_envelope_fields_fail(field: str, value: Any) -> None:
    event = envelope("agent_started", 1)
    event[field] = value
    with pytest.raises(AssertionError):
        assert_valid_envelope(event)


def test_missing_envelope_field_fails() -> None:
    event = envelope("agent_started", 1)
    del event["event_id"]
    with pytest.raises(AssertionError, match="event_id"):
        assert_valid_envelope(event)


def broken(kind: str) -> list[dict[str, Any]]:
    run = copy.deepcopy(good_run())
    if kind == "gap in seq":
        run[3]["seq"] = 9
    elif kind == "no terminal":
        run.pop()
    elif kind == "started not first":
        run[0], run[1] = run[1], run[0]
    elif kind == "unpaired tool":
        run[3]["data"]["call_id"] = "other"
    elif kind == "mixed runs":
        run[2]["run_id"] = "run-2"
    elif kind == "two terminals":
        run.insert(4, envelope("agent_failed", 5))
        run[-1]["seq"] = 6
        run[-1]["event_id"] = "ev-6"
    return run


@pytest.mark.parametrize(
    "kind",
    [
        "gap in seq",
        "no terminal",
        "started not first",
        "unpaired tool",
        "mixed runs",
        "two terminals",
    ],
)
def test_broken_runs_fail(kind: str) -> None:
    with pytest.raises(AssertionError):
        assert_run_contract(broken(kind))


def test_ws_url_follows_the_http_scheme() -> None:
    assert ws_url_for("http://127.0.0.1:8000") == "ws://127.0.0.1:8000/api/ws"
    assert ws_url_for("https://netra.example.com/") == "wss://netra.example.com/api/ws"
    assert ws_url_for("https://example.com/prefix") == "wss://example.com/prefix/api/ws"
    assert http_url_for("http://h:1/", "/api/me") == "http://h:1/api/me"


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        normalise_base_url("ws://127.0.0.1:8000")
