"""Coalescing streamed reply text into ``agent_message_delta`` events.

A fast model produces a token every few milliseconds; one event per token would cost a log
write and a frame per token for every watching socket. :class:`DeltaCoalescer` holds text back
and lets it out by one rule:

    A delta goes out once ``max_chars`` (2,048) characters are waiting, or ``max_delay``
    (50 ms) after the first of them arrived, whichever comes first. Whatever is waiting goes
    out on :meth:`~DeltaCoalescer.flush`, which the agent calls before each tool event and
    before it returns, so a run's text is always complete before its next event.

A delta holds everything that was waiting (it may exceed ``max_chars`` when one piece alone
does). The coalescer is pure: text in, the clock passed in, nothing awaited; the caller asks
for :attr:`~DeltaCoalescer.deadline` to know how long it may wait for more text.
"""

from __future__ import annotations

MAX_CHARS = 2048
MAX_DELAY_SECONDS = 0.050


class DeltaCoalescer:
    """Buffers reply text; returns the deltas to send, by the rule in the module docstring."""

    def __init__(self, max_chars: int = MAX_CHARS, max_delay: float = MAX_DELAY_SECONDS) -> None:
        if max_chars < 1 or max_delay < 0:
            raise ValueError(
                f"need max_chars >= 1 and max_delay >= 0, got {max_chars}, {max_delay}"
            )
        self.max_chars = max_chars
        self.max_delay = max_delay
        self._parts: list[str] = []
        self._waiting = 0
        self._first_at: float | None = None

    @property
    def deadline(self) -> float | None:
        """When the waiting text must go out (clock of ``now``), or None when nothing waits."""
        return None if self._first_at is None else self._first_at + self.max_delay

    @property
    def waiting(self) -> int:
        """How many characters are held back."""
        return self._waiting

    def push(self, text: str, now: float) -> str | None:
        """Add ``text`` arriving at ``now``; return a delta to send now, or None."""
        if text:
            if self._first_at is None:
                self._first_at = now
            self._parts.append(text)
            self._waiting += len(text)
        if self._waiting >= self.max_chars:
            return self.flush()
        return self.due(now)

    def due(self, now: float) -> str | None:
        """The waiting text when its deadline has passed at ``now``, else None."""
        deadline = self.deadline
        if deadline is not None and now >= deadline:
            return self.flush()
        return None

    def flush(self) -> str:
        """Everything waiting (possibly ``""``); the buffer is empty afterwards."""
        text = "".join(self._parts)
        self._parts.clear()
        self._waiting = 0
        self._first_at = None
        return text
