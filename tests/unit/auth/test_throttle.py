"""The login throttle and its sliding window, on a clock the tests step by hand."""

from __future__ import annotations

import pytest

from netra_backend.app.auth.throttle import LoginThrottle, SlidingWindowLimiter
from netra_backend.app.errors import TooManyAttemptsError

pytestmark = pytest.mark.unit


def test_sliding_window_allows_limit_events_then_says_when() -> None:
    window = SlidingWindowLimiter(3, 60.0)
    for now in (0.0, 10.0, 20.0):
        assert window.retry_after("k", now) == 0.0
        window.hit("k", now)
    assert window.retry_after("k", 30.0) == 30.0  # the first event leaves the window at 60


def test_sliding_window_slides_one_event_at_a_time() -> None:
    window = SlidingWindowLimiter(2, 60.0)
    window.hit("k", 0.0)
    window.hit("k", 50.0)
    assert window.retry_after("k", 59.9) == pytest.approx(0.1)
    assert window.retry_after("k", 60.0) == 0.0
    window.hit("k", 60.0)
    assert window.retry_after("k", 61.0) == pytest.approx(49.0)  # now bound by the 50 s one


def test_sliding_window_keys_are_independent() -> None:
    window = SlidingWindowLimiter(1, 60.0)
    window.hit("a", 0.0)
    assert window.retry_after("a", 1.0) > 0
    assert window.retry_after("b", 1.0) == 0.0


def test_sliding_window_reset_and_forget_last() -> None:
    window = SlidingWindowLimiter(2, 60.0)
    window.hit("k", 0.0)
    window.hit("k", 1.0)
    window.forget_last("k")
    assert window.retry_after("k", 2.0) == 0.0
    window.hit("k", 2.0)
    window.reset("k")
    assert window.retry_after("k", 3.0) == 0.0 and len(window) == 0


def test_sliding_window_forgets_expired_keys() -> None:
    window = SlidingWindowLimiter(5, 60.0)
    for index in range(100):
        window.hit(f"old-{index}", 0.0)
    window.hit("new", 61.0)
    assert len(window) == 1


def test_sliding_window_memory_is_bounded_by_max_keys() -> None:
    window = SlidingWindowLimiter(5, 60.0, max_keys=10)
    for index in range(1000):
        window.hit(f"k{index}", float(index) / 1000)
    assert len(window) == 10
    assert window.retry_after("k999", 1.0) == 0.0  # one event of five: still allowed


def test_sliding_window_refuses_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="limit"):
        SlidingWindowLimiter(0, 60.0)


def _throttle() -> LoginThrottle:
    return LoginThrottle.from_limits(per_email=3, per_address=5, window=300.0)


def test_login_throttle_blocks_an_email_after_its_limit_with_retry_after() -> None:
    throttle = _throttle()
    for now in (0.0, 1.0, 2.0):
        throttle.begin("ada@example.com", "10.0.0.1", now)
    with pytest.raises(TooManyAttemptsError) as refused:
        throttle.begin("ada@example.com", "10.0.0.2", 100.0)  # another address: same email
    assert refused.value.retry_after == 200
    assert refused.value.code == "too_many_attempts"
    throttle.begin("ada@example.com", "10.0.0.1", 300.0)  # the first failure has expired


def test_login_throttle_blocks_an_address_across_emails() -> None:
    throttle = _throttle()
    for index in range(5):
        throttle.begin(f"user{index}@example.com", "10.0.0.1", float(index))
    with pytest.raises(TooManyAttemptsError):
        throttle.begin("someone-else@example.com", "10.0.0.1", 10.0)
    throttle.begin("someone-else@example.com", "10.0.0.9", 10.0)


def test_login_throttle_refusal_counts_nothing() -> None:
    throttle = _throttle()
    for now in (0.0, 1.0, 2.0):
        throttle.begin("ada@example.com", "10.0.0.1", now)
    for _ in range(10):
        with pytest.raises(TooManyAttemptsError):
            throttle.begin("ada@example.com", "10.0.0.1", 3.0)
    throttle.begin("bob@example.com", "10.0.0.1", 3.0)  # the address has 4 of 5, not 14


def test_login_throttle_success_resets_the_email_and_uncounts_the_attempt() -> None:
    throttle = _throttle()
    throttle.begin("ada@example.com", "10.0.0.1", 0.0)
    throttle.begin("ada@example.com", "10.0.0.1", 1.0)
    throttle.begin("ada@example.com", "10.0.0.1", 2.0)
    throttle.succeeded("ada@example.com", "10.0.0.1")
    for now in (3.0, 4.0, 5.0):  # three fresh failures allowed again for the email
        throttle.begin("ada@example.com", "10.0.0.2", now)
    with pytest.raises(TooManyAttemptsError):
        throttle.begin("ada@example.com", "10.0.0.2", 6.0)


def test_login_throttle_abandoned_attempt_is_uncounted() -> None:
    throttle = LoginThrottle.from_limits(per_email=1, per_address=1, window=300.0)
    throttle.begin("ada@example.com", "10.0.0.1", 0.0)
    throttle.abandoned("ada@example.com", "10.0.0.1")
    throttle.begin("ada@example.com", "10.0.0.1", 1.0)


def test_too_many_attempts_error_says_when() -> None:
    assert str(TooManyAttemptsError(42)) == "too many failed logins; try again in 42 s"
