"""Several tabs of one user all receive that user's events; reconnecting and running again works.

Also: a ``user_id`` in a payload never changes who receives the events.
"""

from __future__ import annotations

import pytest

from test_framework.real_services_test_fixtures import RealServices
from tests.integration.golden_path._protocol import (
    assert_golden_order,
    collect_runs,
    list_runs,
    ping_barrier,
    run_agent,
)

pytestmark = pytest.mark.integration

COST_CONTEXT = {"monthly_spend": 10_000, "primary_services": ["EC2", "RDS", "S3"]}


async def test_two_tabs_of_one_user_receive_the_same_events_and_others_none(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    alice = await services.create_user()
    bob = await services.create_user()
    async with (
        services.websocket(alice.token) as tab1,
        services.websocket(alice.token) as tab2,
        services.websocket(bob.token) as bob_tab,
    ):
        for client in (tab1, tab2, bob_tab):
            assert await ping_barrier(client) == []
        await tab1.request_agent("cost_optimizer", "analyse", context=COST_CONTEXT, request_id="t1")
        runs1, other1 = await collect_runs(tab1, 1)
        runs2, other2 = await collect_runs(tab2, 1)
        # The request came from tab 1, but tab 2 can start runs too and tab 1 sees them.
        await tab2.request_agent("triage_agent", "is this too costly?", request_id="t2")
        runs1b, _ = await collect_runs(tab1, 1)
        runs2b, _ = await collect_runs(tab2, 1)
        assert await ping_barrier(bob_tab) == [], "another user's socket received events"
        assert await ping_barrier(tab1) == [] and await ping_barrier(tab2) == []

    assert other1 == other2 == []
    (events1,) = runs1.values()
    (events2,) = runs2.values()
    assert_golden_order(events1)
    assert events1 == events2, "the two tabs saw different frames"
    assert [e["event_id"] for e in events1] == [e["event_id"] for e in events2]
    assert [e["seq"] for e in events1] == [e["seq"] for e in events2]
    assert runs1b == runs2b
    (second,) = runs1b.values()
    assert second[0]["seq"] == events1[-1]["seq"] + 1, "seq is not shared by the user's tabs"


async def test_reconnect_and_run_again_continues_the_users_sequence(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    user = await services.create_user()
    async with services.websocket(user.token) as first:
        before = await run_agent(first, "triage_agent", "cut my cloud costs", request_id="before")
    async with services.websocket(user.token) as second:
        after = await run_agent(
            second, "cost_optimizer", "and now?", context=COST_CONTEXT, request_id="after"
        )
    assert_golden_order(before)
    assert_golden_order(after)
    assert after[0]["run_id"] != before[0]["run_id"]
    assert after[0]["seq"] == before[-1]["seq"] + 1, (
        f"seq after reconnect: {after[0]['seq']}, last before: {before[-1]['seq']}"
    )
    runs = await list_runs(services.base_url, user.token)
    assert [run["run_id"] for run in runs] == [after[0]["run_id"], before[0]["run_id"]]
    assert {run["status"] for run in runs} == {"completed"}


async def test_user_id_in_payload_does_not_change_who_receives_events(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    mallory = await services.create_user()
    victim = await services.create_user()
    async with (
        services.websocket(mallory.token) as attacker,
        services.websocket(victim.token) as target,
    ):
        assert await ping_barrier(target) == []
        await attacker.send_json(
            {
                "type": "agent_request",
                "agent": "triage_agent",
                "message": "my bill is too expensive",
                "request_id": "spoof",
                "user_id": victim.user_id,
                "context": {"user_id": victim.user_id},
            }
        )
        runs, other = await collect_runs(attacker, 1)
        assert await ping_barrier(target) == [], "the victim received the attacker's run"
    assert other == []
    (events,) = runs.values()
    assert_golden_order(events)
    assert events[0]["data"]["request_id"] == "spoof"
    assert [run["run_id"] for run in await list_runs(services.base_url, mallory.token)] == [
        events[0]["run_id"]
    ]
    assert await list_runs(services.base_url, victim.token) == []
