"""Where a WebSocket client's token comes from. Pure: header values in, token out.

Programmatic clients send ``Authorization: Bearer <jwt>``. Browsers cannot set headers, so
they offer two subprotocols, ``netra.v1`` and ``bearer.<jwt>``; the server selects
``netra.v1``. Tokens never travel in the URL, where proxies and logs would keep them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from netra_backend.app.auth import bearer_token_from_header
from netra_backend.app.errors import TokenError

SUBPROTOCOL = "netra.v1"
BEARER_SUBPROTOCOL_PREFIX = "bearer."


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
