"""Plans: the limits table (defaults, one-number overrides) and the per-user run quota."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from netra_backend.app.config import Settings
from netra_backend.app.errors import ProtocolError
from netra_backend.app.plans import DEFAULT_PLAN_LIMITS, PlanTable, RunQuota, Subscription

pytestmark = pytest.mark.unit

README = Path(__file__).resolve().parents[2] / "README.md"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_environment_variable_changes_one_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETRA_PLAN_LIMITS__FREE__RUNS_PER_MINUTE", "7")
    plans = Settings().plan_limits
    assert plans.free.runs_per_minute == 7
    assert plans.free.concurrent_runs == DEFAULT_PLAN_LIMITS.free.concurrent_runs
    assert plans.enterprise == DEFAULT_PLAN_LIMITS.enterprise


@pytest.mark.parametrize(
    ("name", "value", "mentions"),
    [
        ("NETRA_PLAN_LIMITS__FREE__RUNS_PER_MINUTE", "0", "plan_limits.free.runs_per_minute"),
        ("NETRA_PLAN_LIMITS__GOLD__RUNS_PER_MINUTE", "5", "plan_limits.gold"),
        ("NETRA_PLAN_LIMITS__MID__BURST", "5", "plan_limits.mid.burst"),
    ],
)
def test_a_bad_plan_setting_names_itself(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, mentions: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=re.escape(mentions)):
        Settings()


def test_readme_table_shows_the_default_limits_of_every_plan() -> None:
    text = README.read_text(encoding="utf-8")
    for tier in Subscription:
        limits = DEFAULT_PLAN_LIMITS.of(tier)
        row = f"| `{tier.value}` | {limits.concurrent_runs} | {limits.runs_per_minute} |"
        assert row in text, f"README lacks the row {row!r}"


def test_concurrent_limit_refuses_with_rate_limited_naming_the_plan() -> None:
    quota = RunQuota(PlanTable.uniform(2, 100))
    with pytest.raises(ProtocolError) as caught:
        quota.admit("u1", Subscription.MID, active=2)
    assert caught.value.code == "rate_limited"
    assert "mid plan allows 2 at once" in caught.value.message
    assert caught.value.retry_after is not None and caught.value.retry_after > 0


def test_runs_per_minute_is_a_sliding_window_and_retry_after_is_exact() -> None:
    clock = Clock()
    quota = RunQuota(PlanTable.uniform(10, 3), clock=clock)
    for at in (1000.0, 1005.0, 1015.0):
        clock.now = at
        quota.admit("u1", Subscription.FREE, active=0)
    clock.now = 1030.0
    with pytest.raises(ProtocolError) as caught:
        quota.admit("u1", Subscription.FREE, active=0)
    assert caught.value.code == "rate_limited"
    assert "3 per minute" in caught.value.message
    assert caught.value.retry_after == pytest.approx(30.0)  # when the start at 1000 leaves
    clock.now = 1060.0
    quota.admit("u1", Subscription.FREE, active=0)  # 1005, 1015, 1060 in the window now
    with pytest.raises(ProtocolError) as again:
        quota.admit("u1", Subscription.FREE, active=0)
    assert again.value.retry_after == pytest.approx(5.0)


def test_a_refused_start_is_not_counted_and_users_are_independent() -> None:
    clock = Clock()
    quota = RunQuota(PlanTable.uniform(10, 1), clock=clock)
    quota.admit("u1", Subscription.FREE, active=0)
    for _ in range(5):
        with pytest.raises(ProtocolError):
            quota.admit("u1", Subscription.FREE, active=0)
    quota.admit("u2", Subscription.FREE, active=0)  # another user has a window of their own
    clock.now += 60.0
    quota.admit("u1", Subscription.FREE, active=0)  # the refusals did not extend the window


def test_each_plan_gets_its_own_limits() -> None:
    plans = PlanTable.model_validate(
        {"free": {"runs_per_minute": 1}, "enterprise": {"runs_per_minute": 3}}
    )
    quota = RunQuota(plans, clock=Clock())
    quota.admit("f", Subscription.FREE, active=0)
    with pytest.raises(ProtocolError, match="free plan allows 1 per minute"):
        quota.admit("f", Subscription.FREE, active=0)
    for _ in range(3):
        quota.admit("e", Subscription.ENTERPRISE, active=0)


def test_forget_idle_drops_only_users_outside_the_window() -> None:
    clock = Clock()
    quota = RunQuota(PlanTable.uniform(10, 1), clock=clock)
    quota.admit("old", Subscription.FREE, active=0)
    clock.now += 61.0
    quota.admit("new", Subscription.FREE, active=0)
    quota.forget_idle()
    quota.admit("old", Subscription.FREE, active=0)  # forgotten: a fresh window
    with pytest.raises(ProtocolError):
        quota.admit("new", Subscription.FREE, active=0)  # still counted
