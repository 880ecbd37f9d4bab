"""The sans-I/O session core: client frames in, actions out; live events around a replay."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netra_backend.app.websocket_core.codes import CloseCode
from netra_backend.app.websocket_core.events import encode
from netra_backend.app.websocket_core.session import (
    PONG,
    CancelRun,
    Close,
    HeldEventsOverflow,
    Resume,
    Send,
    Session,
    SessionLimits,
    StartRun,
)

pytestmark = pytest.mark.unit

LIMITS = SessionLimits(
    max_message_bytes=1024,
    max_message_chars=200,
    rate_per_second=10.0,
    burst=100,
    max_held_events=1000,
)


def _session(**overrides: Any) -> Session:
    return Session(replace(LIMITS, **overrides), now=0.0)


def _event(seq: int) -> str:
    return encode({"type": "agent_thinking", "data": {"n": seq}, "run_id": "r", "seq": seq})


def _error_of(actions: list[Any]) -> dict[str, Any]:
    [action] = actions
    assert isinstance(action, Send), action
    frame: dict[str, Any] = json.loads(action.text)
    assert frame["type"] == "error", frame
    data: dict[str, Any] = frame["data"]
    return data


# --- client frames -------------------------------------------------------------------------


def test_receive_closes_with_1009_on_a_text_frame_over_the_byte_limit() -> None:
    session = _session(max_message_bytes=10)
    # 6 characters, 12 bytes: the limit counts UTF-8 bytes, not characters.
    [action] = session.receive("é" * 6, None, now=0.0)
    assert isinstance(action, Close)
    assert action.code == CloseCode.MESSAGE_TOO_BIG
    assert action.code == 1009
    assert "12 bytes" in action.reason and "10" in action.reason


def test_receive_closes_with_1009_on_a_binary_frame_over_the_byte_limit() -> None:
    session = _session(max_message_bytes=10)
    [action] = session.receive(None, b"x" * 11, now=0.0)
    assert isinstance(action, Close)
    assert action.code == 1009


def test_receive_accepts_a_frame_of_exactly_the_byte_limit() -> None:
    ping = '{"type":"ping"}'
    session = _session(max_message_bytes=len(ping))
    assert session.receive(ping, None, now=0.0) == [Send(PONG)]


def test_receive_answers_rate_limited_over_the_burst_and_recovers_with_time() -> None:
    session = _session(rate_per_second=1.0, burst=2)
    ping = '{"type":"ping"}'
    assert session.receive(ping, None, now=0.0) == [Send(PONG)]
    assert session.receive(ping, None, now=0.0) == [Send(PONG)]
    refused = _error_of(session.receive(ping, None, now=0.0))
    assert refused["code"] == "rate_limited"
    assert refused["retry_after"] == 1.0  # one frame a second, none left
    assert _error_of(session.receive(ping, None, now=0.75))["retry_after"] == 0.25
    assert session.receive(ping, None, now=1.0) == [Send(PONG)]


def test_receive_refuses_binary_frames_with_an_error() -> None:
    data = _error_of(_session().receive(None, b'{"type":"ping"}', now=0.0))
    assert data["code"] == "binary_not_supported"
    assert data["message"]


def test_receive_answers_ping_with_pong() -> None:
    [action] = _session().receive('{"type": "ping"}', None, now=0.0)
    assert isinstance(action, Send)
    assert json.loads(action.text) == {"type": "pong"}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_message"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "resume", "last_seq": -1}', "invalid_message"),
        ('{"type": "agent_request", "agent": "triage_agent"}', "invalid_message"),
    ],
)
def test_receive_answers_a_bad_frame_with_its_error_code(text: str, code: str) -> None:
    data = _error_of(_session().receive(text, None, now=0.0))
    assert data["code"] == code
    assert "request_id" not in data


def test_receive_echoes_the_request_id_of_a_bad_frame() -> None:
    text = json.dumps({"type": "agent_request", "agent": "a", "message": "", "request_id": "r-7"})
    data = _error_of(_session().receive(text, None, now=0.0))
    assert data["code"] == "invalid_message"
    assert data["request_id"] == "r-7"


def test_receive_echoes_the_request_id_of_a_message_too_long() -> None:
    text = json.dumps(
        {"type": "agent_request", "agent": "a", "message": "x" * 201, "request_id": "r-8"}
    )
    data = _error_of(_session(max_message_chars=200).receive(text, None, now=0.0))
    assert (data["code"], data["request_id"]) == ("message_too_long", "r-8")


def test_receive_turns_agent_request_into_start_run() -> None:
    text = json.dumps(
        {
            "type": "agent_request",
            "agent": "triage_agent",
            "message": "hello",
            "context": {"k": 1},
            "request_id": "req-1",
        }
    )
    [action] = _session().receive(text, None, now=0.0)
    assert isinstance(action, StartRun)
    assert action.request_id == "req-1"
    assert (action.frame.agent, action.frame.message) == ("triage_agent", "hello")
    assert dict(action.frame.context) == {"k": 1}


def test_receive_turns_cancel_run_into_cancel_run() -> None:
    actions = _session().receive('{"type": "cancel_run", "run_id": "run-9"}', None, now=0.0)
    assert actions == [CancelRun("run-9")]


def test_receive_turns_resume_into_resume() -> None:
    actions = _session().receive('{"type": "resume", "last_seq": 41}', None, now=0.0)
    assert actions == [Resume(41)]


def test_receive_refuses_a_resume_while_replaying() -> None:
    session = _session()
    session.begin_replay(0)
    data = _error_of(session.receive('{"type": "resume", "last_seq": 0}', None, now=0.0))
    assert data["code"] == "resume_in_progress"
    session.end_replay()
    assert session.receive('{"type": "resume", "last_seq": 0}', None, now=0.0) == [Resume(0)]


def test_receive_serves_other_frames_while_replaying() -> None:
    session = _session()
    session.begin_replay(0)
    assert session.receive('{"type": "ping"}', None, now=0.0) == [Send(PONG)]


# --- live events and replays ---------------------------------------------------------------


def test_live_sends_each_new_seq_once_and_skips_old_ones() -> None:
    session = _session()
    assert session.live(1, _event(1)) == _event(1)
    assert session.live(2, _event(2)) == _event(2)
    assert session.live(2, _event(2)) is None
    assert session.live(1, _event(1)) is None
    assert session.live(3, _event(3)) == _event(3)


def test_live_holds_events_back_during_a_replay() -> None:
    session = _session()
    session.begin_replay(0)
    assert session.live(1, _event(1)) is None
    assert session.live(2, _event(2)) is None


def test_end_replay_sends_resumed_then_the_held_events_not_replayed() -> None:
    session = _session()
    session.begin_replay(2)
    assert session.live(5, _event(5)) is None  # committed while the history is read
    assert session.live(6, _event(6)) is None
    assert session.replay([(3, _event(3)), (4, _event(4)), (5, _event(5))]) == [
        _event(3),
        _event(4),
        _event(5),
    ]
    frames = session.end_replay()
    assert json.loads(frames[0]) == {"type": "resumed", "data": {"last_seq": 5, "replayed": 3}}
    assert frames[1:] == [_event(6)]
    # Live again, and the seam is remembered.
    assert session.live(6, _event(6)) is None
    assert session.live(7, _event(7)) == _event(7)


def test_end_replay_of_nothing_reports_the_clients_position() -> None:
    session = _session()
    session.begin_replay(7)
    assert session.replay([]) == []
    [resumed] = session.end_replay()
    assert json.loads(resumed) == {"type": "resumed", "data": {"last_seq": 7, "replayed": 0}}


def test_replay_resends_events_that_went_out_live_before_the_resume() -> None:
    # The documented choice (module docstring, commit 6024c8d): a resume replays every
    # retained event after last_seq, also those this connection already got live.
    session = _session()
    assert session.live(4, _event(4)) == _event(4)
    assert session.live(5, _event(5)) == _event(5)
    session.begin_replay(3)
    assert session.replay([(4, _event(4)), (5, _event(5)), (6, _event(6))]) == [
        _event(4),
        _event(5),
        _event(6),
    ]
    frames = session.end_replay()
    assert json.loads(frames[0])["data"] == {"last_seq": 6, "replayed": 3}
    assert frames[1:] == []
    assert session.live(5, _event(5)) is None


def test_begin_replay_counts_replayed_per_replay() -> None:
    session = _session()
    session.begin_replay(0)
    session.replay([(1, _event(1)), (2, _event(2))])
    session.end_replay()
    session.begin_replay(2)
    session.replay([(3, _event(3))])
    [resumed] = session.end_replay()
    assert json.loads(resumed)["data"] == {"last_seq": 3, "replayed": 1}


def test_live_raises_held_events_overflow_past_the_limit() -> None:
    session = _session(max_held_events=3)
    session.begin_replay(0)
    for seq in (1, 2, 3):
        assert session.live(seq, _event(seq)) is None
    with pytest.raises(HeldEventsOverflow, match="3"):
        session.live(4, _event(4))


def test_abort_replay_sends_the_held_events_and_goes_live() -> None:
    session = _session()
    assert session.live(1, _event(1)) == _event(1)
    session.begin_replay(1)
    session.live(1, _event(1))  # a repeat: not sent again
    session.live(2, _event(2))
    session.live(3, _event(3))
    assert session.abort_replay() == [_event(2), _event(3)]
    assert session.live(4, _event(4)) == _event(4)
    # Not replaying any more: a new resume is accepted.
    assert session.receive('{"type": "resume", "last_seq": 4}', None, now=0.0) == [Resume(4)]


def test_resume_failed_frame_carries_code_message_and_position() -> None:
    frame = json.loads(Session.resume_failed("history_expired", "gone", 12))
    assert frame == {
        "type": "resume_failed",
        "data": {"code": "history_expired", "message": "gone", "last_seq": 12},
    }


# --- the seam, as a property ---------------------------------------------------------------


@st.composite
def _resume_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A user's committed seqs 1..total and what one connection sees of them.

    Live before the resume: ``first_live..c0``. The client resumes from ``last_seq``. The replay
    reads pages covering ``last_seq+1..head`` (head >= every seq committed before the replay
    began); while it runs, ``c0+1..c1`` arrive live (held), interleaved with the pages at
    random; after it, the rest arrive live. Commit and fan-out are separate steps, so a page
    may hold seqs that arrive live only later, and a held event may be past the last page.
    """
    total = draw(st.integers(0, 40))
    c0 = draw(st.integers(0, total))
    first_live = draw(st.integers(1, c0 + 1))
    last_seq = draw(st.integers(0, total))
    head = draw(st.integers(max(c0, last_seq), total))
    c1 = draw(st.integers(c0, total))
    replay = list(range(last_seq + 1, head + 1))
    cuts = sorted(draw(st.lists(st.integers(0, len(replay)), max_size=5)))
    pages = [replay[a:b] for a, b in zip([0, *cuts], [*cuts, len(replay)], strict=True)]
    held = list(range(c0 + 1, c1 + 1))
    kinds = draw(st.permutations(["page"] * len(pages) + ["live"] * len(held)))
    page_iter, held_iter = iter(pages), iter(held)  # each keeps its own order
    steps: list[tuple[str, Any]] = [
        (kind, next(page_iter if kind == "page" else held_iter)) for kind in kinds
    ]
    repeats = draw(st.booleans())  # the stream may deliver an event more than once
    return {
        "total": total,
        "before": list(range(first_live, c0 + 1)),
        "last_seq": last_seq,
        "steps": steps,
        "after": list(range(c1 + 1, total + 1)),
        "repeats": repeats,
        "head": head,
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_resume_scenarios())
def test_resume_seam_has_no_gap_and_no_repeat(scenario: dict[str, Any]) -> None:
    session = _session()
    repeat = 2 if scenario["repeats"] else 1
    before: list[str] = []
    for seq in scenario["before"]:
        for _ in range(repeat):
            out = session.live(seq, _event(seq))
            if out is not None:
                before.append(out)
    session.begin_replay(scenario["last_seq"])
    since_resume: list[str] = []
    for kind, value in scenario["steps"]:
        if kind == "page":
            since_resume += session.replay([(seq, _event(seq)) for seq in value])
        else:
            for _ in range(repeat):
                assert session.live(value, _event(value)) is None
    since_resume += session.end_replay()
    for seq in scenario["after"]:
        for _ in range(repeat):
            out = session.live(seq, _event(seq))
            if out is not None:
                since_resume.append(out)

    decoded_before = [json.loads(text) for text in before]
    assert [e["seq"] for e in decoded_before] == scenario["before"]  # live: each once, in order

    decoded = [json.loads(text) for text in since_resume]
    kinds = [e["type"] for e in decoded]
    assert kinds.count("resumed") == 1
    at = kinds.index("resumed")
    seqs = [e["seq"] for e in decoded if e["type"] != "resumed"]
    wanted = list(range(scenario["last_seq"] + 1, scenario["total"] + 1))
    assert sorted(seqs) == wanted, "every seq after last_seq exactly once since the resume"
    after_resumed = [e["seq"] for e in decoded[at + 1 :]]
    assert after_resumed == sorted(after_resumed), "ascending after resumed"
    replayed = [e["seq"] for e in decoded[:at]]
    assert replayed == list(range(scenario["last_seq"] + 1, scenario["head"] + 1))
    assert decoded[at]["data"] == {"last_seq": scenario["head"], "replayed": len(replayed)}
    # Whatever went out live before the resume is sent again at most once (by the replay).
    everything = [e["seq"] for e in decoded_before] + seqs
    assert all(everything.count(seq) <= 2 for seq in set(everything))
