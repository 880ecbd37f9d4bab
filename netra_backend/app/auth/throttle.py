"""Login throttling: failed logins limited per email and per client address.

Pure and synchronous: the caller passes the clock (``time.monotonic()``), so tests step time
by hand. In-process: each server counts on its own (several instances behind a balancer
each allow the limit).

A login attempt is counted when it *starts* (:meth:`LoginThrottle.begin`), so many parallel
attempts cannot all slip past the check while their passwords are being hashed; it is
uncounted if it turns out not to be a failure (:meth:`LoginThrottle.succeeded` for the right
password, which also resets the email's counter; :meth:`LoginThrottle.abandoned` for an
error that was not a wrong password). Unknown emails count exactly like known ones, so the
answers never tell whether an email has an account.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from dataclasses import dataclass

from netra_backend.app.errors import TooManyAttemptsError

MAX_TRACKED_KEYS = 100_000
"""Keys one limiter remembers; past it, the key idle longest is forgotten (bounded memory)."""


class SlidingWindowLimiter:
    """At most ``limit`` events per key in any ``window`` seconds."""

    __slots__ = ("_events", "limit", "max_keys", "window")

    def __init__(self, limit: int, window: float, *, max_keys: int = MAX_TRACKED_KEYS) -> None:
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("limit and max_keys must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        # Least recently hit first, so expired and idle keys are found at the front.
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._events)

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may have another event; 0.0 when it may now."""
        events = self._live(key, now)
        if events is None or len(events) < self.limit:
            return 0.0
        return max(0.0, events[0] + self.window - now)

    def hit(self, key: str, now: float) -> None:
        """Record one event of ``key`` at ``now``."""
        self._drop_expired(now)
        events = self._live(key, now)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._events.popitem(last=False)
            events = self._events[key] = deque()
        events.append(now)
        self._events.move_to_end(key)

    def forget_last(self, key: str) -> None:
        """Take back the most recent event of ``key`` (one that should not have counted)."""
        events = self._events.get(key)
        if events:
            events.pop()
            if not events:
                del self._events[key]

    def reset(self, key: str) -> None:
        """Forget every event of ``key``."""
        self._events.pop(key, None)

    def _live(self, key: str, now: float) -> deque[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        while events and events[0] <= now - self.window:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events

    def _drop_expired(self, now: float) -> None:
        # The front key is the one hit longest ago: if its newest event has expired, all of
        # its events have. Amortised O(1) per hit.
        while self._events:
            key, events = next(iter(self._events.items()))
            if events and events[-1] > now - self.window:
                return
            del self._events[key]


@dataclass(eq=False)
class LoginThrottle:
    """Failed logins per normalised email and per client address, in one sliding window."""

    per_email: SlidingWindowLimiter
    per_address: SlidingWindowLimiter

    @classmethod
    def from_limits(cls, per_email: int, per_address: int, window: float) -> LoginThrottle:
        """A throttle allowing these many failures per ``window`` seconds."""
        return cls(
            SlidingWindowLimiter(per_email, window), SlidingWindowLimiter(per_address, window)
        )

    def begin(self, email: str, address: str, now: float) -> None:
        """Count an attempt; ``TooManyAttemptsError`` (nothing counted) when over a limit."""
        wait = max(
            self.per_email.retry_after(email, now), self.per_address.retry_after(address, now)
        )
        if wait > 0:
            raise TooManyAttemptsError(max(1, math.ceil(wait)))
        self.per_email.hit(email, now)
        self.per_address.hit(address, now)

    def succeeded(self, email: str, address: str) -> None:
        """The password was right: the email starts afresh; the address's attempt is uncounted."""
        self.per_email.reset(email)
        self.per_address.forget_last(address)

    def abandoned(self, email: str, address: str) -> None:
        """The attempt ended without a verdict (e.g. the database failed): uncount it."""
        self.per_email.forget_last(email)
        self.per_address.forget_last(address)
