"""The coalescing rule of ``agents/streaming.py``: 2,048 characters or 50 ms, whichever first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netra_backend.app.agents.streaming import DeltaCoalescer

pytestmark = pytest.mark.unit


def test_coalescer_holds_text_until_its_deadline() -> None:
    coalescer = DeltaCoalescer()
    assert coalescer.push("Hel", now=10.0) is None
    assert coalescer.push("lo", now=10.03) is None
    assert coalescer.deadline == pytest.approx(10.05)
    assert coalescer.waiting == 5
    assert coalescer.due(10.049) is None
    assert coalescer.due(10.05) == "Hello"
    assert coalescer.deadline is None and coalescer.waiting == 0


def test_coalescer_deadline_counts_from_the_first_waiting_piece() -> None:
    coalescer = DeltaCoalescer()
    coalescer.push("a", now=1.0)
    assert coalescer.push("b", now=1.06) == "ab"  # the piece past the deadline sends it all
    assert coalescer.push("c", now=1.07) is None
    assert coalescer.deadline == pytest.approx(1.12)


def test_coalescer_sends_at_once_when_2048_characters_wait() -> None:
    coalescer = DeltaCoalescer()
    assert coalescer.push("x" * 2047, now=0.0) is None
    assert coalescer.push("yz", now=0.001) == "x" * 2047 + "yz"
    assert coalescer.waiting == 0
    assert coalescer.push("z" * 5000, now=0.002) == "z" * 5000  # one big piece goes out whole


def test_coalescer_flush_returns_what_waits_and_empty_when_nothing() -> None:
    coalescer = DeltaCoalescer()
    assert coalescer.flush() == ""
    coalescer.push("tail", now=0.0)
    assert coalescer.flush() == "tail"
    assert coalescer.flush() == ""


def test_coalescer_ignores_empty_pieces() -> None:
    coalescer = DeltaCoalescer()
    assert coalescer.push("", now=0.0) is None
    assert coalescer.deadline is None


def test_coalescer_refuses_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        DeltaCoalescer(max_chars=0)


pieces = st.lists(
    st.tuples(st.text(max_size=300), st.floats(min_value=0, max_value=0.2)), max_size=60
)


@given(pieces, st.integers(min_value=1, max_value=4096))
def test_coalescer_deltas_add_up_to_the_text_and_respect_the_rule(
    script: list[tuple[str, float]], max_chars: int
) -> None:
    coalescer = DeltaCoalescer(max_chars=max_chars)
    now = 0.0
    sent: list[str] = []
    for text, gap in script:
        now += gap
        before = coalescer.deadline
        delta = coalescer.due(now)
        if delta is not None:
            assert before is not None and now >= before
            sent.append(delta)
        delta = coalescer.push(text, now)
        if delta is not None:
            sent.append(delta)
        # Nothing waits past its deadline, nor at or beyond the size limit.
        assert coalescer.waiting < max_chars
        deadline = coalescer.deadline
        assert deadline is None or deadline > now or coalescer.waiting == 0
    sent.append(coalescer.flush())
    assert "".join(sent) == "".join(text for text, _ in script)
    assert all(sent[:-1])  # no empty delta is ever handed out
