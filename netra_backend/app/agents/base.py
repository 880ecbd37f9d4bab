"""The agent API: an agent is "given a request and a run handle, do the work".

The runtime owns ordering, persistence and delivery. An agent only:

* reads its :class:`AgentRequest` (``message``, ``context`` and ``conversation_id``);
* reports progress with ``await run.think(text)``, and streams reply text with
  ``await run.message_delta(message_id, delta)``;
* calls tools through ``await run.use_tool(tool, arguments)``, which makes the runtime emit a
  ``tool_executing``/``tool_completed`` pair around the call;
* returns its result (a JSON-able ``dict``), or raises :class:`AgentError` (for example
  :class:`InvalidContextError`) to fail the run with that error's ``code``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

JSONDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AgentRequest:
    """What a user asked for: the agent, their message and optional context."""

    run_id: str
    user_id: str
    agent: str
    message: str
    context: Mapping[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    conversation_id: str | None = None


@dataclass(frozen=True, slots=True)
class Tool:
    """A named function an agent can call; ``func`` takes keyword arguments, sync or async.

    ``parameters`` is the JSON schema (an ``object`` schema) of those keyword arguments; only
    tools that have one are offered to a model, which needs it to call them.
    """

    name: str
    description: str
    func: Callable[..., Any]
    parameters: JSONDict | None = None

    async def invoke(self, arguments: Mapping[str, Any]) -> Any:
        """Call the tool with ``arguments`` and return its (JSON-able) result.

        A plain (synchronous) function runs on a worker thread: it may be CPU-heavy, and on the
        event loop it would stall every other user's frames until it returned.
        """
        if inspect.iscoroutinefunction(self.func):
            return await self.func(**arguments)
        result = await asyncio.to_thread(self.func, **arguments)
        if inspect.isawaitable(result):
            result = await result
        return result


@runtime_checkable
class RunHandle(Protocol):
    """What an agent gets to report progress and call tools; the runtime implements it."""

    run_id: str

    async def think(self, text: str) -> None:
        """Emit an ``agent_thinking`` event carrying ``text``."""
        ...

    async def use_tool(self, tool: Tool, arguments: Mapping[str, Any]) -> Any:
        """Run ``tool``, emitting ``tool_executing`` before and ``tool_completed`` after."""
        ...

    async def message_delta(self, message_id: str, delta: str) -> None:
        """Emit an ``agent_message_delta``: the next piece of the reply ``message_id``."""
        ...


@runtime_checkable
class Agent(Protocol):
    """An agent: a name, a description and one method doing the work."""

    # Read-only properties, so plain attributes and frozen dataclass fields both satisfy them.
    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    async def run(self, request: AgentRequest, run: RunHandle) -> JSONDict:
        """Do the work of ``request``, reporting through ``run``; return the result."""
        ...


@dataclass(frozen=True, slots=True)
class FunctionAgent:
    """An agent built from a plain async function, for tests and small agents."""

    name: str
    func: Callable[[AgentRequest, RunHandle], Awaitable[JSONDict]]
    description: str = ""

    async def run(self, request: AgentRequest, run: RunHandle) -> JSONDict:
        return await self.func(request, run)
