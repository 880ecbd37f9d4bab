"""Scripted agents for servers with special settings: fast, stalling, crashing, misbehaving.

Built from plain functions (``FunctionAgent``), so they exercise the runtime's guarantees
(ordering, timeouts, failures, limits) without depending on the built-in agents.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from netra_backend.app.agents.base import AgentRequest, FunctionAgent, JSONDict, RunHandle, Tool
from netra_backend.app.agents.registry import AgentRegistry

SECRET_DETAIL = "s3cr3t-internal-detail-7f2c"
"""Put in a crashing agent's exception; must never reach the client."""


def _echo(text: str) -> dict[str, str]:
    return {"echo": text}


def _explode(**_arguments: Any) -> None:
    raise RuntimeError(SECRET_DETAIL)


ECHO_TOOL = Tool("echo", "returns its argument", _echo)
EXPLODING_TOOL = Tool("explode", "always raises", _explode)


async def _echo_agent(request: AgentRequest, run: RunHandle) -> JSONDict:
    await run.think("echoing")
    echoed = await run.use_tool(ECHO_TOOL, {"text": request.message})
    return {"echo": echoed["echo"], "context": dict(request.context)}


async def _stall_agent(request: AgentRequest, run: RunHandle) -> JSONDict:
    await run.think("waiting for ever")
    await asyncio.sleep(3600)
    return {}


async def _crash_agent(request: AgentRequest, run: RunHandle) -> JSONDict:
    await run.think("about to crash")
    raise RuntimeError(SECRET_DETAIL)


async def _tool_crash_agent(request: AgentRequest, run: RunHandle) -> JSONDict:
    await run.use_tool(EXPLODING_TOOL, {"why": "test"})
    return {"unreachable": True}


async def _not_a_dict_agent(request: AgentRequest, run: RunHandle) -> JSONDict:
    # The runtime must refuse a result that is not a JSON object.
    return cast(JSONDict, ["not", "an", "object"])


async def _silent_agent(request: AgentRequest, run: RunHandle) -> JSONDict:
    # Neither thinks nor uses a tool: the runtime must still emit agent_thinking.
    return {"silent": True}


async def _chatty_agent(request: AgentRequest, run: RunHandle) -> JSONDict:
    # context.count thoughts, context.pause seconds apart: a run long enough to resume into.
    count = int(request.context.get("count", 20))
    pause = float(request.context.get("pause", 0.01))
    for index in range(count):
        await run.think(f"thought {index}")
        await asyncio.sleep(pause)
    return {"thoughts": count}


def scripted_registry() -> AgentRegistry:
    """``echo``, ``stall``, ``crash``, ``tool_crash``, ``not_a_dict``, ``silent``, ``chatty``."""
    agents: list[Any] = [
        FunctionAgent("echo", _echo_agent, "thinks, calls the echo tool, returns"),
        FunctionAgent("stall", _stall_agent, "never finishes on its own"),
        FunctionAgent("crash", _crash_agent, "raises an unexpected exception"),
        FunctionAgent("tool_crash", _tool_crash_agent, "calls a tool that raises"),
        FunctionAgent("not_a_dict", _not_a_dict_agent, "returns a list"),
        FunctionAgent("silent", _silent_agent, "returns at once"),
        FunctionAgent("chatty", _chatty_agent, "thinks context.count times, context.pause apart"),
    ]
    # list[Any]: mypy does not accept a frozen FunctionAgent as the Agent protocol, whose
    # name/description are declared as settable attributes.
    return AgentRegistry(agents)
