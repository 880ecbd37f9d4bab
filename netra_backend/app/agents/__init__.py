"""The agent API: what an agent, a tool or a plug-in package imports, and nothing else.

Everything a plug-in needs is importable from here; the modules behind it (``base``,
``registry``, ``runtime``) may move. Importing this package loads no web framework, database or
model client.

Writing an agent
================

An agent is "given a request and a run handle, do the work". It has a ``name`` (1-128
characters, what ``agent_request.agent`` names), a ``description`` (shown by
``GET /api/agents``) and one ``async def run(request, run)`` returning a JSON-able ``dict``::

    from netra_backend.app.agents import AgentRequest, InvalidContextError, JSONDict, RunHandle

    class WordCountAgent:
        name = "word_count"
        description = "Counts the words of the message."

        async def run(self, request: AgentRequest, run: RunHandle) -> JSONDict:
            top = request.context.get("top", 3)
            if not isinstance(top, int) or isinstance(top, bool) or top < 1:
                raise InvalidContextError("top", "must be a whole number >= 1")
            await run.think("Counting words.")
            stats = await run.use_tool(TEXT_STATS, {"text": request.message, "top": top})
            reply = f"{stats['words']} words."
            await run.message_delta("reply-1", reply)
            return {"reply": reply, **stats}

The runtime owns ordering, persistence and delivery: it emits ``agent_started`` before ``run``
is called and exactly one terminal event after it returns or raises. Inside ``run``:

* :class:`AgentRequest` holds ``message``, ``context`` (the client's JSON object, unchecked:
  check what you read), ``conversation_id``, ``run_id`` and ``user_id``;
* ``await run.think(text)`` emits ``agent_thinking``;
* ``await run.use_tool(tool, arguments)`` runs a :class:`Tool` between a ``tool_executing`` and
  a ``tool_completed`` event and returns its (JSON-able) result; what the tool raises is
  raised here, and ends the run unless the agent catches it;
* ``await run.message_delta(message_id, delta)`` streams reply text as an
  ``agent_message_delta`` event; use one ``message_id`` per reply, and let the deltas in order
  add up to the ``reply`` you return, so a client that missed them still has the whole text.
  Each delta is one event (one frame per socket); an agent whose text comes in many small
  pieces (a model's tokens) batches them with :class:`DeltaCoalescer`, as the assistant does:
  ``push(text, now)`` returns what is due, ``due(now)`` what its timer released, ``flush()``
  the rest;
* raise :class:`InvalidContextError` ``(field, problem)`` for a bad context value, or
  :class:`AgentError` ``(message, code=...)`` for any other failure: the run ends
  ``agent_failed`` with that ``code``. Any other exception ends it ``agent_failed`` too, with
  its details kept out of the event.

Tools
=====

A :class:`Tool` wraps a function taking keyword arguments (sync functions run on a worker
thread, so they may be slow). ``parameters`` is the JSON schema (``"type": "object"``) of those
arguments; a tool that has one may be offered to a model (the ``assistant`` agent), so describe
what it does for a model to read::

    from netra_backend.app.agents import Tool

    def convert(value: float, from_unit: str, to_unit: str) -> dict[str, float | str]: ...

    UNIT_CONVERT = Tool(
        name="unit_convert",
        description="Converts a length, mass or temperature between units.",
        func=convert,
        parameters={
            "type": "object",
            "properties": {
                "value": {"type": "number"},
                "from_unit": {"type": "string"},
                "to_unit": {"type": "string"},
            },
            "required": ["value", "from_unit", "to_unit"],
            "additionalProperties": False,
        },
    )

Function agents
===============

:class:`FunctionAgent` makes an agent of one ``async def (request, run) -> dict``::

    async def shout(request: AgentRequest, run: RunHandle) -> JSONDict:
        await run.think("Raising my voice.")
        return {"reply": request.message.upper()}

    SHOUT = FunctionAgent(name="shout", func=shout, description="Repeats the message, loudly.")

Plug-ins
========

A plug-in is a reference ``module:attr`` to an agent, a tool, a list of them, or a factory (any
callable, classes included) that takes the server's settings or nothing and returns one of those.
A server loads plug-ins at start-up from two places:

* entry points in the group ``netra.agents`` of any installed distribution::

      [project.entry-points."netra.agents"]
      word_count = "netra_example_agents:plugin"

* ``NETRA_AGENTS=module:attr,module:attr`` for modules on the server's path.

A plug-in registers all of its agents and tools or none of them. One that cannot be loaded
(an import error, a factory that raises, a name already taken, a sync ``run``, a tool without a
schema, an ``async`` factory) is logged as a warning naming it and the error, and the server
starts with the rest. ``examples/netra_example_agents`` is a complete plug-in package.
"""

from netra_backend.app.agents.base import (
    Agent,
    AgentRequest,
    FunctionAgent,
    JSONDict,
    RunHandle,
    Tool,
)
from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.agents.streaming import DeltaCoalescer
from netra_backend.app.errors import AgentError, InvalidContextError

__all__ = [
    "Agent",
    "AgentError",
    "AgentRegistry",
    "AgentRequest",
    "DeltaCoalescer",
    "FunctionAgent",
    "InvalidContextError",
    "JSONDict",
    "RunHandle",
    "Tool",
]
