"""``GET /api/runs``: the caller's own runs, newest first, each with its status and outcome."""

from __future__ import annotations

import httpx
import pytest

from test_framework.real_services_test_fixtures import RealServices
from tests.integration.golden_path._protocol import list_runs, run_agent

pytestmark = pytest.mark.integration


async def test_runs_are_listed_newest_first_and_only_the_callers_own(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    alice = await services.create_user()
    bob = await services.create_user()
    alice_runs: list[str] = []
    async with services.websocket(alice.token) as alice_ws, services.websocket(bob.token) as bob_ws:
        for k, message in enumerate(["reduce my bill", "latency is slow", "hello"]):
            events = await run_agent(alice_ws, "triage_agent", message, request_id=f"a{k}")
            alice_runs.append(events[0]["run_id"])
        bob_events = await run_agent(bob_ws, "triage_agent", "bob's bill is too expensive")

    listed = await list_runs(services.base_url, alice.token)
    assert [run["run_id"] for run in listed] == alice_runs[::-1]
    started = [run["started_at"] for run in listed]
    assert started == sorted(started, reverse=True)
    for run in listed:
        assert run["agent"] == "triage_agent"
        assert run["status"] == "completed"
        assert run["error"] is None and run["result"]["intent"] in {
            "cost",
            "performance",
            "general",
        }
    assert [run["request"]["request_id"] for run in listed] == ["a2", "a1", "a0"]
    assert [run["request"]["message"] for run in listed] == [
        "hello",
        "latency is slow",
        "reduce my bill",
    ]

    assert [run["run_id"] for run in await list_runs(services.base_url, bob.token)] == [
        bob_events[0]["run_id"]
    ]


async def test_runs_limit_parameter_keeps_the_newest(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    user = await services.create_user()
    async with services.websocket(user.token) as client:
        ids = [
            (await run_agent(client, "triage_agent", f"bill {k}"))[0]["run_id"] for k in range(3)
        ]
    async with httpx.AsyncClient(base_url=services.base_url, timeout=30.0) as http:
        response = await http.get("/api/runs", params={"limit": 2}, headers=user.auth_headers)
        assert response.status_code == 200, response.text
        assert [run["run_id"] for run in response.json()["runs"]] == ids[:0:-1]
        for bad in (0, -1, 10_000, "many"):
            rejected = await http.get("/api/runs", params={"limit": bad}, headers=user.auth_headers)
            assert rejected.status_code == 422, rejected.text
            assert "limit" in rejected.json()["error"]["message"]


async def test_new_user_has_no_runs(real_services_all_backends: RealServices) -> None:
    user = await real_services_all_backends.create_user()
    assert await list_runs(real_services_all_backends.base_url, user.token) == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}], ids=["none", "garbage"])
async def test_runs_without_valid_token_is_401(
    real_services_all_backends: RealServices, headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(
        base_url=real_services_all_backends.base_url, timeout=30.0
    ) as http:
        response = await http.get("/api/runs", headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"]
