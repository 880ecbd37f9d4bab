"""UnifiedWebSocketManager and the canonical factory, with stand-in sockets."""

from __future__ import annotations

import json

import pytest

from netra_backend.app.errors import CrossUserEmitError, ManagerMisuseError
from netra_backend.app.websocket_core.canonical_imports import (
    CRITICAL_EVENTS,
    EventSequence,
    UnifiedWebSocketManager,
    WebSocketManagerProtocol,
    create_websocket_manager,
)
from test_framework.recording_websocket import RecordingWebSocket

pytestmark = pytest.mark.unit


class BrokenSocket:
    async def send_text(self, data: str) -> None:
        raise ConnectionResetError("peer went away")


async def test_add_connection_sends_nothing() -> None:
    manager = UnifiedWebSocketManager("u1")
    socket = RecordingWebSocket()
    await manager.add_connection("c1", socket)
    assert socket.frames == []
    assert manager.connection_count == 1


async def test_emit_event_sends_one_frame_per_connection() -> None:
    manager = UnifiedWebSocketManager("u1")
    sockets = [RecordingWebSocket() for _ in range(3)]
    for index, socket in enumerate(sockets):
        await manager.add_connection(f"c{index}", socket)
    envelope = await manager.emit_event(
        event_type="agent_started", data={"agent": "a"}, user_id="u1"
    )
    for socket in sockets:
        assert len(socket.frames) == 1
        assert json.loads(socket.frames[0]) == envelope
    assert set(envelope) == {"type", "data", "run_id", "seq", "event_id", "timestamp"}
    assert envelope["timestamp"].endswith("Z")


async def test_emit_event_refuses_other_users_id() -> None:
    manager = UnifiedWebSocketManager("alice")
    socket = RecordingWebSocket()
    await manager.add_connection("c1", socket)
    with pytest.raises(CrossUserEmitError) as caught:
        await manager.emit_event(event_type="agent_started", data={}, user_id="bob")
    assert isinstance(caught.value, RuntimeError)
    assert "alice" in str(caught.value) and "bob" in str(caught.value)
    assert socket.frames == []


async def test_emit_event_numbers_events_consecutively() -> None:
    manager = UnifiedWebSocketManager("u1")
    socket = RecordingWebSocket()
    await manager.add_connection("c1", socket)
    for event_type in CRITICAL_EVENTS:
        await manager.emit_event(event_type=event_type, data={}, user_id="u1", run_id="r1")
    received = [json.loads(frame) for frame in socket.frames]
    assert [event["type"] for event in received] == list(CRITICAL_EVENTS)
    assert [event["seq"] for event in received] == [1, 2, 3, 4, 5]
    assert len({event["event_id"] for event in received}) == 5


async def test_dead_connection_is_dropped_and_others_still_receive() -> None:
    manager = UnifiedWebSocketManager("u1")
    good = RecordingWebSocket()
    await manager.add_connection("dead", BrokenSocket())
    await manager.add_connection("good", good)
    await manager.emit_event(event_type="agent_thinking", data={}, user_id="u1")
    assert len(good.frames) == 1
    assert not manager.has_connection("dead")


async def test_add_connection_rejects_object_without_send_text() -> None:
    manager = UnifiedWebSocketManager("u1")
    with pytest.raises(ManagerMisuseError):
        await manager.add_connection("c1", object())  # type: ignore[arg-type]


async def test_manager_satisfies_protocol() -> None:
    assert isinstance(UnifiedWebSocketManager("u1"), WebSocketManagerProtocol)
    assert WebSocketManagerProtocol.__annotations__ or any(
        getattr(WebSocketManagerProtocol, name).__annotations__
        for name in ("add_connection", "emit_event")
    )


async def test_factory_returns_new_context_each_call() -> None:
    first = await create_websocket_manager(user_id="u1", websocket_client_id="c1")
    second = await create_websocket_manager(user_id="u1", websocket_client_id="c1")
    assert first is not second
    assert first.websocket_manager is not second.websocket_manager


async def test_contexts_of_different_users_share_no_state() -> None:
    alice = await create_websocket_manager(user_id="alice", websocket_client_id="a")
    bob = await create_websocket_manager(user_id="bob", websocket_client_id="b")
    assert (alice.user_id, alice.websocket_client_id) == ("alice", "a")
    assert (bob.user_id, bob.websocket_client_id) == ("bob", "b")
    assert alice.websocket_manager.sequence is not bob.websocket_manager.sequence
    alice_socket, bob_socket = RecordingWebSocket(), RecordingWebSocket()
    await alice.websocket_manager.add_connection("a", alice_socket)
    await bob.websocket_manager.add_connection("b", bob_socket)
    await alice.websocket_manager.emit_event(event_type="agent_started", data={}, user_id="alice")
    assert len(alice_socket.frames) == 1 and bob_socket.frames == []
    assert bob.websocket_manager.connection_count == 1


async def test_shared_sequence_numbers_a_users_tabs_together() -> None:
    sequence = EventSequence()
    tab1 = await create_websocket_manager(user_id="u", websocket_client_id="t1", sequence=sequence)
    tab2 = await create_websocket_manager(user_id="u", websocket_client_id="t2", sequence=sequence)
    first = await tab1.websocket_manager.emit_event(
        event_type="agent_started", data={}, user_id="u"
    )
    second = await tab2.websocket_manager.emit_event(
        event_type="agent_started", data={}, user_id="u"
    )
    assert (first["seq"], second["seq"]) == (1, 2)


@pytest.mark.parametrize("bad", ["", "   ", None, 42])
async def test_factory_rejects_empty_ids(bad: object) -> None:
    with pytest.raises(ManagerMisuseError):
        await create_websocket_manager(user_id=bad, websocket_client_id="c")  # type: ignore[arg-type]


def test_canonical_imports_all_is_complete_and_sorted() -> None:
    from netra_backend.app.websocket_core import canonical_imports

    public = {name for name in vars(canonical_imports) if not name.startswith("_")}
    public -= {"annotations"}

    # Sorted the way ruff's RUF022 sorts: CONSTANTS, then Classes, then functions.
    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert canonical_imports.__all__ == sorted(canonical_imports.__all__, key=kind)
    assert set(canonical_imports.__all__) == public
