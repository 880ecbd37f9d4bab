"""The send queue overflowing inside the receive loop (a burst of pings answered faster than
the socket drains) closes that client with 1013 — the overflow never escapes the endpoint as
an exception — and the server goes on serving."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import websockets
from websockets.frames import Frame, Opcode
from websockets.protocol import Side

from test_framework.websocket_helpers import frames_until_closed
from tests.integration.golden_path._agents import scripted_registry
from tests.integration.golden_path._protocol import next_frame
from tests.integration.golden_path._servers import GoldenPathServer, serving

pytestmark = pytest.mark.integration

BURST = 400


@pytest.fixture(scope="module")
def tiny_queue_server() -> Iterator[GoldenPathServer]:
    with serving(
        "sqlite",
        registry=scripted_registry(),
        ws_send_queue_size=1,
        ws_rate_limit_per_second=100_000,
        ws_rate_limit_burst=100_000,
    ) as server:
        yield server


def _burst_of_pings(count: int) -> bytes:
    """``count`` masked client text frames in one buffer, so they arrive in one read."""
    ping = json.dumps({"type": "ping"}).encode()
    return b"".join(
        Frame(Opcode.TEXT, ping).serialize(mask=True, extensions=[]) for _ in range(count)
    )


async def test_a_pong_that_overflows_the_queue_closes_1013_without_an_escaping_error(
    tiny_queue_server: GoldenPathServer, caplog: pytest.LogCaptureFixture
) -> None:
    user = await tiny_queue_server.create_user()
    caplog.set_level(logging.ERROR)
    async with websockets.connect(
        tiny_queue_server.ws_url,
        additional_headers={"Authorization": f"Bearer {user.token}"},
        max_queue=None,
    ) as connection:
        assert connection.protocol.side is Side.CLIENT
        connection.transport.write(_burst_of_pings(BURST))  # one write: one burst
        frames = await frames_until_closed(connection)
        assert connection.close_code == 1013, (len(frames), connection.close_reason)
    assert frames == [{"type": "pong"}] * len(frames)
    assert len(frames) < BURST
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]

    # The server, and this user, are fine (a queue of one frame fits one pong at a time).
    async with tiny_queue_server.websocket(user.token) as client:
        for _ in range(3):
            await client.send_json({"type": "ping"})
            assert await next_frame(client) == {"type": "pong"}
