"""The event log end to end: resume, cancel, runs outliving sockets, ``GET /api/runs/{run_id}``.

Real servers (SQLite and PostgreSQL), real WebSocket clients. Counts are checked exactly:
every event a user's log holds reaches a resuming client once, with no gap at the seam
between history and live events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from netra_backend.app.plans import PlanTable
from test_framework.websocket_helpers import WebSocketTestClient
from tests.integration.golden_path._agents import scripted_registry
from tests.integration.golden_path._protocol import (
    FRAME_TIMEOUT,
    assert_error_frame,
    assert_golden_order,
    collect_runs,
    next_frame,
    ping_barrier,
    run_agent,
    types_of,
)
from tests.integration.golden_path._servers import GoldenPathServer, backend_params, serving

pytestmark = pytest.mark.integration

Event = dict[str, Any]
HISTORY_MAX = 12


@pytest.fixture(scope="module", params=backend_params())
def log_server(request: pytest.FixtureRequest) -> Iterator[GoldenPathServer]:
    """Scripted agents; per-user limits lifted so a test can run several runs at once."""
    with serving(
        str(request.param),
        registry=scripted_registry(),
        plan_limits=PlanTable.uniform(20, 10_000),
        ws_max_connections_per_user=250,
    ) as server:
        yield server


@pytest.fixture(scope="module")
def short_history_server() -> Iterator[GoldenPathServer]:
    """Keeps 12 events per user, trimmed every 0.2 s."""
    with serving(
        "sqlite",
        registry=scripted_registry(),
        history_max_events=HISTORY_MAX,
        history_trim_interval_seconds=0.2,
    ) as server:
        yield server


async def _resume(client: WebSocketTestClient, last_seq: int) -> tuple[list[Event], Event]:
    """Send ``resume``; return the frames before ``resumed`` (or ``resume_failed``) and it."""
    await client.send_json({"type": "resume", "last_seq": last_seq})
    before: list[Event] = []
    while True:
        frame = await next_frame(client)
        if frame["type"] in ("resumed", "resume_failed"):
            return before, frame
        before.append(frame)


async def _until_terminal(client: WebSocketTestClient, run_id: str) -> list[Event]:
    events: list[Event] = []
    while True:
        frame = await next_frame(client)
        events.append(frame)
        if frame.get("run_id") == run_id and frame["type"] in (
            "agent_completed",
            "agent_failed",
            "agent_cancelled",
        ):
            return events


def _seqs(events: list[Event]) -> list[int]:
    return [int(e["seq"]) for e in events if "seq" in e]


def _assert_no_gap_and_no_repeat_at_the_seam(
    before: list[Event], after: list[Event], *, first: int = 1
) -> list[int]:
    """Frames up to ``resumed`` and after it: together every seq from ``first`` on, none
    missing; after the seam strictly increasing and none seen before it. (Before the seam a
    live event that reached the socket ahead of its ``resume`` frame comes again in the
    replay: the protocol replays every retained event after ``last_seq``.)"""
    seen, later = _seqs(before), _seqs(after)
    everything = sorted(set(seen) | set(later))
    assert everything == list(range(first, first + len(everything))), "a gap"
    assert later == sorted(set(later)), "after the seam: out of order or repeated"
    assert not set(later) & set(seen), "repeated at the seam"
    return everything


async def test_resume_replays_what_another_tab_saw_exactly_once(
    log_server: GoldenPathServer,
) -> None:
    user = await log_server.create_user()
    async with log_server.websocket(user.token) as first:
        seen = await run_agent(first, "echo", "one")
        seen += await run_agent(first, "echo", "two")
    async with log_server.websocket(user.token) as second:
        replayed, resumed = await _resume(second, 0)
        assert await ping_barrier(second) == []
    assert replayed == seen  # the same envelopes, byte for byte decoded, in order
    assert _seqs(replayed) == list(range(1, len(seen) + 1))
    assert resumed == {"type": "resumed", "data": {"last_seq": len(seen), "replayed": len(seen)}}


async def test_resume_from_the_middle_replays_only_what_came_after(
    log_server: GoldenPathServer,
) -> None:
    user = await log_server.create_user()
    async with log_server.websocket(user.token) as client:
        first = await run_agent(client, "echo", "one")
        second = await run_agent(client, "echo", "two")
    async with log_server.websocket(user.token) as client:
        replayed, resumed = await _resume(client, first[-1]["seq"])
        nothing, at_head = await _resume(client, second[-1]["seq"])
    assert replayed == second
    assert resumed["data"] == {"last_seq": second[-1]["seq"], "replayed": len(second)}
    assert nothing == [] and at_head["data"]["replayed"] == 0


async def test_resume_mid_run_has_no_gap_and_no_duplicate_at_the_seam(
    log_server: GoldenPathServer,
) -> None:
    user = await log_server.create_user()
    async with log_server.websocket(user.token) as runner:
        await runner.request_agent("chatty", "talk", context={"count": 60, "pause": 0.01})
        started = await next_frame(runner)
        while (await next_frame(runner))["seq"] < 10:  # the run is well under way
            pass
        async with log_server.websocket(user.token) as late:
            replayed, resumed = await _resume(late, 0)
            live = await _until_terminal(late, started["run_id"])
        await _until_terminal(runner, started["run_id"])
    _assert_no_gap_and_no_repeat_at_the_seam(replayed, live)
    assert resumed["data"]["last_seq"] == max(_seqs(replayed))
    assert resumed["data"]["replayed"] >= 10
    assert replayed[0]["type"] == "agent_started" or replayed[0]["seq"] > 1
    assert [*replayed, *live][-1]["type"] == "agent_completed"


async def test_200_clients_resuming_at_once_each_get_everything_once(
    log_server: GoldenPathServer,
) -> None:
    user = await log_server.create_user()
    async with log_server.websocket(user.token) as client:
        for index in range(3):
            await run_agent(client, "echo", f"run {index}")
    total = 3 * 5

    async def resume_one() -> list[int]:
        async with log_server.websocket(user.token) as resumer:
            replayed, resumed = await _resume(resumer, 0)
            assert resumed["data"] == {"last_seq": total, "replayed": total}
            return _seqs(replayed)

    results = await asyncio.gather(*(resume_one() for _ in range(200)))
    assert all(seqs == list(range(1, total + 1)) for seqs in results)


async def test_resume_beyond_the_last_event_is_unknown_position(
    log_server: GoldenPathServer,
) -> None:
    user = await log_server.create_user()
    async with log_server.websocket(user.token) as client:
        events = await run_agent(client, "echo", "one")
        _, failed = await _resume(client, 1000)
        # The connection stays live: the next run streams as usual.
        assert_golden_order(await run_agent(client, "echo", "two"))
    assert failed["type"] == "resume_failed"
    assert failed["data"]["code"] == "unknown_position"
    assert failed["data"]["last_seq"] == events[-1]["seq"]
    assert "1000" in failed["data"]["message"]


@pytest.mark.parametrize("last_seq", [-1, "3", 1.5, None, True])
async def test_resume_with_a_bad_position_is_invalid_message(
    log_server: GoldenPathServer, last_seq: object
) -> None:
    user = await log_server.create_user()
    async with log_server.websocket(user.token) as client:
        await client.send_json({"type": "resume", "last_seq": last_seq})
        assert_error_frame(await next_frame(client), "invalid_message", mentions=["last_seq"])


async def test_resume_older_than_the_retained_history_is_history_expired(
    short_history_server: GoldenPathServer,
) -> None:
    server = short_history_server
    user = await server.create_user()
    async with server.websocket(user.token) as client:
        for index in range(4):  # 20 events; 12 are kept
            await run_agent(client, "echo", f"run {index}")
        for _ in range(200):  # the trim runs every 0.2 s; bounded wait for it
            _, answer = await _resume(client, 0)
            if answer["type"] == "resume_failed":
                break
            await asyncio.sleep(0.05)
        replayed, resumed = await _resume(client, 20 - HISTORY_MAX)
    assert answer["data"]["code"] == "history_expired"
    assert answer["data"]["last_seq"] == 20
    assert _seqs(replayed) == list(range(20 - HISTORY_MAX + 1, 21))
    assert resumed["data"]["replayed"] == HISTORY_MAX


async def test_a_run_outlives_its_socket_and_its_events_wait_in_the_log(
    log_server: GoldenPathServer,
) -> None:
    user = await log_server.create_user()
    async with log_server.websocket(user.token) as client:
        await client.request_agent("chatty", "talk", context={"count": 30, "pause": 0.02})
        started = await next_frame(client)
    # The socket is gone; the run goes on. A new connection picks up from what was seen.
    async with log_server.websocket(user.token) as client:
        replayed, _ = await _resume(client, started["seq"])
        live: list[Event] = []
        if not any(e["type"] == "agent_completed" for e in replayed):
            live = await _until_terminal(client, started["run_id"])
    seqs = _assert_no_gap_and_no_repeat_at_the_seam([started, *replayed], live)
    events = [*replayed, *live]
    assert seqs == list(range(1, 1 + 1 + 30 + 1))  # started, 30 thoughts, completed
    assert events[-1]["type"] == "agent_completed"
    assert events[-1]["data"]["result"] == {"thoughts": 30}


async def test_cancel_run_ends_it_with_agent_cancelled_and_records_cancelled(
    log_server: GoldenPathServer,
) -> None:
    user = await log_server.create_user()
    async with log_server.websocket(user.token) as client:
        await client.request_agent("stall", "wait", request_id="req-9")
        started = await next_frame(client)
        assert (await next_frame(client))["type"] == "agent_thinking"
        await client.send_json({"type": "cancel_run", "run_id": started["run_id"]})
        runs, _ = await collect_runs(client, 1)
        await client.send_json({"type": "cancel_run", "run_id": started["run_id"]})
        again = await next_frame(client)
    (events,) = runs.values()
    assert types_of(events)[-1] == "agent_cancelled"
    data = events[-1]["data"]
    assert data["agent"] == "stall" and data["request_id"] == "req-9"
    assert isinstance(data["duration_ms"], float)
    assert_error_frame(again, "run_not_active")
    record = await _get_run(log_server, user.token, started["run_id"])
    assert record.status_code == 200
    body = record.json()
    assert body["status"] == "cancelled"
    assert [e["type"] for e in body["events"]] == [
        "agent_started",
        "agent_thinking",
        *types_of(events),
    ]


async def test_cancel_of_another_users_or_an_unknown_run_is_run_not_active(
    log_server: GoldenPathServer,
) -> None:
    owner, other = await log_server.create_user(), await log_server.create_user()
    async with (
        log_server.websocket(owner.token) as mine,
        log_server.websocket(other.token) as theirs,
    ):
        await mine.request_agent("stall", "wait")
        started = await next_frame(mine)
        await theirs.send_json({"type": "cancel_run", "run_id": started["run_id"]})
        foreign = await next_frame(theirs)
        await theirs.send_json({"type": "cancel_run", "run_id": "no-such-run"})
        unknown = await next_frame(theirs)
        await mine.send_json({"type": "cancel_run", "run_id": started["run_id"]})
        runs, _ = await collect_runs(mine, 1)
    assert_error_frame(foreign, "run_not_active")
    assert_error_frame(unknown, "run_not_active")
    assert foreign["data"]["message"].replace(started["run_id"], "X") == unknown["data"][
        "message"
    ].replace("no-such-run", "X"), "the answers must not tell the two cases apart"
    (events,) = runs.values()
    assert types_of(events)[-1] == "agent_cancelled"


async def _get_run(server: GoldenPathServer, token: str, run_id: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=FRAME_TIMEOUT) as http:
        return await http.get(f"/api/runs/{run_id}", headers={"Authorization": f"Bearer {token}"})


async def test_get_run_returns_the_record_and_every_event_the_client_saw(
    log_server: GoldenPathServer,
) -> None:
    owner, other = await log_server.create_user(), await log_server.create_user()
    async with log_server.websocket(owner.token) as client:
        events = await run_agent(client, "echo", "hello")
    run_id = events[0]["run_id"]
    mine = await _get_run(log_server, owner.token, run_id)
    theirs = await _get_run(log_server, other.token, run_id)
    missing = await _get_run(log_server, owner.token, "f" * 32)
    assert mine.status_code == 200
    body = mine.json()
    assert body["run_id"] == run_id and body["status"] == "completed"
    assert body["events"] == events
    assert theirs.status_code == 404 and missing.status_code == 404
    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"


async def test_seq_is_shared_by_a_users_tabs_and_separate_per_user(
    log_server: GoldenPathServer,
) -> None:
    alice, bob = await log_server.create_user(), await log_server.create_user()
    async with (
        log_server.websocket(alice.token) as tab1,
        log_server.websocket(alice.token) as tab2,
        log_server.websocket(bob.token) as bobs,
    ):
        assert await ping_barrier(tab2) == []
        alice_run = await run_agent(tab1, "echo", "a")
        bob_run = await run_agent(bobs, "echo", "b")
        runs, _ = await collect_runs(tab2, 1)
    assert _seqs(alice_run) == [1, 2, 3, 4, 5] == _seqs(bob_run)
    assert list(runs.values()) == [alice_run]
