"""The agents that ship with Netra, for the runtime's registry."""

from __future__ import annotations

from netra_backend.app.agents.base import Agent
from netra_backend.app.agents.cost_optimizer import CostOptimizerAgent
from netra_backend.app.agents.triage import TriageAgent

BUILTIN_AGENTS: tuple[Agent, ...] = (TriageAgent(), CostOptimizerAgent())

__all__ = ["BUILTIN_AGENTS"]
