"""Web origins (``scheme://host[:port]``) in one canonical spelling. Pure, no app imports.

Used by the settings (to check ``NETRA_ALLOWED_ORIGINS``) and by the WebSocket handshake (to
compare a browser's ``Origin`` header with them).
"""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(value: str) -> str | None:
    """``value`` as ``scheme://host[:port]``, lower-cased, default port dropped.

    ``None`` when it is not an http(s) origin: another scheme, no host, a path, query,
    fragment or user part, a bad port, or the literal ``null`` browsers send from sandboxed
    pages and ``file:`` URLs.
    """
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"
