"""Session fixtures locating the server end-to-end tests talk to.

``netra_base_url`` is ``NETRA_BASE_URL`` when set (a deployed or hand-started server);
otherwise the framework starts one real server subprocess for the whole session
(``local_server``) and sets ``NETRA_BASE_URL`` to it until the session ends.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from test_framework.server import ServerProcess, running_server
from test_framework.urls import normalise_base_url

BASE_URL_ENV = "NETRA_BASE_URL"


@pytest.fixture(scope="session")
def local_server() -> Iterator[ServerProcess]:
    """A ``netra serve`` subprocess on a free port with a temporary data dir, for the session."""
    with running_server() as server:
        yield server


@pytest.fixture(scope="session")
def netra_base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The HTTP base URL of the server under test (``NETRA_BASE_URL`` or a started one)."""
    configured = os.environ.get(BASE_URL_ENV)
    if configured:
        yield normalise_base_url(configured)
        return
    server: ServerProcess = request.getfixturevalue("local_server")
    os.environ[BASE_URL_ENV] = server.base_url
    try:
        yield server.base_url
    finally:
        os.environ.pop(BASE_URL_ENV, None)
