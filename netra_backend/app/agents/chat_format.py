"""The chat-completions request of the assistant: messages, tool specs, argument checks.

Pure functions over plain data, so what is sent to a model is testable without one.

* History is budgeted in tokens estimated as ``ceil(characters / 4)`` (no tokenizer fits
  every model): the newest *whole* turns whose estimate fits ``NETRA_LLM_MAX_HISTORY_TOKENS``
  are sent, oldest first; the first turn that does not fit ends the history, so it never has
  a gap.
* A tool is offered as ``{"type": "function", "function": {name, description, parameters}}``
  with ``parameters`` its JSON schema.
* A model's arguments are checked at the top level only, against the tool's schema: valid
  JSON, an object, every ``required`` key present, and no key outside ``properties`` when
  ``additionalProperties`` is false. Values are the tool's business (it raises
  ``ValueError``, whose message goes back to the model).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from netra_backend.app.agents.base import JSONDict, Tool


class TurnLike(Protocol):
    """One earlier exchange of a conversation (``db.conversations.Turn``)."""

    @property
    def message(self) -> str: ...

    @property
    def reply(self) -> str: ...


def estimate_tokens(text: str) -> int:
    """Tokens of ``text``, estimated as characters / 4, rounded up."""
    return math.ceil(len(text) / 4)


def history_within(turns: Sequence[TurnLike], max_tokens: int) -> list[TurnLike]:
    """The newest whole turns (oldest first) whose estimated tokens add up to ``max_tokens``."""
    kept: list[TurnLike] = []
    budget = max_tokens
    for turn in reversed(turns):
        cost = estimate_tokens(turn.message) + estimate_tokens(turn.reply)
        if cost > budget:
            break
        budget -= cost
        kept.append(turn)
    kept.reverse()
    return kept


def build_messages(
    system_prompt: str, turns: Sequence[TurnLike], message: str, max_history_tokens: int
) -> list[JSONDict]:
    """System prompt, the history that fits the budget, then the new user ``message``."""
    messages: list[JSONDict] = [{"role": "system", "content": system_prompt}]
    for turn in history_within(turns, max_history_tokens):
        messages.append({"role": "user", "content": turn.message})
        messages.append({"role": "assistant", "content": turn.reply})
    messages.append({"role": "user", "content": message})
    return messages


def tool_specs(tools: Iterable[Tool]) -> list[JSONDict]:
    """The ``tools`` of a chat-completions request: each tool that has a JSON schema."""
    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters,
            },
        }
        for tool in tools
        if tool.parameters is not None
    ]


def parse_arguments(tool: Tool, raw: str) -> tuple[JSONDict | None, str | None]:
    """``(arguments, None)`` when ``raw`` suits ``tool``'s schema, else ``(None, error text)``.

    The error text is written for the model, which gets it as the tool's answer.
    """
    prefix = f"error: {tool.name} was not called:"
    try:
        value: Any = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as error:
        return None, f"{prefix} the arguments are not valid JSON ({error.msg} at {error.pos})"
    if not isinstance(value, dict):
        return None, f"{prefix} the arguments must be a JSON object, got {type(value).__name__}"
    problems = schema_problems(tool.parameters or {}, value)
    if problems:
        return None, f"{prefix} {'; '.join(problems)}"
    return value, None


def schema_problems(schema: JSONDict, arguments: JSONDict) -> list[str]:
    """What is wrong with ``arguments`` at the top level of the object ``schema``."""
    problems: list[str] = []
    properties = schema.get("properties")
    known = set(properties) if isinstance(properties, dict) else set()
    required = [name for name in schema.get("required", ()) if isinstance(name, str)]
    missing = [name for name in required if name not in arguments]
    if missing:
        problems.append(f"missing required argument(s) {', '.join(missing)}")
    if schema.get("additionalProperties") is False:
        unknown = sorted(name for name in arguments if name not in known)
        if unknown:
            expected = ", ".join(sorted(known)) or "none"
            problems.append(f"unknown argument(s) {', '.join(unknown)} (expected: {expected})")
    return problems


def tool_result_text(result: Any) -> str:
    """A tool's result as the ``content`` of a ``role: tool`` message (JSON)."""
    return json.dumps(result, ensure_ascii=False, default=str)
