"""Servers for the adversarial suite: real apps on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from test_framework.logs import ErrorLog, capture_errors
from tests.integration.golden_path._servers import GoldenPathServer, backend_params, serving

FRAME_LIMIT = 4096
CONNECTION_LIMIT = 2


@pytest.fixture(scope="module", params=backend_params())
def hostile_server(request: pytest.FixtureRequest) -> Iterator[GoldenPathServer]:
    """Built-in agents, default limits, a known JWT secret."""
    with serving(str(request.param)) as server:
        yield server


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(FRAME_LIMIT, id="uvicorn-and-setting"),
        pytest.param(None, id="setting-only"),
    ],
)
def small_frame_server(request: pytest.FixtureRequest) -> Iterator[GoldenPathServer]:
    """``NETRA_WS_MAX_MESSAGE_BYTES=4096``; uvicorn's own limit the same (as ``netra serve``) or
    not."""
    with serving(
        "sqlite",
        ws_max_message_bytes=FRAME_LIMIT,
        ws_max_size=request.param,
        ws_max_connections_per_user=CONNECTION_LIMIT,
    ) as server:
        yield server


@pytest.fixture(scope="module")
def server_errors() -> Iterator[ErrorLog]:
    """What was logged at ERROR while the module's tests ran (should be nothing)."""
    with capture_errors() as errors:
        yield errors
