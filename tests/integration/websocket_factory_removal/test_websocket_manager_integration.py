"""The canonical WebSocket factory and manager, with users of a real running app.

User ids come from real registrations on the app ``real_services_fixture`` starts; the
manager side runs in-process through ``canonical_imports``. The last test drives the same
contract through the real ``/api/ws`` route on each database backend.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest

from netra_backend.app.errors import CrossUserEmitError
from netra_backend.app.websocket_core.canonical_imports import (
    UnifiedWebSocketManager,
    WebSocketManagerProtocol,
)
from test_framework.base_integration_test import BaseIntegrationTest
from test_framework.envelopes import CRITICAL_EVENTS, event_types
from test_framework.real_services_test_fixtures import RealServices

pytestmark = pytest.mark.integration

IMMUTABLE = (str, bytes, int, float, bool, type(None), datetime.datetime, frozenset)


def mutable_state(obj: Any, depth: int = 3) -> dict[int, str]:
    """``id -> path`` of every mutable object reachable from ``obj``'s attributes."""
    found: dict[int, str] = {}

    def walk(value: Any, path: str, level: int) -> None:
        if isinstance(value, IMMUTABLE) or callable(value) and not hasattr(value, "__dict__"):
            return
        if isinstance(value, tuple):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]", level)
            return
        found.setdefault(id(value), path)
        if level == 0:
            return
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}[{key!r}]", level - 1)
        elif isinstance(value, list | set):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]", level - 1)
        else:
            attributes = getattr(value, "__dict__", {})
            for name in getattr(type(value), "__slots__", ()):
                if hasattr(value, name):
                    attributes = {**attributes, name: getattr(value, name)}
            for name, item in attributes.items():
                walk(item, f"{path}.{name}", level - 1)

    walk(obj, "context", depth)
    return found


class TestWebSocketManagerIntegration(BaseIntegrationTest):
    async def test_canonical_factory_context_has_ids_and_unified_manager(
        self, real_services_fixture: RealServices
    ) -> None:
        user = await real_services_fixture.create_user()
        client_id = self.new_client_id()
        context = await self.create_user_context(user.user_id, client_id)
        assert context.user_id == user.user_id
        assert context.websocket_client_id == client_id
        manager = context.websocket_manager
        assert isinstance(manager, UnifiedWebSocketManager)
        assert isinstance(manager, WebSocketManagerProtocol)
        assert manager.user_id == user.user_id

    async def test_five_concurrent_users_contexts_share_nothing(
        self, real_services_fixture: RealServices
    ) -> None:
        users = await asyncio.gather(*(real_services_fixture.create_user() for _ in range(5)))
        contexts = await asyncio.gather(*(self.create_user_context(u.user_id) for u in users))
        assert len({u.user_id for u in users}) == 5
        assert len({id(c) for c in contexts}) == 5
        assert len({id(c.websocket_manager) for c in contexts}) == 5
        assert [c.user_id for c in contexts] == [u.user_id for u in users]
        assert len({c.websocket_client_id for c in contexts}) == 5
        states = [mutable_state(context) for context in contexts]
        # The walk must reach past the context itself, or "nothing shared" proves nothing.
        assert all(any(".websocket_manager" in path for path in state.values()) for state in states)
        for i, mine in enumerate(states):
            for j, theirs in enumerate(states[i + 1 :], start=i + 1):
                shared = sorted(mine[k] for k in set(mine) & set(theirs))
                assert not shared, f"users {i} and {j} share mutable state: {shared}"

    async def test_concurrent_users_receive_only_their_own_events(
        self, real_services_fixture: RealServices
    ) -> None:
        users = await asyncio.gather(*(real_services_fixture.create_user() for _ in range(5)))
        contexts = await asyncio.gather(*(self.create_user_context(u.user_id) for u in users))
        sockets = [self.recording_websocket() for _ in contexts]
        for context, socket in zip(contexts, sockets, strict=True):
            await context.websocket_manager.add_connection(context.websocket_client_id, socket)
        await asyncio.gather(
            *(
                c.websocket_manager.emit_event(
                    event_type="agent_thinking",
                    data={"text": c.user_id},
                    user_id=c.user_id,
                    run_id=f"run-{c.user_id}",
                )
                for c in contexts
            )
        )
        for context, socket in zip(contexts, sockets, strict=True):
            assert [e["data"]["text"] for e in socket.events] == [context.user_id]
        intruder, victim = contexts[0], contexts[1]
        with pytest.raises(CrossUserEmitError):
            await intruder.websocket_manager.emit_event(
                event_type="agent_thinking", data={"text": "leak"}, user_id=victim.user_id
            )
        assert len(sockets[0].frames) == 1 and len(sockets[1].frames) == 1

    async def test_five_critical_events_send_exactly_five_valid_frames_in_order(
        self, real_services_fixture: RealServices
    ) -> None:
        user = await real_services_fixture.create_user()
        context = await self.create_user_context(user.user_id)
        socket = self.recording_websocket()
        manager = context.websocket_manager
        await manager.add_connection(context.websocket_client_id, socket)
        assert socket.frames == [], "registering a connection must send nothing"
        for event_type in CRITICAL_EVENTS:
            await manager.emit_event(
                event_type=event_type,
                data={"agent": "triage_agent"},
                user_id=user.user_id,
                run_id="run-1",
            )
        assert len(socket.frames) == 5
        events = socket.events
        assert event_types(events) == list(CRITICAL_EVENTS)
        for event in events:
            self.assert_valid_envelope(event)
            assert event["run_id"] == "run-1"
            assert event["data"]["agent"] == "triage_agent"
        seqs = [event["seq"] for event in events]
        assert seqs == list(range(seqs[0], seqs[0] + 5))
        assert len({event["event_id"] for event in events}) == 5

    async def test_real_route_streams_a_whole_run_on_each_database(
        self, real_services_all_backends: RealServices
    ) -> None:
        services = real_services_all_backends
        user = await services.create_user(subscription="early")
        async with services.websocket(user.token) as client:
            await client.request_agent(
                "triage_agent", "Why did my AWS bill go up?", request_id="req-int-1"
            )
            events = await client.receive_run(timeout=60)
        self.assert_run_contract(events)
        assert events[0]["data"]["request_id"] == "req-int-1"
