"""Accounts: password hashing, JWTs, the user store and the HTTP routes.

The WebSocket route reuses :func:`bearer_token_from_header` and :class:`TokenService`; the
app wires :data:`router` and builds :class:`UserStore` and :class:`TokenService` (secret from
:func:`load_or_create_secret`).
"""

from __future__ import annotations

from netra_backend.app.auth.passwords import hash_password, needs_rehash, verify_password
from netra_backend.app.auth.routes import (
    AuthServices,
    bearer_token_from_header,
    current_user_id,
    router,
)
from netra_backend.app.auth.schemas import (
    AuthResponse,
    ErrorResponse,
    LoginRequest,
    RegisterRequest,
    RunOut,
    RunsOut,
    RunWithEvents,
    UserOut,
)
from netra_backend.app.auth.throttle import LoginThrottle, SlidingWindowLimiter
from netra_backend.app.auth.tokens import TokenService, VerifiedToken, load_or_create_secret
from netra_backend.app.auth.users import KnownUsers, UserRecord, UserStore, normalize_email

__all__ = [
    "AuthResponse",
    "AuthServices",
    "ErrorResponse",
    "KnownUsers",
    "LoginRequest",
    "LoginThrottle",
    "RegisterRequest",
    "RunOut",
    "RunWithEvents",
    "RunsOut",
    "SlidingWindowLimiter",
    "TokenService",
    "UserOut",
    "UserRecord",
    "UserStore",
    "VerifiedToken",
    "bearer_token_from_header",
    "current_user_id",
    "hash_password",
    "load_or_create_secret",
    "needs_rehash",
    "normalize_email",
    "router",
    "verify_password",
]
