"""The example plug-in package, installed by pip and loaded by a real ``netra serve``.

``examples/netra_example_agents`` and a package whose entry point is broken are installed with
pip; ``NETRA_AGENTS`` names the example's ``shout`` and a module that does not exist. The
server must name both broken plug-ins with their errors, start anyway, and run the example's
agents over ``/api/ws`` like built-in ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from test_framework.envelopes import assert_run_contract, event_types
from test_framework.server import REPO_ROOT, ServerProcess, running_server
from test_framework.users import register_or_login
from test_framework.websocket_helpers import Event, WebSocketTestClient

pytestmark = pytest.mark.integration

EXAMPLE = REPO_ROOT / "examples" / "netra_example_agents"
NETRA_AGENTS = "netra_example_agents.extra:SHOUT,no_such_module:thing"

BROKEN_PYPROJECT = """\
[build-system]
requires = ["flit_core>=3.9"]
build-backend = "flit_core.buildapi"

[project]
name = "netra-broken-plugin"
version = "0.1.0"
description = "A Netra plug-in that fails at import"

[project.entry-points."netra.agents"]
broken = "netra_broken_plugin:plugin"
"""
BROKEN_MODULE = 'raise ImportError("netra_broken_plugin is broken on purpose")\n'


def write_broken_package(root: Path) -> Path:
    """A package whose ``netra.agents`` entry point raises ImportError when loaded."""
    (root / "netra_broken_plugin").mkdir(parents=True)
    (root / "pyproject.toml").write_text(BROKEN_PYPROJECT, encoding="utf-8")
    (root / "netra_broken_plugin" / "__init__.py").write_text(BROKEN_MODULE, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def plugin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A ``netra serve`` with the example and the broken package on its path."""
    root = tmp_path_factory.mktemp("plugins")
    broken = write_broken_package(root / "broken")
    target = root / "site"
    # Installed into a directory of its own on the server's PYTHONPATH, not into .venv: the
    # venv is shared by every other test (and by coverage), which must not see these agents,
    # and entry points are found the same way on any sys.path entry as in site-packages.
    # flit_core (a dev dependency) builds both packages, so no index or network is used.
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(EXAMPLE),
            str(broken),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    env = {
        "PYTHONPATH": os.pathsep.join([str(target), str(REPO_ROOT)]),
        "NETRA_AGENTS": NETRA_AGENTS,
    }
    with running_server(env=env) as server:
        yield server


async def ask(
    server: ServerProcess, agent: str, message: str, context: dict[str, object] | None = None
) -> list[Event]:
    """One run of ``agent`` by a fresh user over ``/api/ws``: its events, terminal last."""
    user = await register_or_login(server.base_url)
    async with WebSocketTestClient(server.ws_url, user.token) as socket:
        await socket.request_agent(agent, message, context=context)
        return await socket.receive_run(timeout=60)


def deltas(events: list[Event]) -> list[Event]:
    return [event for event in events if event["type"] == "agent_message_delta"]


async def test_broken_plugins_are_logged_with_their_errors_and_the_server_starts(
    plugin_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=plugin_server.base_url) as client:
        health = await client.get("/api/health")
        agents = await client.get("/api/agents")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    names = [agent["name"] for agent in agents.json()["agents"]]
    assert names == ["cost_optimizer", "shout", "triage_agent", "word_count"]

    log = plugin_server.log_text()
    assert (
        "plug-in broken (netra_broken_plugin:plugin) was not loaded: ImportError: "
        "netra_broken_plugin is broken on purpose"
    ) in log, log
    assert (
        "plug-in no_such_module:thing was not loaded: ModuleNotFoundError: "
        "No module named 'no_such_module'"
    ) in log, log
    assert (
        "plug-ins loaded: example_agents (netra_example_agents:plugin): agent 'word_count', "
        "tool 'unit_convert'; netra_example_agents.extra:SHOUT: agent 'shout'"
    ) in log, log


async def test_word_count_runs_its_tool_and_streams_deltas_that_add_up_to_the_reply(
    plugin_server: ServerProcess,
) -> None:
    message = "the cat sat on the mat"
    events = await ask(plugin_server, "word_count", message, {"top": 2})

    assert_run_contract(events)
    types = event_types(events)
    streamed = deltas(events)
    assert types == [
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        *["agent_message_delta"] * len(streamed),
        "agent_completed",
    ]
    executing, completed = events[2]["data"], events[3]["data"]
    assert executing["tool"] == completed["tool"] == "text_stats"
    assert executing["arguments"] == {"text": message, "top": 2}
    result = events[-1]["data"]["result"]
    assert result == {
        "reply": "The text has 6 words (5 different) on 1 line, 22 characters. Most frequent: "
        '"the" twice, "cat" once.',
        "message_id": result["message_id"],
        "words": 6,
        "unique_words": 5,
        "lines": 1,
        "characters": 22,
        "top_words": [{"word": "the", "count": 2}, {"word": "cat", "count": 1}],
    }
    assert completed["result"] == {key: result[key] for key in completed["result"]}
    assert len(streamed) > 1, "the reply was not streamed in pieces"
    assert "".join(event["data"]["delta"] for event in streamed) == result["reply"]
    assert {event["data"]["message_id"] for event in streamed} == {result["message_id"]}
    assert all(event["data"]["agent"] == "word_count" for event in streamed)


async def test_shout_from_netra_agents_replies_in_capitals(
    plugin_server: ServerProcess,
) -> None:
    events = await ask(plugin_server, "shout", "hello, plug-ins")

    assert event_types(events) == [
        "agent_started",
        "agent_thinking",
        "agent_message_delta",
        "agent_completed",
    ]
    result = events[-1]["data"]["result"]
    assert result["reply"] == "HELLO, PLUG-INS"
    assert events[2]["data"]["delta"] == "HELLO, PLUG-INS"
    assert events[2]["data"]["message_id"] == result["message_id"]


async def test_word_count_with_a_bad_context_value_fails_invalid_context_before_its_tool(
    plugin_server: ServerProcess,
) -> None:
    events = await ask(plugin_server, "word_count", "count me", {"top": 0})

    assert_run_contract(events, completed=False)
    assert event_types(events) == ["agent_started", "agent_thinking", "agent_failed"]
    assert events[-1]["data"]["error"] == {
        "code": "invalid_context",
        "message": "context.top: must be a whole number from 1 to 10",
    }
