"""Wires the shared fixtures of ``test_framework`` into every test directory."""

from test_framework.e2e_fixtures import local_server, netra_base_url
from test_framework.real_services_test_fixtures import (
    netra_app_pool,
    real_services_all_backends,
    real_services_fixture,
)

__all__ = [
    "local_server",
    "netra_app_pool",
    "netra_base_url",
    "real_services_all_backends",
    "real_services_fixture",
]
