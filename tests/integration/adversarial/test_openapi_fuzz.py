"""Schemathesis against the real server's ``/openapi.json``: every operation, with examples
that fit the schema and examples that break it, signed in and not. Never a 5xx, every answer
as documented (status, content type, body schema), and no error in the server's log.

Bounded: ``MAX_EXAMPLES`` per operation, so the whole module takes seconds.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from netra_backend.app.config import Settings
from netra_backend.app.main import create_app
from test_framework.logs import ErrorLog
from tests.integration.golden_path._servers import GoldenPathServer, serving

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 20
#: Strictness checks this API does not promise: unknown query parameters are ignored (as by
#: most HTTP APIs), and an email is validated beyond JSON Schema's ``format: email``
#: (reserved domains such as ``.test`` are refused with 422 naming the field).
NOT_PROMISED = [
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.positive_data_acceptance,
]


@pytest.fixture(scope="module")
def fuzzed_server() -> Iterator[GoldenPathServer]:
    # The login throttle would answer 429 to a fuzzer's stream of wrong passwords; it is
    # tested on its own, so here it is out of reach.
    with serving(
        "sqlite", login_max_failures_per_email=10**6, login_max_failures_per_address=10**6
    ) as server:
        yield server


@pytest.fixture(scope="module")
def token(fuzzed_server: GoldenPathServer) -> str:
    return fuzzed_server.create_user_sync().token


def _openapi() -> dict[str, Any]:
    # The document the server serves at /openapi.json (checked below); built here because
    # the operations are collected before any server runs. create_app starts nothing.
    with tempfile.TemporaryDirectory() as tmp:
        return create_app(Settings(data_dir=Path(tmp))).openapi()


OPENAPI = _openapi()
schema = schemathesis.openapi.from_dict(OPENAPI)


def test_the_fuzzed_document_is_the_one_the_server_serves(
    fuzzed_server: GoldenPathServer,
) -> None:
    served = httpx.get(f"{fuzzed_server.base_url}/openapi.json")
    assert served.status_code == 200
    assert served.json() == OPENAPI


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_as_documented_and_never_5xx(
    case: schemathesis.Case[Any],
    fuzzed_server: GoldenPathServer,
    token: str,
    server_errors: ErrorLog,
) -> None:
    case.call_and_validate(
        base_url=fuzzed_server.base_url,
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=NOT_PROMISED,
    )
    assert not server_errors.messages, server_errors.messages
