"""Frames a hostile or careless client sends: each gets an ``error`` frame, never a dead socket.

Found by this suite (fixed in ``websocket_core/messages.py``):

* a lone UTF-16 surrogate (``"\\ud800"``) in ``message`` started a run whose events could not be
  UTF-8 encoded: the connection's writer died silently (no event, no close), and the stored
  request made every later ``GET /api/runs`` of that user a 500;
* an integer literal over Python's 4300-digit limit raised a plain ``ValueError`` out of the
  endpoint: the socket dropped with no close frame and a traceback in the server log;
* ``NaN``/``Infinity``/``1e400`` were accepted: PostgreSQL's ``json`` refused the run's
  record (the run vanished from ``/api/runs``);
* a ``context`` nested ~900 levels deep was stored, and pydantic's serializer (limit ~255)
  then made every ``GET /api/runs`` of that user a 500.
"""

from __future__ import annotations

import json

import httpx
import pytest

from test_framework.websocket_helpers import WebSocketTestClient
from tests.integration.golden_path._servers import GoldenPathServer

pytestmark = pytest.mark.integration

TIMEOUT = 15.0


async def _runs(server: GoldenPathServer, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as client:
        return await client.get(
            "/api/runs", params={"limit": 200}, headers={"Authorization": f"Bearer {token}"}
        )


async def _assert_alive(client: WebSocketTestClient) -> None:
    await client.send_json({"type": "ping"})
    pong = await client.receive_until("pong", timeout=TIMEOUT)
    assert pong == {"type": "pong"}


async def _error_for(client: WebSocketTestClient, text: str) -> dict[str, object]:
    await client.send_text(text)
    event = await client.receive_one(TIMEOUT)
    assert event is not None, f"no answer and/or connection closed ({client.close_code})"
    assert event["type"] == "error", event
    data = event["data"]
    assert isinstance(data, dict)
    return data


def _request(message_json: str, context_json: str = "{}", extra: str = "") -> str:
    return (
        '{"type":"agent_request","agent":"triage_agent","message":'
        f'{message_json},"context":{context_json}{extra}}}'
    )


@pytest.mark.parametrize(
    ("label", "text", "code", "names"),
    [
        (
            "lone surrogate in message",
            _request('"cost \\ud800 here"'),
            "invalid_message",
            "surrogate",
        ),
        (
            "lone low surrogate in context key",
            _request('"m"', '{"\\udc00":1}'),
            "invalid_message",
            "surrogate",
        ),
        ("5000-digit integer", '{"type":"ping","n":' + "9" * 5000 + "}", "invalid_json", "digits"),
        ("NaN in context", _request('"m"', '{"monthly_spend":NaN}'), "invalid_json", "NaN"),
        ("-Infinity in context", _request('"m"', '{"x":-Infinity}'), "invalid_json", "Infinity"),
        ("1e400 overflows to inf", _request('"m"', '{"x":1e400}'), "invalid_json", "1e400"),
        (
            "context 900 levels deep",
            _request('"m"', '{"a":' * 900 + "1" + "}" * 900),
            "invalid_message",
            "context",
        ),
        (
            "context 33 levels deep",
            _request('"m"', '{"a":' * 33 + "1" + "}" * 33),
            "invalid_message",
            "context",
        ),
        (
            "unknown field 500 levels deep",
            '{"type":"ping","junk":' + "[" * 500 + "]" * 500 + "}",
            "invalid_message",
            "junk",
        ),
    ],
)
async def test_bad_frame_gets_error_and_socket_survives(
    hostile_server: GoldenPathServer, label: str, text: str, code: str, names: str
) -> None:
    """Each frame is answered with an error naming the problem; the socket keeps working."""
    user = await hostile_server.create_user()
    async with hostile_server.websocket(user.token) as client:
        data = await _error_for(client, text)
        assert data["code"] == code, (label, data)
        assert names in str(data["message"]), (label, data)
        await _assert_alive(client)
    response = await _runs(hostile_server, user.token)
    assert response.status_code == 200, response.text
    assert response.json()["runs"] == [], "a refused frame must not start a run"


async def test_surrogate_request_id_is_not_echoed(hostile_server: GoldenPathServer) -> None:
    """A bad frame's ``request_id`` is echoed only when it can be sent back as UTF-8."""
    user = await hostile_server.create_user()
    async with hostile_server.websocket(user.token) as client:
        data = await _error_for(client, '{"type":"nope","request_id":"r-\\ud800"}')
        assert data["code"] == "invalid_message"
        assert "request_id" not in data
        await _assert_alive(client)


async def test_context_32_levels_deep_runs_and_lists(hostile_server: GoldenPathServer) -> None:
    """The depth limit leaves room for real contexts: 32 levels run and list back fine."""
    user = await hostile_server.create_user()
    context = '{"a":' * 31 + "1" + "}" * 31
    async with hostile_server.websocket(user.token) as client:
        await client.send_text(_request('"how do I cut cost?"', context))
        run = await client.receive_run(timeout=TIMEOUT * 2)
        assert run[-1]["type"] == "agent_completed", run[-1]
    response = await _runs(hostile_server, user.token)
    assert response.status_code == 200, response.text
    [stored] = response.json()["runs"]
    assert stored["status"] == "completed"
    assert json.dumps(stored["request"]["context"]).count("{") == 31


@pytest.mark.parametrize(
    "message",
    [
        "cut my cost \u0000 please",  # NUL: PostgreSQL's jsonb would refuse it; json takes it
        "💸 reduce my cloud cost 👍🏽 \u202e\u200d 日本語 🇺🇦",  # emoji, ZWJ, RTL override, flags
        "\U0001f600" * 2000,  # 2000 astral characters: 8000 UTF-8 bytes, 4000 UTF-16 units
    ],
    ids=["nul", "emoji-rtl", "astral"],
)
async def test_unusual_unicode_runs_round_trip(
    hostile_server: GoldenPathServer, message: str
) -> None:
    """Valid Unicode, however odd, runs to completion and comes back intact from /api/runs."""
    user = await hostile_server.create_user()
    async with hostile_server.websocket(user.token) as client:
        await client.request_agent("triage_agent", message)
        run = await client.receive_run(timeout=TIMEOUT * 2)
    assert run[0]["type"] == "agent_started" and run[0]["data"]["message"] == message
    assert run[-1]["type"] == "agent_completed", run[-1]
    response = await _runs(hostile_server, user.token)
    assert response.status_code == 200, response.text
    [stored] = response.json()["runs"]
    assert stored["status"] == "completed"
    assert stored["request"]["message"] == message


async def test_payload_identity_fields_are_ignored(hostile_server: GoldenPathServer) -> None:
    """``user_id`` at the top level or in ``context`` neither routes events nor files the run."""
    victim = await hostile_server.create_user()
    attacker = await hostile_server.create_user()
    async with (
        hostile_server.websocket(victim.token) as victim_ws,
        hostile_server.websocket(attacker.token) as attacker_ws,
    ):
        await attacker_ws.send_json(
            {
                "type": "agent_request",
                "agent": "triage_agent",
                "message": "spoof",
                "user_id": victim.user_id,
                "context": {"user_id": victim.user_id, "sub": victim.user_id},
            }
        )
        run = await attacker_ws.receive_run(timeout=TIMEOUT * 2)
        assert run[-1]["type"] == "agent_completed"
        leaked = [event async for event in victim_ws.receive_events(timeout=1.0)]
        assert leaked == [], f"victim received the attacker's events: {leaked}"
    assert (await _runs(hostile_server, victim.token)).json()["runs"] == []
    assert len((await _runs(hostile_server, attacker.token)).json()["runs"]) == 1
