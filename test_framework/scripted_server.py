"""``netra serve`` with scripted agents, as a launcher for ``start_server(launcher=LAUNCHER)``.

Run as ``python test_framework/scripted_server.py serve --port P``: the real command
(``netra_backend.cli.main``, its settings and uvicorn options); only the registry holds the
built-in agents plus ``slow_steps``, a scripted agent for tests that need a run to last (the
browser's Cancel button, steps arriving over time). It thinks ``context.steps`` times (default
12), ``context.delay`` seconds apart (default 0.15), and streams its reply as
``agent_message_delta`` events.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from netra_backend import cli
from netra_backend.app import services
from netra_backend.app.agents.base import AgentRequest, FunctionAgent, JSONDict, RunHandle
from netra_backend.app.agents.builtin import BUILTIN_AGENTS, BUILTIN_TOOLS
from netra_backend.app.agents.registry import AgentRegistry

LAUNCHER = Path(__file__).resolve()
"""This file, for ``start_server(launcher=...)``."""
MAX_STEPS = 200


async def slow_steps(request: AgentRequest, run: RunHandle) -> JSONDict:
    """Think ``steps`` times with a pause between, then stream and return a short reply."""
    steps = max(1, min(MAX_STEPS, int(request.context.get("steps", 12))))
    delay = max(0.0, min(5.0, float(request.context.get("delay", 0.15))))
    for step in range(1, steps + 1):
        await run.think(f"Step {step} of {steps}")
        await asyncio.sleep(delay)
    words = ["Finished", "all", str(steps), "steps."]
    for index, word in enumerate(words):
        await run.message_delta("reply", word if index == 0 else " " + word)
    return {"reply": " ".join(words), "steps": steps}


def scripted_registry() -> AgentRegistry:
    """The built-in agents and the scripted ones."""
    return AgentRegistry(
        [*BUILTIN_AGENTS, FunctionAgent("slow_steps", slow_steps, "Slow steps")], BUILTIN_TOOLS
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``netra serve`` (same flags) with :func:`scripted_registry`."""
    # Services.start looks the default registry up at call time (services imports it from
    # agents.registry without re-exporting it, hence attr-defined).
    services.default_registry = scripted_registry  # type: ignore[attr-defined]
    cli.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
