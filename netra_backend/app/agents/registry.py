"""The agent registry: names to agents."""

from __future__ import annotations

from collections.abc import Iterable

from netra_backend.app.agents.base import Agent


class AgentRegistry:
    """Holds the agents a server offers, by name."""

    def __init__(self, agents: Iterable[Agent] = ()) -> None:
        self._agents: dict[str, Agent] = {}
        for agent in agents:
            self.register(agent)

    def register(self, agent: Agent) -> None:
        """Add ``agent``; a second agent with the same name is a mistake and raises."""
        if agent.name in self._agents:
            raise ValueError(f"an agent named {agent.name!r} is already registered")
        self._agents[agent.name] = agent

    def get(self, name: str) -> Agent | None:
        """The agent called ``name``, or None."""
        return self._agents.get(name)

    def names(self) -> list[str]:
        """Registered agent names, sorted."""
        return sorted(self._agents)


def default_registry() -> AgentRegistry:
    """A registry holding the built-in agents."""
    from netra_backend.app.agents.builtin import BUILTIN_AGENTS

    return AgentRegistry(BUILTIN_AGENTS)
