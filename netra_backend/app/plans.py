"""Subscription plans and what each may use: the one place tiers and their run limits live.

A user's plan (``free``, ``early``, ``mid``, ``enterprise``) is stored with the account. Two
limits follow from it, both per user and per server process:

- ``concurrent_runs``: runs in flight at once;
- ``runs_per_minute``: runs started in any sliding 60-second window.

Over either, ``agent_request`` is answered with an ``error`` frame, code ``rate_limited``,
whose ``retry_after`` says when a new run would be accepted. Defaults are in
:data:`DEFAULT_PLAN_LIMITS`; each can be changed with ``NETRA_PLAN_LIMITS__<TIER>__<LIMIT>``
(``NETRA_PLAN_LIMITS__FREE__RUNS_PER_MINUTE=10``).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from netra_backend.app.errors import ProtocolError

WINDOW_SECONDS = 60.0


class Subscription(StrEnum):
    """The subscription tiers an account can have."""

    FREE = "free"
    EARLY = "early"
    MID = "mid"
    ENTERPRISE = "enterprise"


class PlanLimits(BaseModel):
    """What one plan may use."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    concurrent_runs: int = Field(ge=1, description="Runs in flight at once per user.")
    runs_per_minute: int = Field(ge=1, description="Runs started per user per 60 s.")


_DEFAULTS: dict[str, dict[str, int]] = {
    "free": {"concurrent_runs": 2, "runs_per_minute": 20},
    "early": {"concurrent_runs": 5, "runs_per_minute": 60},
    "mid": {"concurrent_runs": 10, "runs_per_minute": 240},
    "enterprise": {"concurrent_runs": 50, "runs_per_minute": 1200},
}


class PlanTable(BaseModel):
    """The limits of every plan (one field per :class:`Subscription`).

    A tier or a limit left out keeps its default, so one environment variable changes one
    number.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    free: PlanLimits = PlanLimits(**_DEFAULTS["free"])
    early: PlanLimits = PlanLimits(**_DEFAULTS["early"])
    mid: PlanLimits = PlanLimits(**_DEFAULTS["mid"])
    enterprise: PlanLimits = PlanLimits(**_DEFAULTS["enterprise"])

    @model_validator(mode="before")
    @classmethod
    def _fill_from_defaults(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {
            tier: {**_DEFAULTS[tier], **given}
            if tier in _DEFAULTS and isinstance(given, dict)
            else given
            for tier, given in value.items()
        }

    def of(self, subscription: Subscription) -> PlanLimits:
        """The limits of ``subscription``."""
        limits: PlanLimits = getattr(self, subscription.value)
        return limits

    @classmethod
    def uniform(cls, concurrent_runs: int, runs_per_minute: int) -> PlanTable:
        """The same limits for every plan (tests and benchmarks that are not about plans)."""
        limits = PlanLimits(concurrent_runs=concurrent_runs, runs_per_minute=runs_per_minute)
        return cls(**dict.fromkeys((tier.value for tier in Subscription), limits))


DEFAULT_PLAN_LIMITS = PlanTable()
"""The limits when nothing is configured (the README's table shows them)."""


class RunQuota:
    """Per-user admission by plan: concurrent runs and starts in a sliding 60 s window.

    Synchronous and clock-injected, so the arithmetic is tested without sleeping.
    """

    def __init__(self, plans: PlanTable, clock: Callable[[], float] = time.monotonic) -> None:
        self.plans = plans
        self._clock = clock
        self._starts: dict[str, deque[float]] = {}

    def admit(self, user_id: str, subscription: Subscription, active: int) -> None:
        """Count a start for ``user_id`` who has ``active`` runs in flight, or refuse it.

        Raises :class:`ProtocolError` ``rate_limited`` (with ``retry_after``) over a limit;
        a refused start is not counted.
        """
        limits = self.plans.of(subscription)
        if active >= limits.concurrent_runs:
            raise ProtocolError(
                "rate_limited",
                f"{active} runs already in flight; the {subscription.value} plan allows "
                f"{limits.concurrent_runs} at once",
                retry_after=1.0,
            )
        now = self._clock()
        starts = self._starts.setdefault(user_id, deque())
        while starts and starts[0] <= now - WINDOW_SECONDS:
            starts.popleft()
        if len(starts) >= limits.runs_per_minute:
            wait = starts[len(starts) - limits.runs_per_minute] + WINDOW_SECONDS - now
            raise ProtocolError(
                "rate_limited",
                f"{len(starts)} runs started in the last minute; the {subscription.value} "
                f"plan allows {limits.runs_per_minute} per minute",
                retry_after=round(max(wait, 0.001), 3),
            )
        starts.append(now)

    def refund(self, user_id: str) -> None:
        """Uncount ``user_id``'s last admitted start (it was refused further on)."""
        starts = self._starts.get(user_id)
        if starts:
            starts.pop()

    def forget_idle(self) -> None:
        """Drop users with no start inside the window (housekeeping; keeps memory bounded)."""
        horizon = self._clock() - WINDOW_SECONDS
        for user_id in [u for u, s in self._starts.items() if not s or s[-1] <= horizon]:
            del self._starts[user_id]
