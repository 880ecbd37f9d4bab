"""Every Prometheus metric of the service, defined once, recorded into one registry per app.

Each app makes its own :class:`Metrics` (``Services.start``) on a private
``CollectorRegistry``, never prometheus-client's global one, so several apps in one process
(the test suite starts many in-process servers) neither share values nor collide on names;
``GET /metrics`` (``metrics_route``) serves that registry. Components built outside an app
(unit tests, benchmarks) record into :func:`unserved`, which nobody serves.

Recording is one cheap call at each site: labelled children are bound once (every known
event type, connection outcome and, on first use, each agent and outcome pair) and cached,
so no label is looked up per event.

=========================================  =========  ===============  =====================
metric                                     type       labels           recorded where
=========================================  =========  ===============  =====================
``netra_connections_open``                 gauge                       ``/api/ws`` route
``netra_connection_attempts_total``        counter    ``outcome``      ``/api/ws`` handshake
``netra_events_sent_total``                counter    ``type``         hub, once per event
``netra_event_delivery_seconds``           histogram                   sender, per socket
``netra_run_duration_seconds``             histogram  ``agent``,       runtime, terminal
                                                      ``outcome``      event
``netra_slow_consumer_closes_total``       counter                     sender, 1013 close
``netra_event_log_commit_batch_size``      histogram                   event-log writer
``netra_event_log_commit_seconds``         histogram                   event-log writer
``netra_redis_reconnects_total``           counter                     Redis mode
=========================================  =========  ===============  =====================
"""

from __future__ import annotations

import functools
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from netra_backend.app.websocket_core.events import EventType

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
"""Seconds; event delivery and log commits (a group commit takes a few milliseconds)."""
RUN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
"""Seconds; a run ends by the agent timeout (default 60 s)."""
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
"""Operations per commit (the writer caps a batch at 2000 events)."""
MAX_EVENT_TYPES = 64
"""Distinct ``type`` label values kept; further types count as ``other`` (bounded series)."""


class ConnectionOutcome(StrEnum):
    """How a WebSocket handshake ended (``netra_connection_attempts_total{outcome}``)."""

    ACCEPTED = "accepted"
    AUTH_FAILED = "auth_failed"
    """Closed 4401: missing, invalid or expired token, or the account is gone."""
    ORIGIN_REFUSED = "origin_refused"
    """Refused before accept (HTTP 403): a page of an origin not allowed."""
    OVER_LIMIT = "over_limit"
    """Closed 1008: the user already has the most connections allowed."""
    UNAVAILABLE = "unavailable"
    """Closed 1013: the user could not be looked up (database unavailable)."""


RUN_OUTCOMES: dict[str, str] = {
    EventType.AGENT_COMPLETED: "completed",
    EventType.AGENT_FAILED: "failed",
    EventType.AGENT_CANCELLED: "cancelled",
}
"""The ``outcome`` label of a run, by its terminal event."""


class Metrics:
    """The metrics of one app, on their own registry (see the module docstring)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.connections_open = Gauge(
            "netra_connections_open",
            "WebSocket connections open on this instance.",
            registry=registry,
        )
        self.connection_attempts = Counter(
            "netra_connection_attempts_total",
            "WebSocket handshakes by how they ended.",
            ["outcome"],
            registry=registry,
        )
        self.events_sent = Counter(
            "netra_events_sent_total",
            "Events emitted to users' streams, by type (once per event, whatever the sockets).",
            ["type"],
            registry=registry,
        )
        self.event_delivery_seconds = Histogram(
            "netra_event_delivery_seconds",
            "From an event's timestamp to its frame written to one socket (live events).",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.run_duration_seconds = Histogram(
            "netra_run_duration_seconds",
            "Agent run duration (start to terminal event), by agent and outcome.",
            ["agent", "outcome"],
            buckets=RUN_BUCKETS,
            registry=registry,
        )
        self.slow_consumer_closes = Counter(
            "netra_slow_consumer_closes_total",
            "Sockets closed 1013 because the client did not read fast enough.",
            registry=registry,
        )
        self.log_commit_batch_size = Histogram(
            "netra_event_log_commit_batch_size",
            "Operations (events, run records, leases, trims) committed per event-log commit.",
            buckets=BATCH_BUCKETS,
            registry=registry,
        )
        self.log_commit_seconds = Histogram(
            "netra_event_log_commit_seconds",
            "Duration of one event-log commit (a batch, retries of a refused one included).",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.redis_reconnects = Counter(
            "netra_redis_reconnects_total",
            "Times Redis mode re-established its connection after losing it.",
            registry=registry,
        )
        self._attempts = {
            outcome: self.connection_attempts.labels(outcome=outcome)
            for outcome in ConnectionOutcome
        }
        self._sent = {kind.value: self.events_sent.labels(type=kind.value) for kind in EventType}
        self._runs: dict[tuple[str, str], Histogram] = {}
        self.observe_delivery = self.event_delivery_seconds.observe
        """``observe_delivery(seconds)``: one live event written to one socket."""
        self.slow_consumer_closed = self.slow_consumer_closes.inc
        """``slow_consumer_closed()``: a socket is being closed 1013."""
        self.redis_reconnected = self.redis_reconnects.inc
        """``redis_reconnected()``: Redis mode is connected again."""

    def connection_attempt(self, outcome: ConnectionOutcome) -> None:
        """One WebSocket handshake ended with ``outcome``; an accepted one is now open."""
        self._attempts[outcome].inc()
        if outcome is ConnectionOutcome.ACCEPTED:
            self.connections_open.inc()

    def connection_closed(self) -> None:
        """An accepted WebSocket connection ended."""
        self.connections_open.dec()

    def event_sent(self, event_type: str) -> None:
        """One event of ``event_type`` was emitted to a user's stream."""
        child = self._sent.get(event_type)
        if child is None:
            label = event_type if len(self._sent) < MAX_EVENT_TYPES else "other"
            child = self._sent[event_type] = self.events_sent.labels(type=label)
        child.inc()

    def run_ended(self, agent: str, terminal_event: str, seconds: float) -> None:
        """A run of ``agent`` ended with ``terminal_event`` after ``seconds``."""
        key = (agent, terminal_event)
        child = self._runs.get(key)
        if child is None:
            outcome = RUN_OUTCOMES.get(terminal_event, "failed")
            child = self._runs[key] = self.run_duration_seconds.labels(agent, outcome)
        child.observe(seconds)

    def log_committed(self, operations: int, seconds: float) -> None:
        """The event-log writer committed ``operations`` in ``seconds``."""
        self.log_commit_batch_size.observe(operations)
        self.log_commit_seconds.observe(seconds)

    def render(self) -> bytes:
        """The registry in Prometheus' text exposition format."""
        return generate_latest(self.registry)


@functools.cache
def unserved() -> Metrics:
    """The metrics of components built outside an app (unit tests, benchmarks): recorded,
    never served."""
    return Metrics()
