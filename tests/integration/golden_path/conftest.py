"""Fixtures of the Golden Path suite: servers with special settings, on SQLite and PostgreSQL.

Default-settings tests use the framework's ``real_services_all_backends``; the fixtures here
start their own real server (``_servers.serving``) where a test needs a known JWT secret,
scripted agents, tiny limits or a short agent timeout. Each is parametrised over the
backends; PostgreSQL runs are marked ``real_services`` and skip, naming PostgreSQL, when it
is unreachable.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from netra_backend.app.plans import PlanTable
from tests.integration.golden_path._agents import scripted_registry
from tests.integration.golden_path._servers import GoldenPathServer, backend_params, serving

FRAME_LIMIT = 1024
"""``NETRA_WS_MAX_MESSAGE_BYTES`` of ``frame_limit_server`` (the setting's minimum is 256)."""
MAX_RUNS = 2
AGENT_TIMEOUT = 2.0
MAX_MESSAGE_CHARS = 50
RATE_PER_SECOND = 2.0
RATE_BURST = 3
MAX_CONNECTIONS = 2


@pytest.fixture(scope="module", params=backend_params())
def scripted_server(request: pytest.FixtureRequest) -> Iterator[GoldenPathServer]:
    """Scripted agents, a known JWT secret, 2 concurrent runs per user, 2 s agent timeout."""
    with serving(
        str(request.param),
        registry=scripted_registry(),
        plan_limits=PlanTable.uniform(MAX_RUNS, 10_000),
        agent_timeout_seconds=AGENT_TIMEOUT,
        max_message_chars=MAX_MESSAGE_CHARS,
        jwt_ttl_seconds=600,
    ) as server:
        yield server


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(
            (backend.values[0], uvicorn_limit),
            marks=backend.marks,
            id=f"{backend.values[0]}-{label}",
        )
        for backend in backend_params()
        for uvicorn_limit, label in ((FRAME_LIMIT, "uvicorn-and-setting"), (None, "setting-only"))
    ],
)
def frame_limit_server(request: pytest.FixtureRequest) -> Iterator[GoldenPathServer]:
    """``NETRA_WS_MAX_MESSAGE_BYTES=1024``, with uvicorn's ``ws_max_size`` set the same or not.

    ``netra serve`` passes the setting to uvicorn too; "setting-only" checks that the app
    enforces it on its own (behind another server or proxy that does not).
    """
    backend, uvicorn_limit = request.param
    with serving(
        backend,
        registry=scripted_registry(),
        ws_max_message_bytes=FRAME_LIMIT,
        ws_max_size=uvicorn_limit,
    ) as server:
        yield server


@pytest.fixture(scope="module", params=backend_params())
def rate_limited_server(request: pytest.FixtureRequest) -> Iterator[GoldenPathServer]:
    """2 frames per second, bursts of 3; 2 sockets per user."""
    with serving(
        str(request.param),
        registry=scripted_registry(),
        ws_rate_limit_per_second=RATE_PER_SECOND,
        ws_rate_limit_burst=RATE_BURST,
        ws_max_connections_per_user=MAX_CONNECTIONS,
    ) as server:
        yield server
