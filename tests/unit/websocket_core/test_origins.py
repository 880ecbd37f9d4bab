"""Which browser origins may open a WebSocket: the pure decision and its setting."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from netra_backend.app.config import Settings
from netra_backend.app.origins import normalize_origin
from netra_backend.app.websocket_core.handshake import origin_allowed

pytestmark = pytest.mark.unit

HOST = {"host": "netra.example:8000"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://App.Example.com", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://app.example.com:80/", "http://app.example.com"),
        ("http://localhost:3000", "http://localhost:3000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", None),
        ("file://", None),
        ("ftp://app.example.com", None),
        ("https://app.example.com/path", None),
        ("https://user@app.example.com", None),
        ("https://app.example.com:99999", None),
        ("https://", None),
    ],
)
def test_normalize_origin_spells_origins_one_way(value: str, expected: str | None) -> None:
    assert normalize_origin(value) == expected


def test_origin_allowed_passes_clients_without_origin() -> None:
    assert origin_allowed(HOST, ())
    assert origin_allowed(HOST, ("https://app.example.com",))


@pytest.mark.parametrize("origin", ["http://netra.example:8000", "https://NETRA.example:8000"])
def test_origin_allowed_by_default_accepts_the_servers_own_origin(origin: str) -> None:
    assert origin_allowed({**HOST, "origin": origin}, ())


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "http://netra.example",  # another port is another origin
        "http://netra.example:8000.evil.example",
        "null",
        "",
    ],
)
def test_origin_allowed_by_default_refuses_other_origins(origin: str) -> None:
    assert not origin_allowed({**HOST, "origin": origin}, ())


def test_origin_allowed_refuses_an_origin_when_the_host_is_missing() -> None:
    assert not origin_allowed({"origin": "http://netra.example:8000"}, ())


def test_origin_allowed_with_a_list_accepts_only_the_list() -> None:
    allowed = ("https://app.example.com", "http://localhost:3000")
    assert origin_allowed({**HOST, "origin": "https://app.example.com:443"}, allowed)
    assert origin_allowed({**HOST, "origin": "http://localhost:3000"}, allowed)
    assert not origin_allowed({**HOST, "origin": "https://evil.example"}, allowed)
    # An explicit list replaces the default: the server's own origin must be listed.
    assert not origin_allowed({**HOST, "origin": "http://netra.example:8000"}, allowed)


def test_origin_allowed_star_accepts_any_origin() -> None:
    assert origin_allowed({**HOST, "origin": "https://evil.example"}, ("*",))
    assert origin_allowed({**HOST, "origin": "null"}, ("*",))


def test_allowed_origins_setting_reads_a_comma_separated_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "NETRA_ALLOWED_ORIGINS", " https://App.example.com:443 , http://localhost:3000,"
    )
    assert Settings().allowed_origins == ("https://app.example.com", "http://localhost:3000")


def test_allowed_origins_setting_defaults_to_own_origin_only() -> None:
    assert Settings().allowed_origins == ()


def test_allowed_origins_setting_refuses_a_bad_entry_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NETRA_ALLOWED_ORIGINS", "https://app.example.com/chat")
    with pytest.raises(ValidationError, match="NETRA_ALLOWED_ORIGINS"):
        Settings()
