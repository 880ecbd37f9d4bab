"""The Golden Path with the built-in agents, over a real socket, on SQLite and PostgreSQL.

A user registers, opens ``/api/ws`` with the token, asks ``cost_optimizer`` about a
$10,000/month bill on EC2, RDS and S3 and sees the five critical events in order, the last
holding sorted recommendations and savings within the spend; the run is then in ``/api/runs``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from test_framework.real_services_test_fixtures import RealServices
from tests.integration.golden_path._protocol import (
    assert_golden_order,
    list_runs,
    ping_barrier,
    run_agent,
)

pytestmark = pytest.mark.integration

SPEND = 10_000
COST_CONTEXT: dict[str, Any] = {"monthly_spend": SPEND, "primary_services": ["EC2", "RDS", "S3"]}
RECOMMENDATION_KEYS = {
    "id",
    "service",
    "title",
    "action",
    "estimated_monthly_savings",
    "confidence",
    "effort",
}


def _short_service(name: str) -> str:
    """ "Amazon EC2" -> "EC2": the model reports AWS's full service names."""
    matches = [short for short in ("EC2", "RDS", "S3") if short in name.split()]
    assert len(matches) == 1, f"recommendation for an unexpected service {name!r}"
    return matches[0]


def _tool_events(events: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [event["data"] for event in events if event["type"] == event_type]


async def test_cost_optimizer_golden_path_streams_five_events_and_savings(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    user = await services.create_user(subscription="enterprise")
    async with services.websocket(user.token) as client:
        events = await run_agent(
            client,
            "cost_optimizer",
            "Analyse my AWS bill of $10,000/month on EC2, RDS and S3",
            context=COST_CONTEXT,
            request_id="gp-cost-1",
        )
    assert_golden_order(events)
    started, completed = events[0], events[-1]
    assert started["data"]["agent"] == "cost_optimizer"
    assert started["data"]["request_id"] == "gp-cost-1"
    assert completed["data"]["request_id"] == "gp-cost-1"
    assert completed["data"]["duration_ms"] >= 0

    executing = _tool_events(events, "tool_executing")
    finished = _tool_events(events, "tool_completed")
    assert [call["tool"] for call in executing] == ["aws_cost_model"]
    assert executing[0]["arguments"]["monthly_spend"] == SPEND
    assert finished[0]["call_id"] == executing[0]["call_id"]
    assert finished[0]["arguments"] == executing[0]["arguments"]
    assert isinstance(finished[0]["result"], dict) and finished[0]["duration_ms"] >= 0

    result = completed["data"]["result"]
    recommendations = result["recommendations"]
    assert recommendations, f"no recommendations: {result!r}"
    for recommendation in recommendations:
        assert set(recommendation) >= RECOMMENDATION_KEYS, recommendation
        assert recommendation["estimated_monthly_savings"] > 0, recommendation
    savings = [r["estimated_monthly_savings"] for r in recommendations]
    assert savings == sorted(savings, reverse=True), f"not sorted by savings: {savings}"
    assert len({r["id"] for r in recommendations}) == len(recommendations)
    assert {_short_service(r["service"]) for r in recommendations} == {"EC2", "RDS", "S3"}

    cost = result["cost_savings"]
    assert 0 < cost["monthly"] <= SPEND
    assert math.isclose(sum(savings), cost["monthly"], abs_tol=0.011 * len(savings))
    assert math.isclose(cost["annual"], cost["monthly"] * 12, abs_tol=0.01)
    assert math.isclose(cost["percent_of_spend"], cost["monthly"] / SPEND * 100, abs_tol=0.01)
    assert isinstance(result["summary"], str) and result["summary"]


async def test_cost_optimizer_lists_services_it_has_no_lever_for(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    user = await services.create_user()
    context = {"monthly_spend": 5000, "primary_services": ["EC2", "Route 53 Resolver Quux"]}
    async with services.websocket(user.token) as client:
        events = await run_agent(client, "cost_optimizer", "what can I save?", context=context)
    assert_golden_order(events)
    result = events[-1]["data"]["result"]
    assert result["cost_savings"]["monthly"] <= 5000
    assert "Route 53 Resolver Quux" in result["unsupported_services"]
    assert {_short_service(r["service"]) for r in result["recommendations"]} == {"EC2"}


@pytest.mark.parametrize(
    ("message", "intent", "suggested_agent"),
    [
        ("My AWS bill is too high, how can I reduce costs?", "cost", "cost_optimizer"),
        ("Our API latency is slow and p99 response times spike", "performance", "triage_agent"),
        ("The model output quality is bad, answers are inaccurate", "quality", "triage_agent"),
    ],
)
async def test_triage_agent_golden_path_classifies_intent(
    real_services_all_backends: RealServices, message: str, intent: str, suggested_agent: str
) -> None:
    services = real_services_all_backends
    user = await services.create_user()
    async with services.websocket(user.token) as client:
        events = await run_agent(client, "triage_agent", message, request_id="triage-1")
    assert_golden_order(events)
    assert [call["tool"] for call in _tool_events(events, "tool_executing")] == [
        "intent_classifier"
    ]
    result = events[-1]["data"]["result"]
    assert set(result) == {"intent", "confidence", "suggested_agent", "reply"}
    assert result["intent"] == intent
    assert result["suggested_agent"] == suggested_agent
    assert 0.5 <= result["confidence"] <= 1.0
    assert isinstance(result["reply"], str) and result["reply"]


@pytest.mark.parametrize(
    ("context", "field"),
    [
        ({"primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": -1, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": "a lot", "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": True, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": 100}, "primary_services"),
        ({"monthly_spend": 100, "primary_services": "EC2"}, "primary_services"),
        ({"monthly_spend": 100, "primary_services": []}, "primary_services"),
        (
            {"monthly_spend": 100, "primary_services": ["EC2"], "breakdown": {"EC2": 500}},
            "breakdown",
        ),
    ],
)
async def test_cost_optimizer_bad_context_fails_with_invalid_context_naming_field(
    real_services_all_backends: RealServices, context: dict[str, Any], field: str
) -> None:
    services = real_services_all_backends
    user = await services.create_user()
    async with services.websocket(user.token) as client:
        events = await run_agent(client, "cost_optimizer", "save me money", context=context)
        # A failed run leaves the connection usable.
        assert await ping_barrier(client) == []
    assert_golden_order(events, completed=False)
    error = events[-1]["data"]["error"]
    assert error["code"] == "invalid_context"
    assert field in error["message"], error
    assert "tool_executing" not in [event["type"] for event in events]


async def test_runs_api_records_completed_and_failed_golden_path_runs(
    real_services_all_backends: RealServices,
) -> None:
    services = real_services_all_backends
    user = await services.create_user()
    async with services.websocket(user.token) as client:
        good = await run_agent(client, "cost_optimizer", "save", context=COST_CONTEXT)
        bad = await run_agent(client, "cost_optimizer", "save", context={"monthly_spend": -5})
    runs = {run["run_id"]: run for run in await list_runs(services.base_url, user.token)}
    assert set(runs) == {good[0]["run_id"], bad[0]["run_id"]}

    completed = runs[good[0]["run_id"]]
    assert completed["agent"] == "cost_optimizer"
    assert completed["status"] == "completed"
    assert completed["result"] == good[-1]["data"]["result"]
    assert completed["error"] is None
    assert completed["request"]["context"] == COST_CONTEXT
    assert (
        completed["finished_at"] is not None and completed["finished_at"] >= completed["started_at"]
    )

    failed = runs[bad[0]["run_id"]]
    assert failed["status"] == "failed"
    assert failed["result"] is None
    assert failed["error"] == bad[-1]["data"]["error"]
    assert failed["error"]["code"] == "invalid_context"
