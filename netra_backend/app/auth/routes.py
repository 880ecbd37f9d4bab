"""HTTP routes: register, login, ``/api/me``, ``/api/runs`` and ``/api/runs/{run_id}``.

The services come from ``request.app.state.services`` (attributes ``settings``, ``db``,
``tokens``, ``users``, ``runs``). Identity comes only from a verified bearer token.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Protocol, cast

import orjson
from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

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
from netra_backend.app.auth.throttle import LoginThrottle
from netra_backend.app.auth.tokens import TokenService
from netra_backend.app.auth.users import UserRecord, UserStore, normalize_email
from netra_backend.app.db import EventStore, RunStore
from netra_backend.app.errors import AuthError, NotFoundError, TokenError


class AuthServices(Protocol):
    """What these routes need from ``app.state.services``."""

    @property
    def tokens(self) -> TokenService: ...

    @property
    def users(self) -> UserStore: ...

    @property
    def runs(self) -> RunStore: ...

    @property
    def events(self) -> EventStore: ...

    @property
    def login_throttle(self) -> LoginThrottle: ...


def services(request: Request) -> AuthServices:
    """The app's service container."""
    return cast(AuthServices, request.app.state.services)


def bearer_token_from_header(value: str | None) -> str:
    """The token in an ``Authorization: Bearer <token>`` value; ``TokenError`` otherwise."""
    if value is None or not value.strip():
        raise TokenError("missing bearer token (send 'Authorization: Bearer <token>')")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise TokenError(f"unsupported authorization scheme {scheme!r}; expected 'Bearer'")
    token = token.strip()
    if not token:
        raise TokenError("the Bearer authorization header holds no token")
    return token


# Only documents the scheme in OpenAPI (the "Authorize" button); parsing is ours, so a bad
# header gets a specific reason rather than a generic 403.
_bearer_scheme = HTTPBearer(auto_error=False)


def current_user_id(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)],
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> str:
    """The verified user id of the caller's bearer token; 401 otherwise."""
    return services(request).tokens.verify(bearer_token_from_header(authorization))


Services = Annotated[AuthServices, Depends(services)]
UserId = Annotated[str, Depends(current_user_id)]

_401: dict[int | str, dict[str, Any]] = {401: {"model": ErrorResponse}}

router = APIRouter(prefix="/api")


def _auth_response(user: UserRecord, tokens: TokenService) -> AuthResponse:
    return AuthResponse(
        user_id=user.user_id,
        email=user.email,
        subscription=user.subscription,
        token=tokens.issue(user.user_id),
        expires_in=tokens.ttl_seconds,
    )


@router.post(
    "/auth/register",
    status_code=201,
    response_model=AuthResponse,
    responses={409: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    tags=["auth"],
)
async def register(body: RegisterRequest, svc: Services) -> AuthResponse:
    """Create an account and return a token for it."""
    user = await svc.users.register(body.email, body.password, body.subscription)
    return _auth_response(user, svc.tokens)


@router.post(
    "/auth/login",
    response_model=AuthResponse,
    responses={**_401, 429: {"model": ErrorResponse}},
    tags=["auth"],
)
async def login(body: LoginRequest, request: Request, svc: Services) -> AuthResponse:
    """Exchange email and password for a token; 429 after too many failures."""
    email = normalize_email(body.email)
    address = request.client.host if request.client else "unknown"
    throttle = svc.login_throttle
    throttle.begin(email, address, time.monotonic())
    try:
        user = await svc.users.authenticate(body.email, body.password)
    except AuthError:
        raise  # a failure: it stays counted
    except BaseException:
        throttle.abandoned(email, address)
        raise
    throttle.succeeded(email, address)
    return _auth_response(user, svc.tokens)


@router.get("/me", response_model=UserOut, responses=_401, tags=["auth"])
async def me(user_id: UserId, svc: Services) -> UserOut:
    """The account the token belongs to."""
    user = await svc.users.get(user_id)
    if user is None:
        raise AuthError("the token's account no longer exists")
    return UserOut(
        user_id=user.user_id,
        email=user.email,
        subscription=user.subscription,
        created_at=user.created_at,
    )


@router.get("/runs", response_model=RunsOut, responses=_401, tags=["runs"])
async def list_runs(
    user_id: UserId,
    svc: Services,
    limit: Annotated[int, Query(ge=1, le=200, description="At most this many runs.")] = 50,
) -> RunsOut:
    """The caller's own agent runs, newest first."""
    runs = await svc.runs.list_for_user(user_id, limit=limit)
    return RunsOut(runs=[RunOut.model_validate(run) for run in runs])


@router.get(
    "/runs/{run_id}",
    response_model=RunWithEvents,
    responses={**_401, 404: {"model": ErrorResponse}},
    tags=["runs"],
)
async def get_run(
    user_id: UserId,
    svc: Services,
    run_id: Annotated[str, Path(max_length=64, description="The run's id.")],
) -> RunWithEvents:
    """One of the caller's runs with its retained events; another user's run is a 404 too."""
    run = await svc.runs.get(user_id, run_id)
    if run is None:
        raise NotFoundError(f"no run {run_id!r}")
    events = [orjson.loads(body) for body in await svc.events.run_events(user_id, run_id)]
    return RunWithEvents.model_validate({**run, "events": events})
