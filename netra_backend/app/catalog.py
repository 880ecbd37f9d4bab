"""What a client can ask for: ``GET /api/agents`` and ``GET /api/cost-model/services``.

The chat page builds its agent picker and the cost form's service checkboxes from these, so a
new agent or a newly modelled service shows up without a page change. Both are public (they
describe the server, not a user) and read only in-memory data.
"""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Request
from pydantic import BaseModel

from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.agents.tools.aws_cost_model import load_catalog


class AgentOut(BaseModel):
    """One agent the server runs."""

    name: str
    description: str


class AgentsOut(BaseModel):
    """``GET /api/agents``: the agents, sorted by name."""

    agents: list[AgentOut]


class ServiceOut(BaseModel):
    """One AWS service the cost model has savings levers for."""

    id: str
    name: str


class ServicesOut(BaseModel):
    """``GET /api/cost-model/services``: the modelled services, in the model's order."""

    services: list[ServiceOut]


router = APIRouter(prefix="/api", tags=["catalog"])


@router.get("/agents", response_model=AgentsOut)
async def list_agents(request: Request) -> AgentsOut:
    """The agents an ``agent_request`` may name."""
    registry = cast(AgentRegistry, request.app.state.services.registry)
    agents = []
    for name in registry.names():
        agent = registry.get(name)
        description = getattr(agent, "description", "") if agent is not None else ""
        agents.append(AgentOut(name=name, description=str(description)))
    return AgentsOut(agents=agents)


@router.get("/cost-model/services", response_model=ServicesOut)
async def list_cost_model_services() -> ServicesOut:
    """The services ``cost_optimizer`` has levers for; other names are reported unsupported."""
    catalog = load_catalog()
    return ServicesOut(
        services=[
            ServiceOut(id=key, name=name)
            for key, name in catalog.display_names.items()
            if catalog.levers.get(key)
        ]
    )
