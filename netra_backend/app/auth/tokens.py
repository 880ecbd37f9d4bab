"""JWT access tokens (HS256) and the signing secret.

A token's subject is the user id; ``iat``, ``exp`` and a unique ``jti`` are always set, and
``sub`` and ``exp`` are required on the way back in. PyJWT's exceptions are translated here
into :class:`~netra_backend.app.errors.TokenError` with a reason a client can act on.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import jwt

from netra_backend.app.config import Settings
from netra_backend.app.data_dir import FILE_MODE
from netra_backend.app.errors import TokenError

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
"""HS256 keys shorter than the hash output (32 bytes) are weak; PyJWT warns on them too."""
SECRET_FILE_NAME = "jwt_secret"


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """What a valid token proves: who, and until when (Unix time)."""

    user_id: str
    expires_at: float


class TokenService:
    """Issues and verifies the service's bearer tokens."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes for {ALGORITHM} "
                "(set NETRA_JWT_SECRET to a longer value, or unset it to generate one)"
            )
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def __repr__(self) -> str:
        return f"TokenService(ttl_seconds={self.ttl_seconds})"

    def issue(self, user_id: str, *, now: float | None = None) -> str:
        """A signed token for ``user_id``, valid for ``ttl_seconds`` from ``now``."""
        issued_at = int(time.time() if now is None else now)
        claims = {
            "sub": user_id,
            "iat": issued_at,
            "exp": issued_at + self.ttl_seconds,
            "jti": uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> str:
        """The user id a valid token was issued to; ``TokenError`` saying why otherwise."""
        return self.verify_claims(token).user_id

    def verify_claims(self, token: str) -> VerifiedToken:
        """The verified subject and expiry of ``token``; ``TokenError`` saying why otherwise."""
        if not token:
            raise TokenError("token is missing")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["sub", "exp"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("token has expired") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenError("token signature is invalid") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise TokenError(f"token lacks the required {exc.claim!r} claim") from exc
        except jwt.InvalidAlgorithmError as exc:
            raise TokenError(f"token is not signed with {ALGORITHM}") from exc
        except jwt.DecodeError as exc:
            raise TokenError("token is malformed (not a JWT)") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenError(f"token is invalid: {exc}") from exc
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise TokenError("token subject is empty")
        return VerifiedToken(user_id=subject, expires_at=float(claims["exp"]))


def _read_secret(path: Path) -> str:
    secret = path.read_text(encoding="utf-8").strip()
    if not secret:
        raise ValueError(f"{path} is empty; delete it to have a new JWT secret generated")
    return secret


def load_or_create_secret(settings: Settings) -> str:
    """The JWT signing secret: ``NETRA_JWT_SECRET``, else ``<data_dir>/jwt_secret``.

    When neither exists, a new secret is generated and written with mode 0600. The file
    is written under a temporary name and hard-linked into place, so no reader ever sees a
    half-written secret and two processes starting together agree on one. The data directory
    must exist: :func:`~netra_backend.app.data_dir.prepare_data_dir` makes it (and tightens a
    loosened secret file), once, at start-up.
    """
    if settings.jwt_secret:
        return settings.jwt_secret
    data_dir = Path(settings.data_dir).expanduser()
    path = data_dir / SECRET_FILE_NAME
    if path.exists():
        return _read_secret(path)
    if not data_dir.is_dir():
        raise FileNotFoundError(
            f"data directory {data_dir} does not exist (prepare_data_dir creates it)"
        )
    secret = secrets.token_urlsafe(48)
    temporary = data_dir / f".{SECRET_FILE_NAME}.{secrets.token_hex(8)}.tmp"
    # O_EXCL + 0600 at creation: the secret is never readable by others, even briefly.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secret)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read_secret(path)
    finally:
        temporary.unlink(missing_ok=True)
    return secret
