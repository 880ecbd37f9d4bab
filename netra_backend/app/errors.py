"""The service's exceptions: one root, families by where they arise.

::

    NetraError
    ├── AuthError                      identity could not be established (HTTP 401 / close 4401)
    │   └── TokenError                 a JWT is missing, malformed, badly signed or expired
    ├── ConflictError                  the resource already exists (HTTP 409)
    ├── NotFoundError                  no such resource, or not the caller's (HTTP 404)
    ├── TooManyAttemptsError           too many failed logins; try again later (HTTP 429)
    ├── ProtocolError                  a client frame broke the wire protocol (an ``error`` frame)
    ├── AgentError                     an agent run failed; ``code`` goes into ``agent_failed``
    │   ├── InvalidContextError        ``context`` of an ``agent_request`` is unusable
    │   ├── AgentTimeoutError          the run (or one tool call) ran out of time
    │   ├── ProviderError              the model provider failed (``provider_*`` codes)
    │   └── RunCancelled               the user cancelled the run (``agent_cancelled``)
    ├── StorageError                   the database failed (translated at the db seam)
    └── ManagerMisuseError (also RuntimeError)
        └── CrossUserEmitError         a manager was asked to emit for another user

Every one has a stable ``code`` (a string clients may switch on) and a ``message`` (the
sentence, also ``str(exc)``); other data sits in attributes. ``http_errors.HTTP_STATUS`` maps
the families to HTTP statuses in one table.
"""

from __future__ import annotations

from typing import Any


class NetraError(Exception):
    """Root of every exception this service raises on purpose."""

    code: str = "internal_error"

    def __init__(self, message: str, *args: object) -> None:
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:
        return self.message


class AuthError(NetraError):
    """Identity could not be established."""

    code = "unauthorized"


class TokenError(AuthError):
    """A JWT is missing, malformed, wrongly signed or expired."""

    code = "invalid_token"


class ConflictError(NetraError):
    """The thing being created exists already."""

    code = "conflict"


class NotFoundError(NetraError):
    """No such resource (or not the caller's: the same answer, so ids cannot be probed)."""

    code = "not_found"


class TooManyAttemptsError(NetraError):
    """Too many failed logins for an email or from an address; ``retry_after`` in seconds."""

    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s", retry_after)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[type, tuple[int]]:
        return (type(self), (self.retry_after,))


class ProtocolError(NetraError):
    """A client frame broke the wire protocol; becomes an ``error`` frame, connection stays."""

    def __init__(self, code: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, code)
        self.code = code
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __reduce__(self) -> Any:
        return (type(self), (self.code, self.message), {"retry_after": self.retry_after})


class AgentError(NetraError):
    """An agent run failed; ``code`` and ``message`` go into the ``agent_failed`` event."""

    code = "agent_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """``{code, message}`` as sent in ``agent_failed`` and recorded with the run."""
        return {"code": self.code, "message": self.message}

    def __reduce__(self) -> Any:
        return (_agent_error, (type(self), self.message, self.code))


class InvalidContextError(AgentError):
    """The request's ``context`` is unusable; ``field`` names the offending key."""

    code = "invalid_context"

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"context.{field}: {problem}")
        self.field = field
        self.problem = problem

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (type(self), (self.field, self.problem))


class AgentTimeoutError(AgentError):
    """The run took longer than the configured timeout."""

    code = "timeout"

    def __init__(self, seconds: float, *, what: str = "the run") -> None:
        super().__init__(f"{what} did not finish within {seconds:g} s")
        self.seconds = seconds
        self.what = what

    def __reduce__(self) -> Any:
        return (_timeout_error, (self.seconds, self.what))


class RunCancelled(AgentError):
    """The user cancelled the run (``cancel_run``); it ends with ``agent_cancelled``."""

    code = "cancelled"

    def __init__(self) -> None:
        super().__init__("the run was cancelled by its user")

    def __reduce__(self) -> Any:
        return (type(self), ())


class ProviderError(AgentError):
    """A model provider failed: ``code`` is one of the ``provider_*`` run error codes.

    ``status`` is the provider's HTTP status when it answered; ``retry_after`` (seconds) is
    set when a rate-limited provider said when to come back. The message never holds the
    API key or the provider's response body.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, Any]:
        """``{code, message}`` plus ``status`` and ``retry_after`` when known."""
        out = super().as_dict()
        if self.status is not None:
            out["status"] = self.status
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after
        return out

    def __reduce__(self) -> Any:
        return (
            type(self),
            (self.code, self.message),
            {"status": self.status, "retry_after": self.retry_after},
        )


class StorageError(NetraError):
    """The database failed; the original exception is chained as ``__cause__``."""

    code = "storage_error"

    def __init__(self, operation: str) -> None:
        super().__init__(f"database operation failed: {operation}")
        self.operation = operation

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return (type(self), (self.operation,))


class ManagerMisuseError(NetraError, RuntimeError):
    """A WebSocket manager was used against its contract."""

    code = "manager_misuse"


class CrossUserEmitError(ManagerMisuseError):
    """A manager was asked to emit an event for a user other than its own."""

    code = "cross_user_emit"

    def __init__(self, manager_user_id: str, target_user_id: str) -> None:
        super().__init__(
            f"manager of user {manager_user_id!r} refused to emit for user "
            f"{target_user_id!r}: a manager only emits to its own user"
        )
        self.manager_user_id = manager_user_id
        self.target_user_id = target_user_id

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return (type(self), (self.manager_user_id, self.target_user_id))


def _timeout_error(seconds: float, what: str) -> AgentTimeoutError:
    return AgentTimeoutError(seconds, what=what)


def _agent_error(cls: type[AgentError], message: str, code: str) -> AgentError:
    error = AgentError.__new__(cls)
    AgentError.__init__(error, message, code=code)
    return error
