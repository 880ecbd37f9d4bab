"""``cost_optimizer``: estimates AWS savings for a monthly bill.

Context (``agent_request.context``):

* ``monthly_spend`` — required; the monthly AWS spend in USD, a finite number >= 0 (not a bool),
  at most 10^12.
* ``primary_services`` — required; a non-empty list (at most 50) of AWS service names, matched
  case-insensitively with common aliases ("EC2", "Amazon EC2", "amazon-rds", "S3" ...).
* ``breakdown`` — optional; ``{service name: monthly USD}``, each amount a finite number >= 0 and
  their sum at most ``monthly_spend`` (half a cent of slack for float noise). Services that
  appear only here are analysed too. Spend not covered by the breakdown is split over the named
  services without an entry (see ``tools/aws_cost_model.py``).

Other context keys are ignored. A bad context raises :class:`InvalidContextError` naming the
field, before any tool runs. The run emits one ``agent_thinking`` then one ``aws_cost_model``
tool call, and returns::

    {summary, recommendations: [{id, service, title, action, estimated_monthly_savings,
     confidence, effort, source}], cost_savings: {monthly, annual, percent_of_spend},
     unsupported_services, assumptions}

``recommendations`` are sorted by savings, descending; money is in USD rounded down to the
cent, so the total never exceeds the spend; ``percent_of_spend`` is a percentage (0-100).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netra_backend.app.agents.base import AgentRequest, JSONDict, RunHandle
from netra_backend.app.agents.tools.aws_cost_model import (
    AWS_COST_MODEL,
    CostModelInputError,
    check_amount,
    check_breakdown,
    check_services,
    usd,
)
from netra_backend.app.errors import InvalidContextError


def validate_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """Check ``context`` and return the ``aws_cost_model`` arguments; raise naming the field."""
    for field in ("monthly_spend", "primary_services"):
        if field not in context or context[field] is None:
            raise InvalidContextError(field, "is required")
    try:
        spend = check_amount("monthly_spend", context["monthly_spend"])
        services = check_services(context["primary_services"])
        breakdown = check_breakdown(context.get("breakdown"), spend)
    except CostModelInputError as exc:
        raise InvalidContextError(exc.field, exc.problem) from exc
    arguments: dict[str, Any] = {
        "monthly_spend": context["monthly_spend"],
        "primary_services": [s.strip() for s in services],
    }
    if breakdown:
        arguments["breakdown"] = dict(context["breakdown"])
    return arguments


def summarise(count: int, monthly: float, percent: float, spend: float) -> str:
    """One human sentence with the numbers."""
    if count == 0:
        return f"Found no savings opportunities for {usd(spend)}/month on the services named."
    plural = "opportunity" if count == 1 else "opportunities"
    return (
        f"Found {count} savings {plural} worth {usd(monthly)}/month "
        f"({percent:.1f}% of {usd(spend)}), about {usd(monthly * 12)}/year."
    )


class CostOptimizerAgent:
    """Finds savings on an AWS bill with the ``aws_cost_model`` tool."""

    name = "cost_optimizer"
    description = (
        "Estimates AWS savings from context.monthly_spend, context.primary_services and an "
        "optional context.breakdown, with recommendations sorted by monthly savings."
    )

    async def run(self, request: AgentRequest, run: RunHandle) -> JSONDict:
        arguments = validate_context(request.context)
        services = ", ".join(arguments["primary_services"])
        await run.think(
            f"Applying documented AWS savings levers to {usd(arguments['monthly_spend'])}/month "
            f"across {services}."
        )
        model: dict[str, Any] = await run.use_tool(AWS_COST_MODEL, arguments)
        recommendations = model["recommendations"]
        monthly = model["total_monthly_savings"]
        return {
            "summary": summarise(
                len(recommendations),
                monthly,
                model["percent_of_spend"],
                model["monthly_spend"],
            ),
            "recommendations": recommendations,
            "cost_savings": {
                "monthly": monthly,
                "annual": model["annual_savings"],
                "percent_of_spend": model["percent_of_spend"],
            },
            "unsupported_services": model["unsupported_services"],
            "assumptions": model["assumptions"],
        }
