"""pytest plugin: the project's command-line options (``--real-services``, ``--staging-gcp``).

* ``--real-services``: fixtures use real PostgreSQL (and Redis once it exists); a test needing
  a service that is unreachable skips with a reason naming it.
* ``--staging-gcp``: end-to-end tests target the deployed server named by ``NETRA_BASE_URL``
  (required: a usage error otherwise); tests marked ``staging_gcp`` run only with this flag.
"""

from __future__ import annotations

import os

import pytest

BASE_URL_ENV = "NETRA_BASE_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("netra")
    group.addoption(
        "--real-services",
        action="store_true",
        default=False,
        help="run tests that need real PostgreSQL/Redis (skipped with a reason when unreachable)",
    )
    group.addoption(
        "--staging-gcp",
        action="store_true",
        default=False,
        help="run e2e tests against the deployed server named by NETRA_BASE_URL",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--staging-gcp") and not os.environ.get(BASE_URL_ENV):
        raise pytest.UsageError(
            f"--staging-gcp needs {BASE_URL_ENV}: set it to the deployed server's http(s) base "
            f"URL, e.g. {BASE_URL_ENV}=https://netra.example.com"
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--staging-gcp"):
        return
    skip = pytest.mark.skip(reason="needs --staging-gcp and NETRA_BASE_URL (a deployed server)")
    for item in items:
        if item.get_closest_marker("staging_gcp") is not None:
            item.add_marker(skip)
