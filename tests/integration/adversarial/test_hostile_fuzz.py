"""Hypothesis throws arbitrary input at a real server and checks the answer is always a named
one: arbitrary WebSocket frames (text, binary, JSON of every shape, near-valid protocol frames)
through a real session, and arbitrary bodies, methods and content types at every HTTP route.
Never a 5xx, never a dropped connection, never an error in the server's log.

Examples are bounded (``settings`` below), so the module takes seconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from netra_backend.app.websocket_core.codes import ErrorCode, ResumeFailure
from netra_backend.app.websocket_core.events import EventType
from test_framework.logs import ErrorLog
from tests.integration.golden_path._servers import GoldenPathServer, serving

pytestmark = pytest.mark.integration

#: Every type of frame the server may send (the protocol's whole vocabulary).
SERVER_FRAME_TYPES = {*EventType, "error", "pong", "resumed", "resume_failed"}
KNOWN_ERRORS = set(ErrorCode)

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
#: Frames close to valid: a real type, real field names, values of any shape.
NEAR_VALID = st.fixed_dictionaries(
    {
        "type": st.one_of(
            st.sampled_from(["agent_request", "cancel_run", "resume", "ping", "pong", ""]),
            JSON_LEAVES,
        )
    },
    optional={
        "agent": st.one_of(st.sampled_from(["triage_agent", "cost_optimizer"]), JSON_VALUES),
        "message": st.one_of(st.text(max_size=200), JSON_VALUES),
        "context": JSON_VALUES,
        "request_id": st.one_of(st.text(max_size=40), JSON_VALUES),
        "run_id": st.one_of(st.text(max_size=40), JSON_VALUES),
        "last_seq": st.one_of(st.integers(min_value=-5, max_value=10**20), JSON_VALUES),
        "user_id": st.text(max_size=10),
    },
)
FRAMES = st.one_of(
    st.text(max_size=300).map(lambda text: ("text", text)),
    st.binary(max_size=300).map(lambda data: ("binary", data)),
    JSON_VALUES.map(lambda value: ("text", json.dumps(value))),
    NEAR_VALID.map(lambda frame: ("text", json.dumps(frame))),
)


@pytest.fixture(scope="module")
def fuzz_target() -> Iterator[GoldenPathServer]:
    with serving(
        "sqlite",
        ws_rate_limit_per_second=100_000,
        ws_rate_limit_burst=100_000,
        login_max_failures_per_email=10**6,
        login_max_failures_per_address=10**6,
    ) as server:
        yield server


@pytest.fixture(scope="module")
def token(fuzz_target: GoldenPathServer) -> str:
    return fuzz_target.create_user_sync().token


@pytest.fixture(scope="module")
def socket(fuzz_target: GoldenPathServer, token: str) -> Iterator[ClientConnection]:
    with connect(
        fuzz_target.ws_url, additional_headers={"Authorization": f"Bearer {token}"}
    ) as connection:
        yield connection


def _assert_named(frame: dict[str, Any]) -> None:
    assert frame.get("type") in SERVER_FRAME_TYPES, frame
    if frame["type"] == "error":
        assert frame["data"]["code"] in KNOWN_ERRORS, frame
        assert isinstance(frame["data"]["message"], str) and frame["data"]["message"]
    elif frame["type"] == "resume_failed":
        assert frame["data"]["code"] in set(ResumeFailure), frame


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame=FRAMES)
def test_any_frame_gets_a_named_answer_and_the_socket_survives(
    socket: ClientConnection, server_errors: ErrorLog, frame: tuple[str, str | bytes]
) -> None:
    kind, payload = frame
    socket.send(payload if kind == "binary" else str(payload))
    # A ping after it: everything before its pong answers the frame (or is a run's event).
    socket.send(json.dumps({"type": "ping"}))
    while True:
        answer = json.loads(socket.recv(timeout=10))
        _assert_named(answer)
        if answer["type"] == "pong":
            break
    assert not server_errors.messages, server_errors.messages


ROUTES = [
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/me"),
    ("GET", "/api/runs"),
    ("GET", "/api/runs/{id}"),
    ("GET", "/api/health"),
    ("GET", "/"),
]
BODIES = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    NEAR_VALID.map(lambda value: json.dumps(value).encode()),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES),
    method=st.one_of(st.none(), st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"])),
    body=BODIES,
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", ""]
    ),
    run_id=st.text(min_size=1, max_size=80),
    signed_in=st.booleans(),
)
def test_any_body_at_any_route_gets_a_named_answer_below_500(
    fuzz_target: GoldenPathServer,
    token: str,
    server_errors: ErrorLog,
    route: tuple[str, str],
    method: str | None,
    body: bytes,
    content_type: str,
    run_id: str,
    signed_in: bool,
) -> None:
    verb, path = route
    headers = {"Content-Type": content_type} if content_type else {}
    if signed_in:
        headers["Authorization"] = f"Bearer {token}"
    url = fuzz_target.base_url + path.replace("{id}", quote(run_id, safe=""))
    response = httpx.request(method or verb, url, content=body, headers=headers, timeout=30)
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and error["code"], error
        assert isinstance(error["message"], str) and error["message"], error
    assert not server_errors.messages, server_errors.messages
