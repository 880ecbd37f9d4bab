"""The assistant's parts without a provider: messages, argument checks, errors, enabling."""

from __future__ import annotations

import logging
import pickle
import socket
import subprocess
import sys
from email.utils import formatdate

import pytest
from pydantic import SecretStr

from netra_backend.app.agents.assistant import AssistantAgent, without_userinfo
from netra_backend.app.agents.base import AgentRequest, Tool
from netra_backend.app.agents.builtin import BUILTIN_TOOLS
from netra_backend.app.agents.chat_format import (
    build_messages,
    estimate_tokens,
    history_within,
    parse_arguments,
    tool_specs,
)
from netra_backend.app.agents.optional import ASSISTANT_HINT, enable_assistant
from netra_backend.app.agents.provider_errors import (
    provider_address,
    retry_after_seconds,
    status_error,
    translate,
)
from netra_backend.app.agents.registry import AgentRegistry, default_registry
from netra_backend.app.config import Settings
from netra_backend.app.db.conversations import Turn
from netra_backend.app.errors import ProviderError
from test_framework.openai_standin import OpenAIStandIn, Stream
from test_framework.recording_run import RecordingRun

pytestmark = pytest.mark.unit

KEY = "sk-unit-test-key-0123456789"
ECHO = Tool(
    "echo",
    "returns its text",
    lambda text: {"echo": text},
    parameters={
        "type": "object",
        "properties": {"text": {"type": "string"}, "loud": {"type": "boolean"}},
        "required": ["text"],
        "additionalProperties": False,
    },
)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- messages and history -------------------------------------------------------------------


def test_estimate_tokens_is_characters_over_four_rounded_up() -> None:
    assert [estimate_tokens("x" * n) for n in (0, 1, 4, 5, 8)] == [0, 1, 1, 2, 2]


def test_history_keeps_the_newest_whole_turns_that_fit_the_budget() -> None:
    turns = [Turn("a" * 40, "b" * 40), Turn("c" * 8, "d" * 8), Turn("e" * 4, "f" * 4)]
    # Costs: 20, 4, 2 tokens. A budget of 6 keeps the last two, of 5 only the last.
    assert history_within(turns, 26) == turns
    assert history_within(turns, 25) == turns[1:]
    assert history_within(turns, 6) == turns[1:]
    assert history_within(turns, 5) == turns[2:]
    assert history_within(turns, 0) == []


def test_history_stops_at_the_first_turn_that_does_not_fit_leaving_no_gap() -> None:
    turns = [Turn("old", "ok"), Turn("x" * 400, "y"), Turn("new", "ok")]
    assert history_within(turns, 10) == [turns[2]]


def test_build_messages_orders_system_history_then_the_new_message() -> None:
    messages = build_messages("be brief", [Turn("hi", "hello")], "and now?", 100)
    assert messages == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "and now?"},
    ]


def test_tool_specs_offer_each_tool_with_its_schema() -> None:
    specs = tool_specs([ECHO, *BUILTIN_TOOLS])
    assert [spec["function"]["name"] for spec in specs] == [
        "echo",
        *(tool.name for tool in BUILTIN_TOOLS),
    ]
    assert specs[0] == {
        "type": "function",
        "function": {
            "name": "echo",
            "description": "returns its text",
            "parameters": ECHO.parameters,
        },
    }


# --- argument checks ------------------------------------------------------------------------


def test_arguments_that_fit_the_schema_are_parsed() -> None:
    assert parse_arguments(ECHO, '{"text": "hi", "loud": true}') == (
        {"text": "hi", "loud": True},
        None,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"text": ', "not valid JSON"),
        ("[1, 2]", "must be a JSON object, got list"),
        ('{"loud": true}', "missing required argument(s) text"),
        ('{"text": "x", "colour": "red"}', "unknown argument(s) colour (expected: loud, text)"),
        ("", "missing required argument(s) text"),
    ],
)
def test_arguments_that_do_not_fit_get_an_error_text_for_the_model(raw: str, expected: str) -> None:
    arguments, problem = parse_arguments(ECHO, raw)
    assert arguments is None
    assert problem is not None and problem.startswith("error: echo was not called:")
    assert expected in problem


def test_unknown_keys_pass_when_the_schema_allows_additional_properties() -> None:
    open_tool = Tool("open", "", lambda **kw: kw, parameters={"type": "object"})
    assert parse_arguments(open_tool, '{"anything": 1}') == ({"anything": 1}, None)


# --- provider errors ------------------------------------------------------------------------


def test_provider_address_drops_userinfo_path_and_query() -> None:
    assert provider_address("http://user:pw@Example.com:8080/v1?key=1") == "example.com:8080"
    assert provider_address("https://api.openai.com/v1") == "api.openai.com:443"
    assert provider_address("http://[::1]/v1") == "[::1]:80"


def test_retry_after_reads_milliseconds_first_then_seconds() -> None:
    assert retry_after_seconds({"retry-after-ms": "1500", "Retry-After": "7"}) == 1.5
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"retry-after": " 0.25 "}) == 0.25


def test_retry_after_reads_an_http_date() -> None:
    now = 1_700_000_000.0
    date = formatdate(now + 30, usegmt=True)
    assert retry_after_seconds({"Retry-After": date}, now=now) == pytest.approx(30.0)
    past = formatdate(now - 30, usegmt=True)
    assert retry_after_seconds({"Retry-After": past}, now=now) == 0.0


@pytest.mark.parametrize("value", ["soon", "-3", "nan", "inf", ""])
def test_retry_after_ignores_what_it_cannot_read(value: str) -> None:
    assert retry_after_seconds({"Retry-After": value}) is None


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "provider_auth"),
        (403, "provider_auth"),
        (429, "provider_rate_limited"),
        (500, "provider_unavailable"),
        (503, "provider_unavailable"),
        (400, "provider_error"),
        (404, "provider_error"),
        (422, "provider_error"),
    ],
)
def test_status_errors_map_to_their_codes_and_carry_the_status(status: int, code: str) -> None:
    error = status_error(status, {"Retry-After": "7"}, "host:1")
    assert (error.code, error.status) == (code, status)
    assert f"HTTP {status}" in error.message and "host:1" in error.message
    assert error.retry_after == (7.0 if status == 429 else None)
    assert pickle.loads(pickle.dumps(error)).as_dict() == error.as_dict()


def test_errors_outside_the_sdk_are_mapped_by_kind() -> None:
    assert translate(ConnectionRefusedError(), "h:1").code == "provider_unavailable"
    assert translate(TimeoutError(), "h:1").message == "the model provider at h:1 timed out"
    cut = translate(ConnectionResetError(), "h:1", streaming=True)
    assert "cut the stream" in cut.message


async def test_connection_refused_names_the_host_but_not_the_key_or_userinfo() -> None:
    port = _closed_port()
    settings = Settings(
        llm_base_url=f"http://alice:hunter2-pw@127.0.0.1:{port}/v1",
        llm_model="m",
        llm_api_key=SecretStr(KEY),
    )
    agent = AssistantAgent(settings, AgentRegistry(tools=[ECHO]))
    try:
        with pytest.raises(ProviderError) as caught:
            await agent.run(AgentRequest("r1", "u1", "assistant", "hi"), RecordingRun())
    finally:
        await agent.aclose()
    error = caught.value
    assert error.code == "provider_unavailable" and error.status is None
    assert f"127.0.0.1:{port}" in error.message and "could not be reached" in error.message
    text = f"{error} {error!r} {error.as_dict()}"
    assert KEY not in text and "hunter2" not in text and "alice" not in text
    assert error.__cause__ is None and error.__suppress_context__


# --- enabling, and the secret ---------------------------------------------------------------


def test_without_a_base_url_nothing_is_registered_and_unknown_agent_says_how(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = default_registry()
    assert enable_assistant(registry, Settings()) is None
    assert "assistant" not in registry.names()
    message = registry.unknown_agent_message("assistant")
    assert "not enabled" in message and ASSISTANT_HINT in message and "NETRA_LLM_MODEL" in message


async def test_with_a_base_url_it_registers_and_logs_host_and_model_never_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    registry = default_registry()
    settings = Settings(
        llm_base_url="http://bob:pw-secret@127.0.0.1:9/v1",
        llm_model="tiny",
        llm_api_key=SecretStr(KEY),
    )
    agent = enable_assistant(registry, settings)
    assert agent is not None and registry.get("assistant") is agent
    await agent.aclose()
    enabled = [r.getMessage() for r in caplog.records if "assistant agent enabled" in r.message]
    assert enabled == ["assistant agent enabled: model tiny at 127.0.0.1:9"]
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("user:password@" in message for message in warned)
    assert all(
        KEY not in r.getMessage() and "pw-secret" not in r.getMessage() for r in caplog.records
    )


async def test_the_key_is_in_no_repr() -> None:
    settings = Settings(
        llm_base_url="http://127.0.0.1:9/v1", llm_model="m", llm_api_key=SecretStr(KEY)
    )
    agent = AssistantAgent(settings, AgentRegistry())
    try:
        for text in (repr(settings), str(settings), repr(agent), repr(settings.llm_api_key)):
            assert KEY not in text
    finally:
        await agent.aclose()


def test_a_model_is_required_with_a_base_url() -> None:
    with pytest.raises(ValueError, match="NETRA_LLM_MODEL"):
        Settings(llm_base_url="http://127.0.0.1:9/v1")


def test_without_userinfo_strips_only_the_credentials() -> None:
    assert without_userinfo("http://a:b@host:1/v1?x=1") == "http://host:1/v1?x=1"
    assert without_userinfo("https://api.example.com/v1") == "https://api.example.com/v1"


async def test_userinfo_in_the_base_url_is_not_sent_and_the_bearer_key_is() -> None:
    with OpenAIStandIn() as provider:
        provider.script(Stream.reply("hi there", pieces=2))
        settings = Settings(
            llm_base_url=f"http://carol:pw-secret@127.0.0.1:{provider.port}/v1",
            llm_model="m",
            llm_api_key=SecretStr(KEY),
        )
        agent = AssistantAgent(settings, AgentRegistry())
        run = RecordingRun()
        try:
            result = await agent.run(AgentRequest("r1", "u1", "assistant", "hi"), run)
        finally:
            await agent.aclose()
    assert result["reply"] == "hi there" == "".join(delta for _, delta in run.deltas)
    assert run.calls == [("think", "Asking m")]
    assert provider.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_a_server_without_a_model_never_imports_the_openai_sdk() -> None:
    # Fresh interpreter: the services (every server's start-up) and the hint path only.
    probe = (
        "import sys\n"
        "from netra_backend.app import services\n"
        "from netra_backend.app.agents.optional import enable_assistant\n"
        "from netra_backend.app.agents.registry import default_registry\n"
        "from netra_backend.app.config import Settings\n"
        "enable_assistant(default_registry(), Settings())\n"
        "print('openai' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
