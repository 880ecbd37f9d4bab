"""Every kind of bad client frame gets an ``error`` frame with the documented code, and the
connection keeps working (it answers a ping and can still run an agent)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from test_framework.real_services_test_fixtures import RealServices
from tests.integration.golden_path._protocol import (
    assert_error_frame,
    assert_golden_order,
    list_runs,
    next_frame,
    ping_barrier,
    run_agent,
)

pytestmark = pytest.mark.integration

DEFAULT_MAX_MESSAGE_CHARS = 16_000


def _request(**fields: Any) -> str:
    return json.dumps({"type": "agent_request", **fields})


BAD_TEXT_FRAMES = [
    pytest.param("{not json", "invalid_json", (), id="invalid-json"),
    pytest.param("", "invalid_json", (), id="empty-text"),
    pytest.param("[1, 2, 3]", "invalid_message", ("object",), id="json-array"),
    pytest.param('"agent_request"', "invalid_message", ("object",), id="json-string"),
    pytest.param("42", "invalid_message", ("object",), id="json-number"),
    pytest.param("null", "invalid_message", ("object",), id="json-null"),
    pytest.param("{}", "invalid_message", ("type",), id="missing-type"),
    pytest.param('{"type": 7}', "invalid_message", ("type",), id="type-not-string"),
    pytest.param('{"type": "subscribe"}', "unknown_type", ("subscribe",), id="unknown-type"),
    pytest.param('{"type": "agent_completed"}', "unknown_type", (), id="server-event-type"),
    pytest.param(_request(message="hi"), "invalid_message", ("agent",), id="missing-agent"),
    pytest.param(
        _request(agent=5, message="hi"), "invalid_message", ("agent",), id="agent-not-string"
    ),
    pytest.param(_request(agent="", message="hi"), "invalid_message", ("agent",), id="agent-empty"),
    pytest.param(
        _request(agent="triage_agent"), "invalid_message", ("message",), id="missing-message"
    ),
    pytest.param(
        _request(agent="triage_agent", message=["hi"]),
        "invalid_message",
        ("message",),
        id="message-list",
    ),
    pytest.param(
        _request(agent="triage_agent", message="hi", context="x"),
        "invalid_message",
        ("context",),
        id="context-string",
    ),
    pytest.param(
        _request(agent="triage_agent", message="hi", context=[1]),
        "invalid_message",
        ("context",),
        id="context-list",
    ),
    pytest.param(
        _request(agent="triage_agent", message="hi", request_id=7),
        "invalid_message",
        ("request_id",),
        id="request-id-number",
    ),
    pytest.param(
        _request(agent="triage_agent", message="hi", request_id="r" * 500),
        "invalid_message",
        ("request_id",),
        id="request-id-too-long",
    ),
    pytest.param(
        _request(agent="no_such_agent", message="hi"),
        "unknown_agent",
        ("no_such_agent", "triage_agent", "cost_optimizer"),
        id="unknown-agent",
    ),
    pytest.param(
        _request(agent="triage_agent", message="x" * (DEFAULT_MAX_MESSAGE_CHARS + 1)),
        "message_too_long",
        ("message", str(DEFAULT_MAX_MESSAGE_CHARS)),
        id="message-too-long",
    ),
]


@pytest.mark.parametrize(("text", "code", "mentions"), BAD_TEXT_FRAMES)
async def test_bad_text_frame_gets_error_frame_and_connection_stays_usable(
    real_services_all_backends: RealServices, text: str, code: str, mentions: tuple[str, ...]
) -> None:
    services = real_services_all_backends
    user = await services.create_user()
    async with services.websocket(user.token) as client:
        await client.send_text(text)
        assert_error_frame(await next_frame(client), code, mentions=mentions)
        assert await ping_barrier(client) == [], "more than one answer to a bad frame"
        events = await run_agent(client, "triage_agent", "is my bill too expensive?")
    assert_golden_order(events)


async def test_binary_frame_gets_binary_not_supported_and_connection_stays_usable(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    user = await services.create_user()
    async with services.websocket(user.token) as client:
        await client.send_bytes(json.dumps({"type": "ping"}).encode())
        assert_error_frame(await next_frame(client), "binary_not_supported")
        assert await ping_barrier(client) == []


async def test_error_frame_echoes_request_id_of_rejected_request(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    user = await services.create_user()
    async with services.websocket(user.token) as client:
        await client.send_text(_request(agent="nobody", message="hi", request_id="req-42"))
        error = await next_frame(client)
    assert_error_frame(error, "unknown_agent")
    assert error["data"]["request_id"] == "req-42"


async def test_many_bad_frames_in_a_row_keep_the_connection_open(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    user = await services.create_user()
    frames = [str(param.values[0]) for param in BAD_TEXT_FRAMES]
    codes = [str(param.values[1]) for param in BAD_TEXT_FRAMES]
    async with services.websocket(user.token) as client:
        for text in frames:
            await client.send_text(text)
        received = [await next_frame(client) for _ in frames]
        assert await ping_barrier(client) == []
    assert [frame["data"]["code"] for frame in received] == codes
    assert client.close_code in (None, 1000)


async def test_rejected_requests_are_not_recorded_as_runs(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    user = await services.create_user()
    async with services.websocket(user.token) as client:
        for param in BAD_TEXT_FRAMES:
            await client.send_text(str(param.values[0]))
        assert len([f for f in await ping_barrier(client) if f["type"] == "error"]) == len(
            BAD_TEXT_FRAMES
        )
    assert await list_runs(services.base_url, user.token) == []
