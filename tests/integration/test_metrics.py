"""``GET /metrics`` of a real server moves as the traffic it serves: handshakes by outcome, a
triage run's events and duration, log commits, a slow consumer's 1013; and it needs the
token when one is set."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families
from websockets.frames import Frame, Opcode
from websockets.typing import Origin

from tests.integration.golden_path._servers import GoldenPathServer, serving

pytestmark = pytest.mark.integration

METRICS_TOKEN = "metrics-token-0123456789abcdef"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
SETTLE = 10.0
"""Seconds a figure may take to settle (a socket's close is counted after the client sees it);
never an assertion on timing."""


@pytest.fixture(scope="module")
def server() -> Iterator[GoldenPathServer]:
    """Default settings and the built-in agents; /metrics open."""
    with serving("sqlite") as running:
        yield running


@pytest.fixture(scope="module")
def guarded_server() -> Iterator[GoldenPathServer]:
    """A metrics token, a send queue of one frame, one socket per user."""
    with serving(
        "sqlite",
        metrics_token=METRICS_TOKEN,
        ws_send_queue_size=1,
        ws_max_connections_per_user=1,
        ws_rate_limit_per_second=100_000,
        ws_rate_limit_burst=100_000,
    ) as running:
        yield running


async def scrape(server: GoldenPathServer, token: str | None = None) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient() as client:
        response = await client.get(server.base_url + "/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def settled(
    server: GoldenPathServer, check: Callable[[Samples], bool], token: str | None = None
) -> Samples:
    """The first scrape for which ``check`` holds (the last one when it never does)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE
    while True:
        samples = await scrape(server, token)
        if check(samples) or loop.time() > deadline:
            return samples
        await asyncio.sleep(0.05)


def outcomes(samples: Samples) -> dict[str, float]:
    return {
        dict(labels)["outcome"]: number
        for (name, labels), number in samples.items()
        if name == "netra_connection_attempts_total"
    }


async def test_metrics_count_handshakes_by_outcome(server: GoldenPathServer) -> None:
    user = await server.create_user()
    before = await scrape(server)
    async with server.websocket(user.token) as client:
        await client.send_json({"type": "ping"})
        assert (await client.receive_until("pong"))["type"] == "pong"
        during = await scrape(server)
        assert (
            value(during, "netra_connections_open") == value(before, "netra_connections_open") + 1
        )
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with websockets.connect(
            server.ws_url,
            additional_headers={"Authorization": f"Bearer {user.token}"},
            origin=Origin("https://evil.example"),
        ):
            pass
    assert refused.value.response.status_code == 403
    async with server.websocket("not-a-valid-token") as client:
        assert await client.wait_closed() == 4401

    def moved(samples: Samples) -> bool:
        return value(samples, "netra_connections_open") == value(before, "netra_connections_open")

    after = await settled(server, moved)
    delta = {k: v - outcomes(before).get(k, 0) for k, v in outcomes(after).items()}
    assert delta == {
        "accepted": 1,
        "origin_refused": 1,
        "auth_failed": 1,
        "over_limit": 0,
        "unavailable": 0,
    }
    assert moved(after)


async def test_metrics_follow_a_triage_run(server: GoldenPathServer) -> None:
    user = await server.create_user()
    before = await scrape(server)
    async with server.websocket(user.token) as client:
        await client.request_agent("triage_agent", "Our AWS bill doubled, help")
        run = await client.receive_run(timeout=60)
    assert run[-1]["type"] == "agent_completed"
    received = Counter(event["type"] for event in run)
    delivery = "netra_event_delivery_seconds_count"

    def delivered(samples: Samples) -> bool:
        return value(samples, delivery) - value(before, delivery) >= len(run)

    after = await settled(server, delivered)
    sent = {
        kind: value(after, "netra_events_sent_total", type=kind)
        - value(before, "netra_events_sent_total", type=kind)
        for kind in received
    }
    assert sent == dict(received)
    assert value(after, delivery) - value(before, delivery) == len(run)  # one socket
    completed = {"agent": "triage_agent", "outcome": "completed"}
    runs = "netra_run_duration_seconds_count"
    assert value(after, runs, **completed) - value(before, runs, **completed) == 1
    duration = "netra_run_duration_seconds_sum"
    seconds = value(after, duration, **completed) - value(before, duration, **completed)
    assert seconds == pytest.approx(run[-1]["data"]["duration_ms"] / 1000)
    batches = "netra_event_log_commit_batch_size"
    assert value(after, batches + "_count") > value(before, batches + "_count")
    # Every event of the run, its record and its finish were in some committed batch.
    committed = value(after, batches + "_sum") - value(before, batches + "_sum")
    assert committed >= len(run) + 2
    commits = "netra_event_log_commit_seconds_count"
    assert value(after, commits) - value(before, commits) == value(
        after, batches + "_count"
    ) - value(before, batches + "_count")


def _burst_of_pings(count: int) -> bytes:
    """``count`` masked client text frames in one buffer, so they arrive in one read."""
    ping = json.dumps({"type": "ping"}).encode()
    return b"".join(
        Frame(Opcode.TEXT, ping).serialize(mask=True, extensions=[]) for _ in range(count)
    )


async def _until_closed(connection: websockets.ClientConnection) -> None:
    try:
        while True:
            await connection.recv()
    except websockets.ConnectionClosed:
        return


async def test_metrics_count_a_slow_consumer_close(guarded_server: GoldenPathServer) -> None:
    user = await guarded_server.create_user()
    before = await scrape(guarded_server, METRICS_TOKEN)
    async with websockets.connect(
        guarded_server.ws_url,
        additional_headers={"Authorization": f"Bearer {user.token}"},
        max_queue=None,
    ) as connection:
        connection.transport.write(_burst_of_pings(400))  # pongs overflow a queue of one
        await _until_closed(connection)
    assert connection.close_code == 1013
    closes = "netra_slow_consumer_closes_total"
    after = await scrape(guarded_server, METRICS_TOKEN)
    assert value(after, closes) - value(before, closes) == 1


async def test_metrics_count_a_connection_over_the_limit(guarded_server: GoldenPathServer) -> None:
    user = await guarded_server.create_user()
    before = await scrape(guarded_server, METRICS_TOKEN)
    async with guarded_server.websocket(user.token) as first:
        await first.send_json({"type": "ping"})
        await first.receive_until("pong")
        async with guarded_server.websocket(user.token) as second:
            assert await second.wait_closed() == 1008
    after = await scrape(guarded_server, METRICS_TOKEN)
    delta = {k: v - outcomes(before).get(k, 0) for k, v in outcomes(after).items()}
    assert (delta["accepted"], delta["over_limit"]) == (1, 1)


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-0123456789", METRICS_TOKEN],
    ids=["missing", "wrong", "no-scheme"],
)
async def test_metrics_token_is_required_when_set(
    guarded_server: GoldenPathServer, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with httpx.AsyncClient() as client:
        response = await client.get(guarded_server.base_url + "/metrics", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "netra_" not in response.text and METRICS_TOKEN not in response.text


async def test_metrics_token_opens_metrics(guarded_server: GoldenPathServer) -> None:
    samples = await scrape(guarded_server, METRICS_TOKEN)
    assert ("netra_connections_open", frozenset()) in samples


async def test_metrics_are_open_without_a_token_and_not_in_openapi(
    server: GoldenPathServer,
) -> None:
    samples = await scrape(server)
    assert ("netra_redis_reconnects_total", frozenset()) in samples
    async with httpx.AsyncClient() as client:
        schema = (await client.get(server.base_url + "/openapi.json")).json()
    assert "/metrics" not in schema["paths"]
