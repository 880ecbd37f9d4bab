"""Agents a server offers only when configured: the ``assistant`` needs a model endpoint.

Apart from ``agents/assistant.py`` so that a server without a model never imports the
``openai`` SDK, about 0.35-0.55 s of every start-up (``python -X importtime``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.config import Settings

if TYPE_CHECKING:
    from netra_backend.app.agents.assistant import AssistantAgent, TurnSource

logger = logging.getLogger(__name__)

ASSISTANT = "assistant"
ASSISTANT_HINT = (
    "set NETRA_LLM_BASE_URL (an OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 "
    "for Ollama) and NETRA_LLM_MODEL"
)


def enable_assistant(
    registry: AgentRegistry, settings: Settings, conversations: TurnSource | None = None
) -> AssistantAgent | None:
    """Register the ``assistant`` when ``NETRA_LLM_BASE_URL`` is set; else leave a hint."""
    if not settings.llm_base_url:
        registry.hint(ASSISTANT, ASSISTANT_HINT)
        return None
    from netra_backend.app.agents.assistant import AssistantAgent, without_userinfo

    agent = AssistantAgent(settings, registry, conversations)
    registry.register(agent)
    if without_userinfo(settings.llm_base_url) != settings.llm_base_url:
        logger.warning(
            "NETRA_LLM_BASE_URL holds user:password@, which is not sent to %s; put the "
            "provider's key in NETRA_LLM_API_KEY",
            agent.where,
        )
    logger.info("assistant agent enabled: model %s at %s", agent.model, agent.where)
    return agent
