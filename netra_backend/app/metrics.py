"""Every Prometheus metric of the service, defined once, recorded into one registry per app.

Each app makes its own :class:`Metrics` (``Services.start``) on a private
``CollectorRegistry``, never prometheus-client's global one, so several apps in one process
(the test suite starts many in-process servers) neither share values nor collide on names;
``GET /metrics`` (``metrics_route``) serves that registry. Components built outside an app
(unit tests, benchmarks) record into :func:`unserved`, which nobody serves.

Recording is one cheap call at each site: labelled children are bound once (every known
event type, connection outcome and, on first use, each agent and outcome pair) and cached,
so no label is looked up per event. The two metrics recorded per event and per frame
(events by type, delivery latency) are :class:`LoopCounter` and :class:`LoopHistogram`: plain
counts without prometheus-client's lock, since only the event loop's thread records and reads
them, exported through a collector. A stock ``Histogram.observe`` cost 1.3-1.5 us here, the
loop one 0.2 us; per frame written that was most of the metrics' cost
(``bench/metrics_overhead.py``).

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
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

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


class LoopHistogram:
    """A histogram recorded on the event loop's thread only: one bisect, no lock."""

    __slots__ = ("bounds", "counts", "documentation", "name", "sum")

    def __init__(self, name: str, documentation: str, buckets: Sequence[float]) -> None:
        self.name = name
        self.documentation = documentation
        self.bounds = tuple(float(bound) for bound in buckets)
        self.counts = [0] * (len(self.bounds) + 1)
        """Observations per bucket (``le`` each bound, the last one ``+Inf``), not cumulative."""
        self.sum = 0.0

    def observe(self, value: float) -> None:
        """Record one observation."""
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value

    def family(self) -> HistogramMetricFamily:
        """The histogram as prometheus-client exports it (cumulative buckets)."""
        buckets: list[tuple[str, float]] = []
        total = 0
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            total += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), total))
        return HistogramMetricFamily(
            self.name, self.documentation, buckets=buckets, sum_value=self.sum
        )


class LoopCounter:
    """A counter with one label, recorded on the event loop's thread only; at most
    ``max_values`` label values, further ones count as ``other``."""

    __slots__ = ("counts", "documentation", "label", "max_values", "name")

    def __init__(
        self, name: str, documentation: str, label: str, values: Sequence[str], max_values: int
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.label = label
        self.max_values = max_values
        self.counts = dict.fromkeys(values, 0)

    def inc(self, value: str) -> None:
        """Count one of ``value``."""
        try:
            self.counts[value] += 1
        except KeyError:
            key = value if len(self.counts) < self.max_values else "other"
            self.counts[key] = self.counts.get(key, 0) + 1

    def family(self) -> CounterMetricFamily:
        """The counter as prometheus-client exports it."""
        family = CounterMetricFamily(self.name, self.documentation, labels=[self.label])
        for value, count in self.counts.items():
            family.add_metric([value], count)
        return family


class _LoopMetrics(Collector):
    def __init__(self, *metrics: LoopCounter | LoopHistogram) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        for metric in self._metrics:
            yield metric.family()


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
        self.events_sent = LoopCounter(
            "netra_events_sent_total",
            "Events emitted to users' streams, by type (once per event, whatever the sockets).",
            "type",
            [kind.value for kind in EventType],
            MAX_EVENT_TYPES,
        )
        self.event_delivery_seconds = LoopHistogram(
            "netra_event_delivery_seconds",
            "From an event's timestamp to its frame written to one socket (live events).",
            LATENCY_BUCKETS,
        )
        registry.register(_LoopMetrics(self.events_sent, self.event_delivery_seconds))
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
        self._runs: dict[tuple[str, str], Histogram] = {}
        self.event_sent = self.events_sent.inc
        """``event_sent(event_type)``: one event was emitted to a user's stream."""
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
