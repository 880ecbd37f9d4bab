"""No import errors anywhere: the real server, started as users start it, logs none.

The server is exercised (sign-up, a WebSocket run) first, so imports done lazily on those
paths are in the log too.
"""

from __future__ import annotations

import re

import pytest

from test_framework.server import ServerProcess
from test_framework.users import register_or_login
from test_framework.websocket_helpers import WebSocketTestClient

pytestmark = pytest.mark.integration

IMPORT_PROBLEMS = re.compile(r"\b(ImportError|ModuleNotFoundError)\b")


async def test_server_log_has_no_import_errors(local_server: ServerProcess) -> None:
    user = await register_or_login(local_server.base_url, subscription="early")
    async with WebSocketTestClient(local_server.ws_url, user.token) as client:
        await client.request_agent(
            "cost_optimizer", "analyse", context={"monthly_spend": 500, "primary_services": ["S3"]}
        )
        events = await client.receive_run(timeout=60)
    assert events[-1]["type"] == "agent_completed"
    assert local_server.is_running()
    log = local_server.log_text()
    assert "startup complete" in log.lower(), (
        f"server log does not show a started app:\n{log[-2000:]}"
    )
    problems = [line for line in log.splitlines() if IMPORT_PROBLEMS.search(line)]
    assert not problems, "server log holds import errors:\n" + "\n".join(problems)
