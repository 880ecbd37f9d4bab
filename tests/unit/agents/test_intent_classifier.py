"""Unit tests of the intent_classifier tool: lexicon scoring, negation, stemming, confidence."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netra_backend.app.agents.tools.intent_classifier import (
    INTENT_CLASSIFIER,
    INTENTS,
    classify_intent,
    load_lexicon,
    stem,
)

pytestmark = pytest.mark.unit

LABELLED = [
    ("Analyse my $10,000/month AWS bill on EC2, RDS and S3", "cost"),
    ("How do I reduce costs on our cloud spend?", "cost"),
    ("Our AWS bill doubled last quarter, we need to cut costs", "cost"),
    ("Is a savings plan worth it for our EC2 fleet?", "cost"),
    ("GPT-4 tokens are too expensive for our budget", "cost"),
    ("Our p95 latency is terrible and the API is too slow", "performance"),
    ("How can we improve throughput and reduce response time?", "performance"),
    ("Lambda cold starts add 800 ms to every request", "performance"),
    ("Time to first token is over two seconds", "performance"),
    ("The model keeps hallucinating wrong answers", "quality"),
    ("Our chatbot makes things up and cites irrelevant documents", "quality"),
    ("How do we measure answer quality and accuracy with evals?", "quality"),
    ("hello!", "general"),
    ("What can you do?", "general"),
    ("thanks, how does this work?", "general"),
    ("", "general"),
]


@pytest.mark.parametrize(("message", "intent"), LABELLED)
def test_labelled_messages_get_their_intent(message: str, intent: str) -> None:
    assert classify_intent(message)["intent"] == intent


def test_result_shape_and_probabilities() -> None:
    result = classify_intent("our latency is too high and it costs too much")
    assert set(result) == {
        "intent",
        "confidence",
        "suggested_agent",
        "scores",
        "evidence",
    }
    assert set(result["scores"]) == set(INTENTS)
    assert math.isclose(sum(result["scores"].values()), 1.0, abs_tol=1e-3)
    assert result["confidence"] == max(result["scores"].values())
    assert result["evidence"]["cost"] and result["evidence"]["performance"]


def test_suggested_agent_is_cost_optimizer_for_cost_and_triage_otherwise() -> None:
    assert classify_intent("cut our AWS bill")["suggested_agent"] == "cost_optimizer"
    for message in ("latency is too slow", "the answers are inaccurate", "hi"):
        assert classify_intent(message)["suggested_agent"] == "triage_agent"


def test_negation_turns_a_cue_against_its_intent() -> None:
    plain = classify_intent("it is expensive")["scores"]["cost"]
    negated = classify_intent("it is not expensive")["scores"]["cost"]
    assert negated < plain
    mixed = classify_intent("I am not worried about cost, but latency is bad")
    assert mixed["intent"] == "performance"
    assert "not cost" in mixed["evidence"]["cost"]


def test_negation_stops_at_a_clause_break() -> None:
    result = classify_intent("no problem there. the bill is huge")
    assert result["intent"] == "cost"
    assert result["evidence"]["cost"] == ["bill"]


def test_inflections_match_their_base_form() -> None:
    assert stem("costs") == stem("cost") and stem("billing") == stem("bill")
    assert stem("latencies") == stem("latency") and stem("hallucinated") == stem("hallucinating")
    assert classify_intent("billing")["intent"] == "cost"


def test_amounts_of_money_count_as_cost_evidence() -> None:
    assert "moneyamount" in classify_intent("we pay €5,000 for this")["evidence"]["cost"]
    assert "moneyamount" in classify_intent("about 12k USD")["evidence"]["cost"]


def test_more_evidence_means_more_confidence() -> None:
    one = classify_intent("slow")["confidence"]
    three = classify_intent("slow, high latency and low throughput")["confidence"]
    assert one < three


def test_no_evidence_is_general_with_low_confidence() -> None:
    result = classify_intent("zxqv blorp")
    assert result["intent"] == "general"
    assert result["confidence"] < load_lexicon().low_confidence
    assert result["evidence"] == {}


def test_non_string_message_is_refused() -> None:
    with pytest.raises(TypeError):
        classify_intent(42)  # type: ignore[arg-type]


async def test_tool_wrapper_takes_the_message_keyword() -> None:
    assert INTENT_CLASSIFIER.name == "intent_classifier"
    assert await INTENT_CLASSIFIER.invoke({"message": "hello"}) == classify_intent("hello")


def test_lexicon_routes_only_to_agents_that_exist() -> None:
    assert set(load_lexicon().agents.values()) <= {"triage_agent", "cost_optimizer"}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_a_well_formed_deterministic_result(message: str) -> None:
    result = classify_intent(message)
    assert result["intent"] in INTENTS
    assert 0.0 <= result["confidence"] <= 1.0
    assert result["confidence"] >= 1 / len(INTENTS) - 1e-4
    assert result == classify_intent(message)
