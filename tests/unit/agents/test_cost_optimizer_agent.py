"""Unit tests of CostOptimizerAgent, run against a RunHandle double that records every call."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from netra_backend.app.agents.base import Agent, AgentRequest, RunHandle
from netra_backend.app.agents.cost_optimizer import CostOptimizerAgent
from netra_backend.app.errors import InvalidContextError
from test_framework.recording_run import RecordingRun

pytestmark = pytest.mark.unit


def _request(context: Mapping[str, Any]) -> AgentRequest:
    return AgentRequest(
        run_id="run-1",
        user_id="u1",
        agent="cost_optimizer",
        message="cut my bill",
        context=context,
    )


async def _run(context: Mapping[str, Any]) -> tuple[dict[str, Any], RecordingRun]:
    run = RecordingRun()
    result = await CostOptimizerAgent().run(_request(context), run)
    return result, run


def test_agent_satisfies_the_protocols() -> None:
    agent = CostOptimizerAgent()
    assert isinstance(agent, Agent) and agent.name == "cost_optimizer"
    assert isinstance(RecordingRun(), RunHandle)


async def test_golden_example_thinks_calls_the_tool_and_returns_savings() -> None:
    context = {"monthly_spend": 10000, "primary_services": ["EC2", "RDS", "S3"]}
    result, run = await _run(context)

    assert [c[0] for c in run.calls] == ["think", "tool"]
    assert run.calls[1][1:] == ("aws_cost_model", context)
    assert set(result) == {
        "summary",
        "recommendations",
        "cost_savings",
        "unsupported_services",
        "assumptions",
    }
    recs = result["recommendations"]
    assert recs
    for rec in recs:
        assert {
            "id",
            "service",
            "title",
            "action",
            "estimated_monthly_savings",
            "confidence",
            "effort",
        } <= set(rec)
    savings = result["cost_savings"]
    assert 0 < savings["monthly"] <= 10000
    assert Decimal(str(savings["annual"])) == Decimal(str(savings["monthly"])) * 12
    assert savings["percent_of_spend"] == pytest.approx(savings["monthly"] / 100, abs=0.006)
    assert [r["estimated_monthly_savings"] for r in recs] == sorted(
        (r["estimated_monthly_savings"] for r in recs), reverse=True
    )
    assert result["unsupported_services"] == []
    json.dumps(result)  # JSON-able, as the runtime will send it


async def test_summary_is_a_sentence_with_the_numbers() -> None:
    result, _ = await _run({"monthly_spend": 10000, "primary_services": ["EC2", "RDS", "S3"]})
    savings = result["cost_savings"]
    summary = result["summary"]
    assert summary.startswith(f"Found {len(result['recommendations'])} savings opportunities")
    assert f"${savings['monthly']:,.2f}/month" in summary
    assert f"({savings['percent_of_spend']:.1f}% of $10,000.00)" in summary


async def test_unsupported_services_and_breakdown_pass_through() -> None:
    context = {
        "monthly_spend": 5000.5,
        "primary_services": ["Amazon EC2", "Route 53"],
        "breakdown": {"Amazon EC2": 3000, "Route 53": 200.25},
    }
    result, run = await _run(context)
    assert run.calls[1][2]["breakdown"] == context["breakdown"]
    assert result["unsupported_services"] == ["Route 53"]
    assert result["cost_savings"]["monthly"] < 3000


async def test_zero_spend_finds_nothing_and_says_so() -> None:
    result, _ = await _run({"monthly_spend": 0, "primary_services": ["EC2"]})
    assert result["recommendations"] == []
    assert result["cost_savings"] == {
        "monthly": 0.0,
        "annual": 0.0,
        "percent_of_spend": 0.0,
    }
    assert result["summary"].startswith("Found no savings opportunities")


@pytest.mark.parametrize(
    ("context", "field_name"),
    [
        ({}, "monthly_spend"),
        ({"monthly_spend": None, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": True, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": "10000", "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": -5, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": math.nan, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": math.inf, "primary_services": ["EC2"]}, "monthly_spend"),
        ({"monthly_spend": 100}, "primary_services"),
        ({"monthly_spend": 100, "primary_services": "EC2"}, "primary_services"),
        ({"monthly_spend": 100, "primary_services": []}, "primary_services"),
        ({"monthly_spend": 100, "primary_services": ["EC2", None]}, "primary_services"),
        (
            {"monthly_spend": 100, "primary_services": ["EC2"], "breakdown": "EC2=100"},
            "breakdown",
        ),
        (
            {
                "monthly_spend": 100,
                "primary_services": ["EC2"],
                "breakdown": {"EC2": -1},
            },
            "breakdown",
        ),
        (
            {
                "monthly_spend": 100,
                "primary_services": ["EC2"],
                "breakdown": {"EC2": False},
            },
            "breakdown",
        ),
        (
            {
                "monthly_spend": 100,
                "primary_services": ["EC2"],
                "breakdown": {"EC2": "50"},
            },
            "breakdown",
        ),
        (
            {
                "monthly_spend": 100,
                "primary_services": ["EC2"],
                "breakdown": {"EC2": 80, "S3": 40},
            },
            "breakdown",
        ),
    ],
)
async def test_bad_context_fails_naming_the_field_before_any_tool_runs(
    context: dict[str, Any], field_name: str
) -> None:
    run = RecordingRun()
    with pytest.raises(InvalidContextError) as caught:
        await CostOptimizerAgent().run(_request(context), run)
    assert caught.value.field == field_name
    assert caught.value.code == "invalid_context"
    assert f"context.{field_name}" in str(caught.value)
    assert run.calls == []
