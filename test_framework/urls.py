"""URL helpers: derive the WebSocket and API addresses from a server's HTTP base URL."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

WS_PATH = "/api/ws"
HEALTH_PATH = "/api/health"


def normalise_base_url(base_url: str) -> str:
    """Return ``base_url`` without a trailing slash; it must be an ``http(s)://`` URL."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http(s)://HOST[:PORT] base URL, got {base_url!r}")
    return base_url.rstrip("/")


def ws_url_for(base_url: str, path: str = WS_PATH) -> str:
    """The ``ws(s)://`` URL of ``path`` on the server at ``base_url`` (https maps to wss)."""
    parts = urlsplit(normalise_base_url(base_url))
    scheme = "wss" if parts.scheme == "https" else "ws"
    prefix = parts.path.rstrip("/")
    return urlunsplit((scheme, parts.netloc, prefix + path, "", ""))


def http_url_for(base_url: str, path: str) -> str:
    """The absolute URL of ``path`` (e.g. ``/api/me``) on the server at ``base_url``."""
    return normalise_base_url(base_url) + "/" + path.lstrip("/")
