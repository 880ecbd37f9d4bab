"""The protocol's codes live in one place (``websocket_core.codes``) and the docs agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netra_backend.app.errors import AgentError
from netra_backend.app.websocket_core.codes import CloseCode, ErrorCode, ResumeFailure, RunErrorCode

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
SOURCE = "\n".join(
    path.read_text(encoding="utf-8") for path in (ROOT / "netra_backend").rglob("*.py")
)


def _table_after(heading: str) -> list[str]:
    """The first column of the first table after ``heading`` (backticks stripped)."""
    start = PROTOCOL.index(heading)
    rows = []
    for line in PROTOCOL[start:].splitlines()[1:]:
        if line.startswith("|"):
            rows.append(line.split("|")[1].strip().strip("`"))
        elif rows:
            break
    return [r for r in rows if r not in ("code", "---")]


def test_error_codes_table_lists_exactly_the_error_codes() -> None:
    assert sorted(_table_after("Errors about a client frame")) == sorted(ErrorCode)


def test_close_codes_table_lists_exactly_the_close_codes() -> None:
    documented = sorted(int(code) for code in _table_after("## Close codes"))
    assert documented == sorted(int(code) for code in CloseCode)


def test_resume_failure_table_lists_exactly_the_resume_failures() -> None:
    assert sorted(_table_after('{"type": "resume_failed"')) == sorted(ResumeFailure)


def test_every_protocol_error_the_service_raises_uses_a_known_code() -> None:
    raised = set(re.findall(r'ProtocolError\(\s*"([a-z_]+)"', SOURCE))
    assert raised, "no ProtocolError found: the pattern is stale"
    assert raised <= set(ErrorCode), raised - set(ErrorCode)


def test_run_error_codes_table_lists_exactly_the_run_error_codes() -> None:
    assert sorted(_table_after("Codes of `agent_failed`")) == sorted(RunErrorCode)


def test_every_run_error_code_the_service_uses_is_listed() -> None:
    used = set(re.findall(r'\bcode="([a-z_]+)"', SOURCE))
    used |= set(re.findall(r'ProviderError\(\s*"([a-z_]+)"', SOURCE))
    used |= {cls.code for cls in _agent_errors(AgentError)}
    assert {"server_shutdown", "agent_error"} <= used, "the patterns are stale"
    assert used <= set(RunErrorCode), used - set(RunErrorCode)


def _agent_errors(cls: type[AgentError]) -> set[type[AgentError]]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _agent_errors(sub)
    return found
