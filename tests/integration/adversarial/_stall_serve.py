"""``netra serve`` with two extra agents: ``stall`` never finishes on its own, ``slow`` ends
after ``context.seconds``.

Run as a script: ``python tests/integration/adversarial/_stall_serve.py serve --port P``.
Everything else is the real command (``netra_backend.cli.main``, uvicorn's signal handling
and lifespan); only the registry the app builds gains them, so a test can interrupt
the server while a run is certainly in flight.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from netra_backend.app import services
from netra_backend.app.agents.base import AgentRequest, FunctionAgent, JSONDict, RunHandle
from netra_backend.app.agents.builtin import BUILTIN_AGENTS
from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.cli import main


async def _stall(request: AgentRequest, run: RunHandle) -> JSONDict:
    await run.think("waiting for ever")
    await asyncio.sleep(3600)
    return {}


async def _slow(request: AgentRequest, run: RunHandle) -> JSONDict:
    await run.think("taking a moment")
    await asyncio.sleep(float(request.context.get("seconds", 2)))
    return {"slept": True}


def _registry() -> AgentRegistry:
    return AgentRegistry(
        [
            *BUILTIN_AGENTS,
            FunctionAgent("stall", _stall, "never finishes"),
            FunctionAgent("slow", _slow, "finishes after context.seconds"),
        ]
    )


if __name__ == "__main__":
    # Replaces the name create_services() looks up at call time (services imports it from
    # agents.registry without re-exporting it, hence attr-defined).
    services.default_registry = _registry  # type: ignore[attr-defined]
    main(sys.argv[1:])
