"""The agent registry: names to agents, the tools a model may be offered, and hints."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable

from netra_backend.app.agents.base import Agent, Tool

logger = logging.getLogger(__name__)


class AgentRegistry:
    """Holds the agents a server offers, by name, and the tools agents may hand to a model."""

    def __init__(self, agents: Iterable[Agent] = (), tools: Iterable[Tool] = ()) -> None:
        self._agents: dict[str, Agent] = {}
        self._tools: dict[str, Tool] = {}
        self._hints: dict[str, str] = {}
        for agent in agents:
            self.register(agent)
        for tool in tools:
            self.register_tool(tool)

    def register(self, agent: Agent) -> None:
        """Add ``agent``; a second agent with the same name is a mistake and raises."""
        if agent.name in self._agents:
            raise ValueError(f"an agent named {agent.name!r} is already registered")
        self._agents[agent.name] = agent
        self._hints.pop(agent.name, None)

    def register_tool(self, tool: Tool) -> None:
        """Add ``tool`` (one with a JSON schema in ``parameters``); a second of a name raises."""
        if tool.parameters is None:
            raise ValueError(f"tool {tool.name!r} has no JSON schema in 'parameters'")
        if tool.name in self._tools:
            raise ValueError(f"a tool named {tool.name!r} is already registered")
        self._tools[tool.name] = tool

    def hint(self, name: str, how_to_enable: str) -> None:
        """Say how to enable agent ``name``, for the ``unknown_agent`` answer while it is off."""
        if name not in self._agents:
            self._hints[name] = how_to_enable

    def get(self, name: str) -> Agent | None:
        """The agent called ``name``, or None."""
        return self._agents.get(name)

    def names(self) -> list[str]:
        """Registered agent names, sorted."""
        return sorted(self._agents)

    def tools(self) -> list[Tool]:
        """Registered tools, sorted by name."""
        return [self._tools[name] for name in sorted(self._tools)]

    def unknown_agent_message(self, name: str) -> str:
        """The sentence of an ``unknown_agent`` error for ``name``."""
        hint = self._hints.get(name)
        if hint is not None:
            return f"the {name} agent is not enabled on this server: {hint}"
        return f"unknown agent {name!r}; available: {self.names()}"

    async def aclose(self) -> None:
        """Close every agent that has an ``aclose`` (model clients, connection pools)."""
        for agent in self._agents.values():
            close = getattr(agent, "aclose", None)
            if close is None or not inspect.iscoroutinefunction(close):
                continue
            try:
                await close()
            except Exception:
                logger.exception("agent %s failed to close", agent.name)


def default_registry() -> AgentRegistry:
    """A registry holding the built-in agents and tools."""
    from netra_backend.app.agents.builtin import BUILTIN_AGENTS, BUILTIN_TOOLS

    return AgentRegistry(BUILTIN_AGENTS, BUILTIN_TOOLS)
