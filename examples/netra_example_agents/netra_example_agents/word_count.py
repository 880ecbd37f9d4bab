"""``word_count``: counts the words of a text with its ``text_stats`` tool, and streams a reply.

Context (``agent_request.context``), both optional:

* ``text`` — a string to count instead of the message, at most ``NETRA_MAX_MESSAGE_CHARS``
  characters (the server bounds messages, not context values);
* ``top`` — how many of the most frequent words to list, a whole number from 1 to 10
  (default 3).

A bad value fails the run with ``invalid_context`` naming the field, before the tool runs. The
run emits one ``agent_thinking``, one ``text_stats`` tool call, the reply as a few
``agent_message_delta`` events, and returns::

    {reply, message_id, words, unique_words, lines, characters, top_words: [{word, count}]}

where the deltas, in order, add up to ``reply``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from netra_backend.app.agents import (
    AgentRequest,
    InvalidContextError,
    JSONDict,
    RunHandle,
    Tool,
)

# Letters and digits, with inner apostrophes and hyphens ("don't", "well-known").
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
MAX_TOP = 10
WORDS_PER_DELTA = 4


def text_stats(text: str, top: int = 3) -> JSONDict:
    """Count ``text``'s words (case-insensitively), lines and characters; list the ``top`` words.

    Ties between equally frequent words go alphabetically, so the answer is the same every time.
    """
    words = [word.lower() for word in WORD.findall(text)]
    counts = Counter(words)
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    return {
        "words": len(words),
        "unique_words": len(counts),
        "lines": len(text.splitlines()),
        "characters": len(text),
        "top_words": [{"word": word, "count": count} for word, count in ranked[:top]],
    }


TEXT_STATS = Tool(
    name="text_stats",
    description="Counts the words, distinct words, lines and characters of a text.",
    func=text_stats,
    parameters={
        "type": "object",
        "properties": {
            "text": {"type": "string", "description": "The text to count."},
            "top": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_TOP,
                "description": "How many of the most frequent words to list.",
            },
        },
        "required": ["text"],
        "additionalProperties": False,
    },
)


def times(count: int) -> str:
    """``once``, ``twice``, ``3 times``."""
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def plural(count: int, noun: str) -> str:
    """``1 word``, ``2 words``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def compose_reply(stats: JSONDict) -> str:
    """The reply sentence for ``text_stats``' result."""
    if stats["words"] == 0:
        return f"The text has no words ({plural(stats['characters'], 'character')})."
    frequent = ", ".join(
        f'"{entry["word"]}" {times(entry["count"])}' for entry in stats["top_words"]
    )
    return (
        f"The text has {plural(stats['words'], 'word')} ({stats['unique_words']} different) "
        f"on {plural(stats['lines'], 'line')}, {plural(stats['characters'], 'character')}. "
        f"Most frequent: {frequent}."
    )


def pieces(reply: str, words: int = WORDS_PER_DELTA) -> list[str]:
    """``reply`` cut after every ``words`` words; the pieces join back to ``reply`` exactly."""
    tokens = re.findall(r"\S+\s*|\s+", reply)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]


class WordCountAgent:
    """Counts words with the ``text_stats`` tool and streams its answer as deltas."""

    name = "word_count"
    description = (
        "Counts the words, lines and characters of the message (or of context.text) and lists "
        "the context.top (default 3) most frequent words."
    )

    def __init__(self, *, max_chars: int = 16_000) -> None:
        self.max_chars = max_chars

    def read_context(self, request: AgentRequest) -> tuple[str, int]:
        """The text to count and ``top``, checked; raise ``InvalidContextError`` naming a field."""
        context: Any = request.context
        text = context.get("text", request.message)
        if not isinstance(text, str):
            raise InvalidContextError("text", f"must be a string, got {type(text).__name__}")
        if len(text) > self.max_chars:
            raise InvalidContextError("text", f"is longer than {self.max_chars} characters")
        top = context.get("top", 3)
        if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= MAX_TOP:
            raise InvalidContextError("top", f"must be a whole number from 1 to {MAX_TOP}")
        return text, top

    async def run(self, request: AgentRequest, run: RunHandle) -> JSONDict:
        text, top = self.read_context(request)
        await run.think(f"Counting the words of a {len(text)}-character text.")
        stats: JSONDict = await run.use_tool(TEXT_STATS, {"text": text, "top": top})
        reply = compose_reply(stats)
        message_id = f"msg-{run.run_id}"
        for piece in pieces(reply):
            await run.message_delta(message_id, piece)
        return {"reply": reply, "message_id": message_id, **stats}
