"""Who may open a WebSocket, and where its token comes from. Pure: header values in.

Origins: a browser always sends ``Origin``; :func:`origin_allowed` decides, before the token
is looked at, whether that page may open a socket here (``NETRA_ALLOWED_ORIGINS``; by default
only the server's own origin, ``http(s)://<Host header>``). Clients that send no ``Origin``
(programmatic ones) are not browsers driven by someone else's page, and pass.

Tokens: programmatic clients send ``Authorization: Bearer <jwt>``. Browsers cannot set
headers, so they offer two subprotocols, ``netra.v1`` and ``bearer.<jwt>``; the server selects
``netra.v1``. Tokens never travel in the URL, where proxies and logs would keep them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from netra_backend.app.auth import bearer_token_from_header
from netra_backend.app.errors import TokenError
from netra_backend.app.origins import normalize_origin

SUBPROTOCOL = "netra.v1"
BEARER_SUBPROTOCOL_PREFIX = "bearer."


ANY_ORIGIN = "*"


def origin_allowed(headers: Mapping[str, str], allowed: Sequence[str]) -> bool:
    """Whether a handshake with these (lower-case keyed) headers may go on.

    No ``Origin`` header: yes. ``allowed`` holding ``*``: yes. A non-empty ``allowed``: the
    origin must be one of them (compared normalized: case, default port). An empty
    ``allowed`` means the server's own origin: ``http://`` or ``https://`` plus the request's
    ``Host``. An ``Origin`` that is not an http(s) origin (``null``, garbage) is refused.
    """
    origin = headers.get("origin")
    if origin is None:
        return True
    if ANY_ORIGIN in allowed:
        return True
    candidate = normalize_origin(origin)
    if candidate is None:
        return False
    if allowed:
        return candidate in {normalize_origin(entry) for entry in allowed}
    host = headers.get("host", "").strip()
    if not host:
        return False
    return candidate in {normalize_origin(f"{scheme}://{host}") for scheme in ("http", "https")}


@dataclass(frozen=True, slots=True)
class Credentials:
    """The token a client offered and the subprotocol to accept the socket with."""

    token: str
    subprotocol: str | None


def credentials_from_handshake(
    authorization: str | None, subprotocols: Sequence[str]
) -> tuple[Credentials | None, TokenError | None, str | None]:
    """Extract the token; returns ``(credentials, error, subprotocol_to_accept_with)``.

    The subprotocol is returned even on error, so the server can accept the socket in a way
    the browser agrees to and then close it with 4401 and a reason it can read.
    """
    subprotocol = SUBPROTOCOL if SUBPROTOCOL in subprotocols else None
    if authorization:
        try:
            return (
                Credentials(bearer_token_from_header(authorization), subprotocol),
                None,
                subprotocol,
            )
        except TokenError as exc:
            return None, exc, subprotocol
    for offered in subprotocols:
        if offered.startswith(BEARER_SUBPROTOCOL_PREFIX):
            if subprotocol is None:
                return (
                    None,
                    TokenError(f"offer the {SUBPROTOCOL!r} subprotocol with the token"),
                    None,
                )
            token = offered[len(BEARER_SUBPROTOCOL_PREFIX) :]
            if token:
                return Credentials(token, subprotocol), None, subprotocol
    return None, TokenError("missing token: send 'Authorization: Bearer <token>'"), subprotocol
