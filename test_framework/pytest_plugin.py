"""pytest plugin: the project's command-line options (``--real-services``, ``--staging-gcp``)."""

from __future__ import annotations

import pytest


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
