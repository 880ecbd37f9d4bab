"""``shout``: a function agent, loaded with ``NETRA_AGENTS=netra_example_agents.extra:SHOUT``."""

from __future__ import annotations

from netra_backend.app.agents import AgentRequest, FunctionAgent, JSONDict, RunHandle


async def shout(request: AgentRequest, run: RunHandle) -> JSONDict:
    """Reply with the message in capital letters, streamed as one delta."""
    await run.think("Raising my voice.")
    reply = request.message.upper()
    message_id = f"msg-{run.run_id}"
    await run.message_delta(message_id, reply)
    return {"reply": reply, "message_id": message_id}


SHOUT = FunctionAgent(
    name="shout", func=shout, description="Repeats the message in capital letters."
)
