"""The metric definitions: one registry per app, bounded labels, a sender that records, and a
README table that names exactly what is exported."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from netra_backend.app.metrics import MAX_EVENT_TYPES, ConnectionOutcome, Metrics
from netra_backend.app.websocket_core.sender import QueuedSender

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.render().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_of_two_apps_are_independent() -> None:
    first, second = Metrics(), Metrics()  # same names, no "duplicated timeseries" error
    first.connection_attempt(ConnectionOutcome.ACCEPTED)
    first.event_sent("agent_started")
    assert _samples(first)[("netra_connections_open", ())] == 1
    assert _samples(second)[("netra_connections_open", ())] == 0
    key = ("netra_events_sent_total", (("type", "agent_started"),))
    assert (_samples(first)[key], _samples(second)[key]) == (1, 0)


def test_every_outcome_and_event_type_is_exported_before_it_happens() -> None:
    samples = _samples(Metrics())
    for outcome in ConnectionOutcome:
        assert samples[("netra_connection_attempts_total", (("outcome", outcome.value),))] == 0
    assert samples[("netra_events_sent_total", (("type", "agent_completed"),))] == 0


def test_connection_closed_lowers_the_open_gauge_only() -> None:
    metrics = Metrics()
    metrics.connection_attempt(ConnectionOutcome.ACCEPTED)
    metrics.connection_attempt(ConnectionOutcome.AUTH_FAILED)
    metrics.connection_closed()
    samples = _samples(metrics)
    assert samples[("netra_connections_open", ())] == 0
    assert samples[("netra_connection_attempts_total", (("outcome", "accepted"),))] == 1
    assert samples[("netra_connection_attempts_total", (("outcome", "auth_failed"),))] == 1


def test_event_types_beyond_the_cap_count_as_other() -> None:
    metrics = Metrics()
    for index in range(MAX_EVENT_TYPES + 10):
        metrics.event_sent(f"custom_{index}")
    types = {
        dict(labels)["type"]
        for (name, labels) in _samples(metrics)
        if name == "netra_events_sent_total"
    }
    assert len(types) == MAX_EVENT_TYPES + 1
    assert _samples(metrics)[("netra_events_sent_total", (("type", "other"),))] > 0


def test_run_ended_labels_the_outcome_by_terminal_event() -> None:
    metrics = Metrics()
    metrics.run_ended("triage_agent", "agent_completed", 0.2)
    metrics.run_ended("triage_agent", "agent_completed", 0.4)
    metrics.run_ended("triage_agent", "agent_cancelled", 1.0)
    samples = _samples(metrics)
    completed = (("agent", "triage_agent"), ("outcome", "completed"))
    assert samples[("netra_run_duration_seconds_count", completed)] == 2
    assert samples[("netra_run_duration_seconds_sum", completed)] == pytest.approx(0.6)
    cancelled = (("agent", "triage_agent"), ("outcome", "cancelled"))
    assert samples[("netra_run_duration_seconds_count", cancelled)] == 1


def test_log_committed_observes_size_and_duration() -> None:
    metrics = Metrics()
    metrics.log_committed(7, 0.003)
    samples = _samples(metrics)
    assert samples[("netra_event_log_commit_batch_size_sum", ())] == 7
    assert samples[("netra_event_log_commit_seconds_count", ())] == 1


class _Socket:
    def __init__(self) -> None:
        self.frames: list[str] = []
        self.closes: list[int] = []

    async def send_text(self, data: str) -> None:
        await asyncio.sleep(0)
        self.frames.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closes.append(code)


async def test_sender_observes_delivery_of_live_events_only() -> None:
    metrics = Metrics()
    socket = _Socket()
    sender = QueuedSender(socket, 10, metrics=metrics)
    async with sender.running():
        sender.put("event", time.time() - 0.25)  # an event stamped 250 ms ago
        sender.put("pong")  # not an event: no latency
    assert socket.frames == ["event", "pong"]
    samples = _samples(metrics)
    assert samples[("netra_event_delivery_seconds_count", ())] == 1
    assert 0.25 <= samples[("netra_event_delivery_seconds_sum", ())] < 60
    assert samples[("netra_event_delivery_seconds_bucket", (("le", "0.1"),))] == 0


async def test_sender_counts_one_slow_consumer_close_per_socket() -> None:
    metrics = Metrics()
    socket = _Socket()
    sender = QueuedSender(socket, 2, metrics=metrics)
    async with sender.running():
        sender.put("a")
        sender.put("b")
        with pytest.raises(ConnectionError):
            sender.put("c")  # over the two frames allowed
        sender.abort_too_slow()  # already closing: not a second close
    assert socket.closes == [1013]
    assert _samples(metrics)[("netra_slow_consumer_closes_total", ())] == 1


def test_readme_metrics_table_names_exactly_the_exported_metrics() -> None:
    families = {
        family.name: family.type
        for family in text_string_to_metric_families(Metrics().render().decode())
        if not family.name.endswith("_created")
    }
    # The parser names counters without "_total"; the README uses the exported sample name.
    exported = {
        (name + "_total" if kind == "counter" else name): kind for name, kind in families.items()
    }
    rows = re.findall(r"^\| `(netra_[a-z_]+)` \| (\w+) \|", README.read_text(), re.MULTILINE)
    assert dict(rows) == exported


def test_loop_histogram_buckets_are_upper_inclusive_like_prometheus() -> None:
    metrics = Metrics()
    for seconds in (0.0005, 0.0006, 10.0, 11.0):
        metrics.observe_delivery(seconds)
    samples = _samples(metrics)

    def bucket(le: str) -> float:
        return samples[("netra_event_delivery_seconds_bucket", (("le", le),))]

    assert (bucket("0.0005"), bucket("0.001"), bucket("10.0"), bucket("+Inf")) == (1, 2, 3, 4)
    assert samples[("netra_event_delivery_seconds_sum", ())] == pytest.approx(21.0011)
