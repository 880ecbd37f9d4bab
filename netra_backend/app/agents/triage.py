"""``triage_agent``: works out what a message is about and which agent should take it.

It calls the ``intent_classifier`` tool and returns ``{intent, confidence, suggested_agent,
reply}``. ``suggested_agent`` is always an agent that exists, so a client can forward the
request blindly:

* ``cost`` -> ``cost_optimizer``;
* ``performance``, ``quality``, ``general`` -> ``triage_agent``: no performance or quality agent
  exists yet, and naming one would send the user to an ``unknown_agent`` error; the ``reply``
  says so and asks for the details such an agent will need. The mapping lives in
  ``agents/data/intent_lexicon.toml``, so adding a ``performance_optimizer`` later is a data change.

Below the lexicon's ``low_confidence`` the reply says that the reading is uncertain.
"""

from __future__ import annotations

from typing import Any

from netra_backend.app.agents.base import AgentRequest, JSONDict, RunHandle
from netra_backend.app.agents.tools.intent_classifier import (
    INTENT_CLASSIFIER,
    load_lexicon,
)


class TriageAgent:
    """Classifies a message's intent and suggests the agent to handle it."""

    name = "triage_agent"
    description = (
        "Classifies a message as cost, performance, quality or general and suggests the agent "
        "that should handle it."
    )

    async def run(self, request: AgentRequest, run: RunHandle) -> JSONDict:
        words = len(request.message.split())
        await run.think(f"Classifying the intent of a {words}-word message.")
        result: dict[str, Any] = await run.use_tool(INTENT_CLASSIFIER, {"message": request.message})
        lexicon = load_lexicon()
        intent: str = result["intent"]
        confidence: float = result["confidence"]
        reply = lexicon.replies[intent]
        if confidence < lexicon.low_confidence:
            reply = (
                f"I am not sure what this is about (my best guess is {intent}, "
                f"{confidence:.0%} confident). {reply}"
            )
        return {
            "intent": intent,
            "confidence": confidence,
            "suggested_agent": result["suggested_agent"],
            "reply": reply,
        }
