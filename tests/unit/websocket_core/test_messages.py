"""Client frame parsing: every bad frame names its problem."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netra_backend.app.errors import ProtocolError
from netra_backend.app.websocket_core.messages import (
    AgentRequestFrame,
    PingFrame,
    parse_client_frame,
    request_id_of,
)

pytestmark = pytest.mark.unit


def parse(payload: object) -> object:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return parse_client_frame(text, max_message_chars=100)


def test_ping_parses() -> None:
    assert parse({"type": "ping"}) == PingFrame()


def test_agent_request_parses_with_optional_fields() -> None:
    frame = parse(
        {
            "type": "agent_request",
            "agent": "a",
            "message": "hi",
            "context": {"k": 1},
            "request_id": "r",
            "conversation_id": "c-1",
        }
    )
    assert frame == AgentRequestFrame(
        agent="a", message="hi", context={"k": 1}, request_id="r", conversation_id="c-1"
    )


def test_payload_user_id_is_not_part_of_the_frame() -> None:
    frame = parse(
        {"type": "agent_request", "agent": "a", "message": "hi", "user_id": "someone-else"}
    )
    assert not hasattr(frame, "user_id")


@pytest.mark.parametrize(
    ("payload", "code", "needle"),
    [
        ("{not json", "invalid_json", "JSON"),
        ([1, 2], "invalid_message", "object"),
        ({"agent": "a"}, "invalid_message", "'type'"),
        ({"type": 7}, "invalid_message", "'type'"),
        ({"type": "launch_missiles"}, "unknown_type", "launch_missiles"),
        ({"type": "agent_request", "message": "hi"}, "invalid_message", "'agent'"),
        ({"type": "agent_request", "agent": "a"}, "invalid_message", "'message'"),
        ({"type": "agent_request", "agent": 5, "message": "hi"}, "invalid_message", "'agent'"),
        ({"type": "agent_request", "agent": "a", "message": ""}, "invalid_message", "'message'"),
        (
            {"type": "agent_request", "agent": "a", "message": "hi", "context": [1]},
            "invalid_message",
            "'context'",
        ),
        (
            {"type": "agent_request", "agent": "a", "message": "hi", "request_id": 3},
            "invalid_message",
            "'request_id'",
        ),
        ({"type": "agent_request", "agent": "a", "message": "x" * 101}, "message_too_long", "101"),
        *(
            (
                {"type": "agent_request", "agent": "a", "message": "hi", "conversation_id": bad},
                "invalid_message",
                "'conversation_id'",
            )
            for bad in (7, "", "  ", "c" * 129, ["c"])
        ),
    ],
)
def test_bad_frames_raise_protocol_error_naming_the_problem(
    payload: object, code: str, needle: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse(payload)
    assert caught.value.code == code
    assert needle in caught.value.message


def test_deeply_nested_json_is_an_error_not_a_crash() -> None:
    with pytest.raises(ProtocolError) as caught:
        parse("[" * 100_000 + "]" * 100_000)
    assert caught.value.code in {"invalid_json", "invalid_message"}


def test_request_id_is_echoed_only_when_sane() -> None:
    assert request_id_of(json.dumps({"request_id": "abc"})) == "abc"
    assert request_id_of(json.dumps({"request_id": "x" * 500})) is None
    assert request_id_of("nope") is None


@given(st.text(max_size=200))
def test_any_text_either_parses_or_raises_protocol_error(text: str) -> None:
    error: ProtocolError | None = None
    try:
        parse_client_frame(text, max_message_chars=100)
    except ProtocolError as exc:
        error = exc
    if error is not None:
        assert error.code
        assert error.message
