"""Request and response bodies of the accounts and runs API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, EmailStr, Field

from netra_backend.app.db import RunStatus
from netra_backend.app.plans import Subscription


class RegisterRequest(BaseModel):
    """``POST /api/auth/register``."""

    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    subscription: Subscription = Subscription.FREE


class LoginRequest(BaseModel):
    """``POST /api/auth/login``. Any mismatch is a 401, so the fields are only bounded."""

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=256)


class UserOut(BaseModel):
    """``GET /api/me``."""

    user_id: str
    email: str
    subscription: Subscription
    created_at: datetime


class AuthResponse(BaseModel):
    """A successful register or login: who you are and your bearer token."""

    user_id: str
    email: str
    subscription: Subscription
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the token expires.")


class RunError(BaseModel):
    """Why a run failed."""

    code: str
    message: str


class RunOut(BaseModel):
    """One recorded agent run."""

    run_id: str
    agent: str
    status: RunStatus
    request: dict[str, Any]
    result: dict[str, Any] | None = None
    error: RunError | None = None
    started_at: datetime
    finished_at: datetime | None = None


class RunWithEvents(RunOut):
    """``GET /api/runs/{run_id}``: the run and every retained event of it, in order."""

    events: list[dict[str, Any]]


class RunsOut(BaseModel):
    """``GET /api/runs``: the caller's runs, newest first."""

    runs: list[RunOut]


class ErrorDetail(BaseModel):
    """What went wrong; ``fields`` names the offending request fields on a 422."""

    code: str
    message: str
    fields: list[str] | None = None


class ErrorResponse(BaseModel):
    """Every error body: ``{"error": {"code", "message"}}``."""

    error: ErrorDetail
