"""Token extraction from the handshake, the frame rate limiter, the user hub."""

from __future__ import annotations

import pytest

from netra_backend.app.websocket_core.canonical_imports import (
    UserEventHub,
    create_websocket_manager,
)
from netra_backend.app.websocket_core.handshake import SUBPROTOCOL, credentials_from_handshake
from netra_backend.app.websocket_core.rate_limit import TokenBucket
from test_framework.recording_websocket import RecordingWebSocket

pytestmark = pytest.mark.unit


def test_bearer_header_gives_token() -> None:
    credentials, error, _ = credentials_from_handshake("Bearer abc.def", [])
    assert error is None and credentials is not None and credentials.token == "abc.def"


def test_browser_subprotocols_give_token_and_select_netra_v1() -> None:
    credentials, error, selected = credentials_from_handshake(None, [SUBPROTOCOL, "bearer.tok"])
    assert error is None and credentials is not None
    assert credentials.token == "tok" and selected == SUBPROTOCOL


@pytest.mark.parametrize(
    ("header", "protocols", "needle"),
    [
        (None, [], "missing token"),
        ("Basic dXNlcjpwYXNz", [], "Bearer"),
        ("Bearer ", [], "token"),
        (None, ["bearer.tok"], SUBPROTOCOL),
    ],
)
def test_bad_handshakes_name_the_problem(
    header: str | None, protocols: list[str], needle: str
) -> None:
    credentials, error, _ = credentials_from_handshake(header, protocols)
    assert credentials is None and error is not None and needle in str(error)


def test_token_bucket_allows_burst_then_refills() -> None:
    bucket = TokenBucket(rate=2.0, burst=3, now=0.0)
    assert [bucket.allow(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.allow(0.5) is True  # one token back after half a second at 2/s
    assert bucket.allow(0.5) is False


async def test_hub_publishes_to_every_tab_of_the_user_and_no_one_else() -> None:
    hub = UserEventHub()
    sockets: dict[str, RecordingWebSocket] = {}
    for user, client in (("alice", "tab1"), ("alice", "tab2"), ("bob", "tab1")):
        context = await create_websocket_manager(
            user_id=user, websocket_client_id=client, sequence=hub.sequence_for(user)
        )
        sockets[f"{user}/{client}"] = socket = RecordingWebSocket()
        await context.websocket_manager.add_connection(client, socket)
        hub.attach(context)
    await hub.publish("alice", "agent_started", {"agent": "x"}, "run-a")
    await hub.publish("alice", "agent_thinking", {"agent": "x"}, "run-a")
    assert [f["seq"] for f in sockets["alice/tab1"].events] == [1, 2]
    assert sockets["alice/tab1"].events == sockets["alice/tab2"].events
    assert sockets["bob/tab1"].events == []
    await hub.publish("bob", "agent_started", {}, "run-b")
    assert sockets["bob/tab1"].events[0]["seq"] == 1
    assert hub.connection_count("alice") == 2
