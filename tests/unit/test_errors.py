"""The exception tree: every error has a ``code`` and a ``message``, survives pickling (tools
run on worker threads and processes), and one table gives its HTTP status and body."""

from __future__ import annotations

import pickle
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from netra_backend.app import errors
from netra_backend.app.errors import NetraError
from netra_backend.app.http_errors import HTTP_STATUS, install_error_handlers, status_of

pytestmark = pytest.mark.unit

#: One instance of every NetraError class, built as the code builds it.
EXAMPLES: list[NetraError] = [
    errors.NetraError("something broke"),
    errors.AuthError("the token's user no longer exists"),
    errors.TokenError("token expired"),
    errors.ConflictError("that email cannot be used"),
    errors.NotFoundError("no run 'abc'"),
    errors.TooManyAttemptsError(42),
    errors.ProtocolError("rate_limited", "slow down", retry_after=2.5),
    errors.AgentError("the agent raised", code="agent_error"),
    errors.ProviderError("provider_rate_limited", "HTTP 429", status=429, retry_after=7.0),
    errors.InvalidContextError("monthly_spend", "must be a number"),
    errors.AgentTimeoutError(1.5, what="tool 'x'"),
    errors.RunCancelled(),
    errors.StorageError("list runs"),
    errors.ManagerMisuseError("add_connection after close"),
    errors.CrossUserEmitError("alice", "bob"),
]


def _all_subclasses(cls: type[Any]) -> set[type[Any]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _all_subclasses(sub)
    return found


def test_examples_cover_every_error_class() -> None:
    assert {type(e) for e in EXAMPLES} == {NetraError, *_all_subclasses(NetraError)}


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: type(e).__name__)
def test_every_error_has_a_code_and_a_message_in_its_sentence(error: NetraError) -> None:
    assert isinstance(error.code, str) and error.code
    assert isinstance(error.message, str) and error.message
    assert error.message in str(error)


@pytest.mark.parametrize("error", EXAMPLES, ids=lambda e: type(e).__name__)
def test_every_error_pickles_with_its_code_message_and_data(error: NetraError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (copy.code, copy.message, str(copy)) == (error.code, error.message, str(error))
    assert vars(copy) == vars(error)


def test_a_subclass_takes_its_nearest_familys_status() -> None:
    assert status_of(errors.TokenError("expired")) == HTTP_STATUS[errors.AuthError] == 401
    assert status_of(errors.NotFoundError("x")) == 404
    assert status_of(errors.CrossUserEmitError("a", "b")) == 500  # not an HTTP family


def _app_raising(error: NetraError) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return app


@pytest.mark.parametrize(
    ("error", "status", "header"),
    [
        (errors.TokenError("token expired"), 401, ("www-authenticate", "Bearer")),
        (errors.NotFoundError("no run 'abc'"), 404, None),
        (errors.ConflictError("taken"), 409, None),
        (errors.TooManyAttemptsError(42), 429, ("retry-after", "42")),
        (errors.StorageError("list runs"), 503, ("retry-after", "1")),
        (errors.CrossUserEmitError("a", "b"), 500, None),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, NetraError) else None,
)
async def test_one_table_answers_every_family_with_its_code(
    error: NetraError, status: int, header: tuple[str, str] | None
) -> None:
    transport = httpx.ASGITransport(app=_app_raising(error), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/boom")
    assert response.status_code == status
    body = response.json()["error"]
    assert body["code"] == error.code
    if status < 500:
        assert body["message"] == error.message
    else:  # internal details stay in the log
        assert error.message not in body["message"]
    if header is not None:
        assert response.headers[header[0]] == header[1]
