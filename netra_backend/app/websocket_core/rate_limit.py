"""A token bucket for client frames. Pure: the caller passes the clock."""

from __future__ import annotations


class TokenBucket:
    """Allows ``rate`` frames per second on average, bursts of up to ``burst``."""

    __slots__ = ("_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = now

    def allow(self, now: float) -> bool:
        """Take one token if there is one; False means the frame is over the limit."""
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._tokens = min(float(self.burst), self._tokens + elapsed * self.rate)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def wait(self) -> float:
        """Seconds until the next token, as of the last :meth:`allow` (0 when one is there)."""
        return max(0.0, (1.0 - self._tokens) / self.rate)
