"""A stand-in run handle that records what an agent does, for unit tests of agents.

Agents get a ``RunHandle`` from the runtime; this double runs tools for real and records
each ``think`` and tool call in order, so a test sees exactly what an agent asked for; streamed
reply text goes to ``deltas``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netra_backend.app.agents.base import Tool


@dataclass
class RecordingRun:
    """A RunHandle that runs tools for real and records each think and tool call in order."""

    run_id: str = "run-1"
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    deltas: list[tuple[str, str]] = field(default_factory=list)

    async def think(self, text: str) -> None:
        """Record a thought."""
        self.calls.append(("think", text))

    async def use_tool(self, tool: Tool, arguments: Mapping[str, Any]) -> Any:
        """Record the call, then run the tool and return its result."""
        self.calls.append(("tool", tool.name, dict(arguments)))
        return await tool.invoke(arguments)

    async def message_delta(self, message_id: str, delta: str) -> None:
        """Record a piece of streamed reply text."""
        self.deltas.append((message_id, delta))
