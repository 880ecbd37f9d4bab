"""The agents and model-callable tools that ship with Netra, for the runtime's registry."""

from __future__ import annotations

from netra_backend.app.agents.base import Agent, Tool
from netra_backend.app.agents.cost_optimizer import CostOptimizerAgent
from netra_backend.app.agents.tools.aws_cost_model import AWS_COST_MODEL
from netra_backend.app.agents.tools.intent_classifier import INTENT_CLASSIFIER
from netra_backend.app.agents.triage import TriageAgent

BUILTIN_AGENTS: tuple[Agent, ...] = (TriageAgent(), CostOptimizerAgent())
BUILTIN_TOOLS: tuple[Tool, ...] = (AWS_COST_MODEL, INTENT_CLASSIFIER)

__all__ = ["BUILTIN_AGENTS", "BUILTIN_TOOLS"]
