"""UserEventHub and UserStream over a real EventLogWriter on SQLite, with stand-in connections."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from netra_backend.app.db import Database, EventLogWriter, EventStore
from netra_backend.app.errors import CrossUserEmitError
from netra_backend.app.websocket_core.canonical_imports import create_websocket_manager
from netra_backend.app.websocket_core.context import UserWebSocketContext
from netra_backend.app.websocket_core.hub import UserEventHub

pytestmark = pytest.mark.unit


@dataclass
class StandInConnection:
    """Anything with ``async send_text``; records frames, and whether each was in the log."""

    store: EventStore | None = None
    frames: list[str] = field(default_factory=list)
    unlogged: list[int] = field(default_factory=list)

    async def send_text(self, data: str) -> None:
        if self.store is not None:
            event = json.loads(data)
            user = event["data"]["user"]
            rows = dict(await self.store.page(user, event["seq"] - 1, 1))
            if rows.get(event["seq"]) != data:
                self.unlogged.append(event["seq"])
        self.frames.append(data)

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(frame) for frame in self.frames]


class Wiring:
    """A hub and its log writer over one database, wired as ``services.py`` does."""

    def __init__(self, db: Database) -> None:
        self.store = EventStore(db)
        self.hub = UserEventHub(store=self.store)
        self.log = EventLogWriter(db, on_commit=self.hub.deliver)
        self.hub.log = self.log
        self.log.start()

    async def connect(self, user_id: str, client_id: str, socket: Any) -> UserWebSocketContext:
        """What the endpoint does for one connection: load, make a context, attach."""
        await self.hub.load(user_id)
        context = await create_websocket_manager(
            user_id=user_id,
            websocket_client_id=client_id,
            sequence=self.hub.sequence_for(user_id),
        )
        await context.websocket_manager.add_connection(client_id, socket)
        self.hub.attach(context)
        return context


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'netra.db'}")
    await database.migrate()
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def wiring(db: Database) -> AsyncIterator[Wiring]:
    wired = Wiring(db)
    try:
        yield wired
    finally:
        await wired.log.close()


async def _publish(hub: UserEventHub, user: str, kind: str = "agent_thinking") -> dict[str, Any]:
    return await hub.publish(user, kind, {"user": user}, "run-1")


async def test_seq_continues_from_the_stored_cursor_on_a_new_hub(db: Database) -> None:
    first = Wiring(db)
    try:
        seqs = [(await _publish(first.hub, "alice"))["seq"] for _ in range(3)]
        await first.log.flush()
    finally:
        await first.log.close()
    assert seqs == [1, 2, 3]

    restarted = Wiring(db)  # a new process over the same database
    try:
        socket = StandInConnection()
        await restarted.connect("alice", "tab-1", socket)
        envelope = await _publish(restarted.hub, "alice", "agent_completed")
        assert envelope["seq"] == 4
        assert [e["seq"] for e in socket.events] == [4]
        assert await restarted.store.last_seq("alice") == 4
        # Another user's numbering is their own.
        assert (await _publish(restarted.hub, "bob", "agent_completed"))["seq"] == 1
    finally:
        await restarted.log.close()


async def test_seq_continues_after_every_event_of_the_user_was_trimmed(db: Database) -> None:
    first = Wiring(db)
    try:
        for _ in range(5):
            await _publish(first.hub, "alice")
        first.log.trim("alice", below_seq=6)
        await first.log.flush()
    finally:
        await first.log.close()
    restarted = Wiring(db)
    try:
        assert await restarted.store.oldest_seq("alice") is None
        assert (await _publish(restarted.hub, "alice", "agent_completed"))["seq"] == 6
    finally:
        await restarted.log.close()


async def test_concurrent_first_publishes_share_one_loaded_stream(db: Database) -> None:
    first = Wiring(db)
    try:
        await _publish(first.hub, "alice", "agent_completed")
    finally:
        await first.log.close()
    restarted = Wiring(db)
    try:
        envelopes = await asyncio.gather(
            *(_publish(restarted.hub, "alice") for _ in range(20)),
            _publish(restarted.hub, "alice", "agent_completed"),
        )
        await restarted.log.flush()
        assert sorted(e["seq"] for e in envelopes) == list(range(2, 23))
        assert [seq for seq, _ in await restarted.store.page("alice", 0, 100)] == list(range(1, 23))
    finally:
        await restarted.log.close()


async def test_terminal_event_returns_only_once_committed_and_delivered(wiring: Wiring) -> None:
    socket = StandInConnection()
    await wiring.connect("alice", "tab-1", socket)
    envelope = await _publish(wiring.hub, "alice", "agent_completed")
    assert await wiring.store.last_seq("alice") == envelope["seq"]
    assert socket.events == [envelope]
    assert wiring.hub.last_committed("alice") == envelope["seq"]


async def test_every_delivered_event_is_in_the_log_first(wiring: Wiring) -> None:
    socket = StandInConnection(store=wiring.store)
    await wiring.connect("alice", "tab-1", socket)
    for _ in range(30):
        await _publish(wiring.hub, "alice")
    await _publish(wiring.hub, "alice", "agent_completed")
    await wiring.log.flush()
    assert [e["seq"] for e in socket.events] == list(range(1, 32))
    assert socket.unlogged == []


async def test_emit_event_through_a_bound_manager_reaches_every_tab_of_the_user(
    wiring: Wiring,
) -> None:
    tabs = [StandInConnection() for _ in range(3)]
    contexts = [await wiring.connect("alice", f"tab-{n}", tab) for n, tab in enumerate(tabs)]
    envelope = await contexts[0].websocket_manager.emit_event(
        event_type="agent_started", data={"user": "alice"}, user_id="alice", run_id="run-1"
    )
    assert await wiring.store.last_seq("alice") == envelope["seq"] == 1
    for tab in tabs:
        assert tab.frames == [tab.frames[0]] and json.loads(tab.frames[0]) == envelope
    assert len({tab.frames[0] for tab in tabs}) == 1  # encoded once, the same text everywhere


async def test_another_users_connections_never_get_an_event(wiring: Wiring) -> None:
    alice_tabs = [StandInConnection(), StandInConnection()]
    bob_tab = StandInConnection()
    for n, tab in enumerate(alice_tabs):
        await wiring.connect("alice", f"alice-{n}", tab)
    bob = await wiring.connect("bob", "bob-0", bob_tab)
    for n in range(20):
        await _publish(wiring.hub, "alice" if n % 3 else "bob")
    await _publish(wiring.hub, "alice", "agent_completed")
    await _publish(wiring.hub, "bob", "agent_completed")
    with pytest.raises(CrossUserEmitError):
        await bob.websocket_manager.emit_event(
            event_type="agent_thinking", data={"user": "alice"}, user_id="alice"
        )
    await wiring.log.flush()
    for tab in alice_tabs:
        assert {e["data"]["user"] for e in tab.events} == {"alice"}
        assert [e["seq"] for e in tab.events] == list(range(1, 15))
    assert {e["data"]["user"] for e in bob_tab.events} == {"bob"}
    assert [e["seq"] for e in bob_tab.events] == list(range(1, 9))


async def test_a_stream_refuses_a_context_of_another_user(wiring: Wiring) -> None:
    # Even if a context were filed under the wrong user's stream, the manager's check holds.
    alice_tab = StandInConnection()
    alice = await wiring.connect("alice", "alice-0", alice_tab)
    await wiring.hub.load("bob")
    bob_stream = wiring.hub.stream("bob")
    assert bob_stream is not None
    bob_stream.contexts["misfiled"] = alice
    with pytest.raises(CrossUserEmitError):
        await bob_stream.fan_out(1, '{"type":"agent_thinking","data":{"user":"bob"}}')
    await _publish(wiring.hub, "bob", "agent_completed")
    assert alice_tab.frames == []


async def test_detach_stops_delivery_to_that_connection(wiring: Wiring) -> None:
    kept, left = StandInConnection(), StandInConnection()
    await wiring.connect("alice", "kept", kept)
    leaving = await wiring.connect("alice", "left", left)
    await _publish(wiring.hub, "alice", "agent_completed")
    wiring.hub.detach(leaving)
    assert wiring.hub.connection_count("alice") == 1
    await _publish(wiring.hub, "alice", "agent_completed")
    assert [e["seq"] for e in kept.events] == [1, 2]
    assert [e["seq"] for e in left.events] == [1]
