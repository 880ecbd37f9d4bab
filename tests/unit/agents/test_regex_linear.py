"""Every pattern the agents apply to user text stays linear: no input stalls the event loop.

The money pattern of ``intent_classifier`` once backtracked quadratically on "1,1,1,..." (10 s
for one 16,000-character message, on the event loop). These tests feed adversarial strings at
the longest message a client may send and check the answers; how long each takes is measured
by ``bench/regex_worst_case.py``, not asserted here.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netra_backend.app.agents.tools import aws_cost_model, intent_classifier
from netra_backend.app.agents.tools.intent_classifier import classify_intent
from netra_backend.app.config import Settings

pytestmark = pytest.mark.unit

MAX_CHARS: int = Settings.model_fields["max_message_chars"].default
# Pieces that drive backtracking patterns: digit runs, separators, currency signs, suffixes.
PIECES = ["1", "9", ",", ".", " ", "$", "€", "k", "m", "usd", "eur", "a", "_", "-", "'", "\t"]


def _money_tokens(text: str) -> int:
    return intent_classifier._MONEY.sub(" moneyamount ", text.lower()).split().count("moneyamount")


@st.composite
def adversarial_messages(draw: st.DrawFn) -> str:
    """A message of exactly the maximum length, one short pattern repeated, maybe with a tail."""
    unit = "".join(draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=6)))
    tail = "".join(draw(st.lists(st.sampled_from(PIECES), max_size=4)))
    body = unit * (MAX_CHARS // len(unit) + 1)
    return (body[: MAX_CHARS - len(tail)] + tail)[:MAX_CHARS]


@settings(max_examples=60, deadline=None)
@given(adversarial_messages())
def test_classify_intent_answers_adversarial_messages_at_the_length_limit(message: str) -> None:
    assert len(message) == MAX_CHARS
    result = classify_intent(message)
    assert result["intent"] in intent_classifier.INTENTS
    assert 0.0 <= result["confidence"] <= 1.0


@settings(max_examples=60, deadline=None)
@given(adversarial_messages())
def test_service_name_normaliser_answers_adversarial_names(name: str) -> None:
    assert isinstance(aws_cost_model._SEPARATORS.sub(" ", name), str)


def test_the_digit_comma_run_that_took_ten_seconds_is_one_clause_of_plain_tokens() -> None:
    message = "1," * (MAX_CHARS // 2)
    assert _money_tokens(message) == 0
    assert classify_intent(message)["intent"] == "general"


amounts = st.builds(
    lambda whole, groups, cents, suffix: (
        f"{whole}{''.join(f',{g:03d}' for g in groups)}"
        f"{f'.{cents:02d}' if cents is not None else ''}{suffix}"
    ),
    st.integers(1, 999),
    st.lists(st.integers(0, 999), max_size=4),
    st.none() | st.integers(0, 99),
    st.sampled_from(["", "k", "m", " k"]),
)


@given(
    amounts, st.sampled_from(["$", "€", "£", "$ "]), st.sampled_from(["", ",", ".", "/month", "!"])
)
def test_money_with_a_currency_sign_is_one_amount(amount: str, sign: str, after: str) -> None:
    assert _money_tokens(f"we pay {sign}{amount}{after} for ec2") == 1


@given(
    amounts,
    st.sampled_from(["usd", " usd", " dollars", "eur", " euros"]),
    st.sampled_from(["", ",", "."]),
)
def test_money_with_a_currency_word_is_one_amount(amount: str, unit: str, after: str) -> None:
    assert _money_tokens(f"about {amount}{unit}{after} a month") == 1


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Analyse my $10,000/month AWS bill", 1),
        ("$1,000, mostly EC2", 1),
        ("5k usd and 3 eur", 2),
        ("version 1,2,3 of the api", 0),
        ("call 555 1234 tomorrow", 0),
        ("1,000,usd", 0),  # a trailing comma ends the amount; "usd" is a word of its own
    ],
)
def test_money_pattern_examples(text: str, count: int) -> None:
    assert _money_tokens(text) == count
