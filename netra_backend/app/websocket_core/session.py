"""The session core of one WebSocket connection. Sans-I/O: frames and the clock in, actions out.

Nothing here awaits or touches a socket. ``route.py`` feeds it what the client sent
(:meth:`Session.receive`) and what the user's stream delivers (:meth:`Session.live`), and
carries out the actions it returns: send a text frame, close, start or cancel a run, replay.

Frame policy, in order: a frame over ``max_message_bytes`` closes the socket (1009); over the
rate limit gets ``rate_limited``; binary gets ``binary_not_supported``; then the frame is
parsed (``messages``) and ``ping`` is answered at once.

Resume: between :meth:`begin_replay` and :meth:`end_replay`, live events are held back; the
replayed history goes out first, then ``resumed``, then the held events that were not already
replayed, so no event is lost or repeated at the seam. The replay holds every retained event
after the client's ``last_seq``, also any that reached this connection live before its
``resume`` frame was read (a client keeps events by ``seq``, so it sees those twice at most).
"""

from __future__ import annotations

from dataclasses import dataclass

from netra_backend.app.errors import ProtocolError
from netra_backend.app.websocket_core.codes import CloseCode
from netra_backend.app.websocket_core.events import encode, error_frame
from netra_backend.app.websocket_core.messages import (
    AgentRequestFrame,
    CancelRunFrame,
    PingFrame,
    ResumeFrame,
    parse_client_frame,
    request_id_of,
)
from netra_backend.app.websocket_core.rate_limit import TokenBucket

PONG = encode({"type": "pong"})


@dataclass(frozen=True, slots=True)
class Send:
    """Send one text frame."""

    text: str


@dataclass(frozen=True, slots=True)
class Close:
    """Close the socket with ``code`` and ``reason``."""

    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class StartRun:
    """Start the run the client asked for (identity comes from the token, not from here)."""

    frame: AgentRequestFrame
    request_id: str | None


@dataclass(frozen=True, slots=True)
class CancelRun:
    """Cancel the user's run ``run_id``."""

    run_id: str


@dataclass(frozen=True, slots=True)
class Resume:
    """Replay the user's events after ``last_seq``."""

    last_seq: int


Action = Send | Close | StartRun | CancelRun | Resume


@dataclass(frozen=True, slots=True)
class SessionLimits:
    """The client-controlled limits one session enforces."""

    max_message_bytes: int
    max_message_chars: int
    rate_per_second: float
    burst: int
    max_held_events: int
    """Live events held back during a replay before the client counts as too slow."""


class HeldEventsOverflow(Exception):
    """More live events arrived during a replay than a session may hold."""


class Session:
    """One connection's protocol state (see the module docstring)."""

    def __init__(self, limits: SessionLimits, now: float) -> None:
        self._limits = limits
        self._bucket = TokenBucket(limits.rate_per_second, limits.burst, now)
        self._replaying = False
        self._held: list[tuple[int, str]] = []
        self._high = 0
        """The highest ``seq`` this connection has been sent."""
        self._replayed = 0

    # --- client frames -------------------------------------------------------------------

    def receive(self, text: str | None, data: bytes | None, now: float) -> list[Action]:
        """What to do about one client frame."""
        size = len(text.encode("utf-8")) if text is not None else len(data or b"")
        if size > self._limits.max_message_bytes:
            reason = f"frame of {size} bytes exceeds {self._limits.max_message_bytes}"
            return [Close(CloseCode.MESSAGE_TOO_BIG, reason)]
        if not self._bucket.allow(now):
            retry_after = round(max(self._bucket.wait(), 0.001), 3)
            error = ProtocolError(
                "rate_limited", "too many frames; slow down", retry_after=retry_after
            )
            return [self.error(error)]
        if text is None:
            return [self.error(ProtocolError("binary_not_supported", "send JSON text frames"))]
        try:
            frame = parse_client_frame(text, max_message_chars=self._limits.max_message_chars)
        except ProtocolError as exc:
            return [self.error(exc, request_id_of(text))]
        if isinstance(frame, PingFrame):
            return [Send(PONG)]
        if isinstance(frame, AgentRequestFrame):
            return [StartRun(frame, frame.request_id)]
        if isinstance(frame, CancelRunFrame):
            return [CancelRun(frame.run_id)]
        assert isinstance(frame, ResumeFrame)
        if self._replaying:
            return [self.error(ProtocolError("resume_in_progress", "a resume is already running"))]
        return [Resume(frame.last_seq)]

    @staticmethod
    def error(exc: ProtocolError, request_id: str | None = None) -> Send:
        """The ``error`` frame for ``exc``."""
        frame = error_frame(
            exc.code, exc.message, request_id=request_id, retry_after=exc.retry_after
        )
        return Send(encode(frame))

    # --- events of the user's stream -----------------------------------------------------

    def live(self, seq: int, text: str) -> str | None:
        """A committed live event: the text to send now, or None (held back, or sent already)."""
        if self._replaying:
            if len(self._held) >= self._limits.max_held_events:
                raise HeldEventsOverflow(f"more than {self._limits.max_held_events} events held")
            self._held.append((seq, text))
            return None
        if seq <= self._high:
            return None
        self._high = seq
        return text

    def begin_replay(self, after: int) -> None:
        """Start holding live events back; the client has everything up to ``after``."""
        self._replaying = True
        self._replayed = 0
        self._high = max(self._high, after)

    def replay(self, rows: list[tuple[int, str]]) -> list[str]:
        """The texts to send of one page of history (ascending ``seq``)."""
        out: list[str] = []
        for seq, text in rows:
            out.append(text)
            self._replayed += 1
            self._high = max(self._high, seq)
        return out

    def end_replay(self) -> list[str]:
        """Finish the replay: ``resumed``, then the held events not already sent."""
        frames = [
            encode(
                {"type": "resumed", "data": {"last_seq": self._high, "replayed": self._replayed}}
            )
        ]
        self._replaying = False
        held, self._held = self._held, []
        for seq, text in held:
            live = self.live(seq, text)
            if live is not None:
                frames.append(live)
        return frames

    def abort_replay(self) -> list[str]:
        """Give up a replay (the history could not be read): send the held events."""
        self._replaying = False
        held, self._held = self._held, []
        return [text for seq, text in held if self.live(seq, text) is not None]

    @staticmethod
    def resume_failed(code: str, message: str, last_seq: int) -> str:
        """A ``resume_failed`` frame."""
        frame = {
            "type": "resume_failed",
            "data": {"code": code, "message": message, "last_seq": last_seq},
        }
        return encode(frame)
