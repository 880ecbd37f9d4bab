"""Each package's public surface: one sorted ``__all__`` whose names all resolve."""

from __future__ import annotations

import importlib

import pytest

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("package", ["netra_backend.app.auth", "netra_backend.app.db"])
def test_all_is_sorted_unique_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    names: list[str] = list(module.__all__)
    assert names == sorted(set(names))
    for name in names:
        assert getattr(module, name) is not None


def test_auth_surface_has_what_the_app_wires() -> None:
    auth = importlib.import_module("netra_backend.app.auth")
    wired = {
        "TokenService",
        "UserStore",
        "bearer_token_from_header",
        "current_user_id",
        "load_or_create_secret",
        "router",
    }
    assert wired <= set(auth.__all__)


def test_db_surface_has_what_the_app_wires() -> None:
    db = importlib.import_module("netra_backend.app.db")
    assert {"Database", "RunStore"} <= set(db.__all__)
