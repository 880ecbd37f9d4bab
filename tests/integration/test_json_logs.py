"""``NETRA_LOG_FORMAT=json`` on a real ``netra serve``: every line it prints is one JSON object
with the documented keys, a run's line carries its run and user ids, and at ``debug`` (where
the WebSocket library logs every header and frame) no token or password appears, and what the
user wrote appears only in ``debug`` lines."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from test_framework.server import ServerProcess, running_server
from test_framework.users import TestUser, register_or_login
from test_framework.websocket_helpers import WebSocketTestClient

pytestmark = pytest.mark.integration

MESSAGE = "json-log-probe: our AWS bill doubled"
KEYS = {"time", "level", "logger", "message"}


@pytest.fixture(scope="module")
def json_server() -> Iterator[ServerProcess]:
    env = {"NETRA_LOG_FORMAT": "json", "NETRA_LOG_LEVEL": "debug"}
    with running_server(env=env) as server:
        yield server


async def _one_run(server: ServerProcess) -> tuple[TestUser, str]:
    user = await register_or_login(server.base_url)
    async with httpx.AsyncClient() as client:
        me = await client.get(server.base_url + "/api/me", headers=user.auth_headers)
        assert me.status_code == 200
    async with WebSocketTestClient(server.ws_url, user.token) as socket:
        await socket.request_agent("triage_agent", MESSAGE)
        run = await socket.receive_run(timeout=60)
    assert run[-1]["type"] == "agent_completed"
    return user, run[-1]["run_id"]


async def test_json_logs_are_json_lines_with_ids_and_no_credentials(
    json_server: ServerProcess,
) -> None:
    user, run_id = await _one_run(json_server)
    # A last request, so the lines about the run are surely written before the log is read.
    async with httpx.AsyncClient() as client:
        assert (await client.get(json_server.base_url + "/api/health?done=1")).status_code == 200
    text = json_server.log_text()
    assert "/api/health?done=1" in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(isinstance(line, dict) and set(line) >= KEYS for line in lines), text[-2000:]
    assert all(str(line["time"]).endswith("Z") for line in lines)

    ended = [line for line in lines if line.get("run_id") == run_id]
    assert ended and all(line["user_id"] == user.user_id for line in ended)
    assert any(line["logger"] == "uvicorn.access" and line["status"] == 200 for line in lines)

    for secret in (user.token, user.token.split(".")[2], user.password):
        assert secret not in text, "a credential reached the JSON log"
    # The WebSocket library logs the Authorization header at debug: redacted.
    assert any("[redacted]" in str(line["message"]) for line in lines)
    above_debug = [line for line in lines if line["level"] != "DEBUG"]
    assert not [line for line in above_debug if MESSAGE in json.dumps(line)]
