"""``intent_classifier``: a weighted n-gram lexicon scorer with light negation and a softmax.

Intents: ``cost``, ``performance``, ``quality``, ``general``. The lexicon, the weights, the
agent each intent routes to and the scoring settings live in ``agents/data/intent_lexicon.toml``
(its header documents the method). Steps:

1. normalise: Unicode NFKC, lower case, amounts of money become the token ``moneyamount``;
2. tokenise into words and clause breaks (punctuation, "but", "however");
3. stem lightly (``costs`` -> ``cost``, ``billing`` -> ``bill``), the same way as the lexicon;
4. match the longest lexicon phrase at each word (up to four words);
5. a match with a negation word shortly before it in the same clause counts negatively;
6. sum weights per intent, add a prior to ``general``, softmax over ``score / temperature``.

Pure and deterministic: the same message always gives the same result.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from netra_backend.app.agents.base import Tool

INTENTS = ("cost", "performance", "quality", "general")
MAX_MESSAGE_CHARS = 20_000
"""Only the first characters are read; intent is clear long before that."""

# Linear time on any input (see ``tests/unit/agents/test_regex_linear.py``). The amount is an
# atomic group (no backtracking into it) of digit groups that cannot end in a comma, and an
# amount without a currency sign may not start inside another digit run: the earlier form,
# ``\d[\d,]*`` retried from every digit of "1,1,1,...", took 10 s on 16,000 characters.
_AMOUNT = r"(?>\d+(?:,\d+)*)(?:\.\d+)?"
_MONEY = re.compile(
    rf"[$€£]\s?{_AMOUNT}\s?[km]?\b"
    rf"|\b(?<!\d)(?<!\d,){_AMOUNT}\s?[km]?\s?(?:usd|dollars?|eur|euros?)\b"
)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,;:!?()]")
_CLAUSE_WORDS = frozenset({"but", "however", "although", "though", "except"})
_NEGATORS = frozenset({"not", "no", "never", "without", "nothing", "neither", "nor", "hardly"})


@dataclass(frozen=True, slots=True)
class Lexicon:
    terms: dict[tuple[str, ...], dict[str, float]]  # stemmed phrase -> {intent: weight}
    surface: dict[tuple[str, ...], str]  # stemmed phrase -> the phrase as written in the lexicon
    max_len: int
    agents: dict[str, str]
    replies: dict[str, str]
    temperature: float
    general_prior: float
    negation_window: int
    negation_factor: float
    low_confidence: float


def stem(word: str) -> str:
    """Strip a few English suffixes so inflections meet their base form; kept deliberately light."""
    word = word.removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Load and check the lexicon data file (once per process)."""
    text = resources.files("netra_backend.app.agents").joinpath("data/intent_lexicon.toml")
    data = tomllib.loads(text.read_text(encoding="utf-8"))
    settings = data["settings"]
    terms: dict[tuple[str, ...], dict[str, float]] = {}
    surface: dict[tuple[str, ...], str] = {}
    if set(data["intents"]) != set(INTENTS):
        raise ValueError(f"intent lexicon must define exactly {INTENTS}")
    for intent, spec in data["intents"].items():
        for phrase, weight in spec["terms"].items():
            key = tuple(stem(w) for w in phrase.lower().split())
            terms.setdefault(key, {})[intent] = float(weight)
            surface[key] = phrase
    return Lexicon(
        terms=terms,
        surface=surface,
        max_len=max(len(k) for k in terms),
        agents={i: spec["agent"] for i, spec in data["intents"].items()},
        replies={i: spec["reply"] for i, spec in data["intents"].items()},
        temperature=float(settings["temperature"]),
        general_prior=float(settings["general_prior"]),
        negation_window=int(settings["negation_window"]),
        negation_factor=float(settings["negation_factor"]),
        low_confidence=float(settings["low_confidence"]),
    )


def _clauses(message: str) -> list[list[tuple[str, bool]]]:
    """Split into clauses of (stemmed word, is_negator) pairs."""
    text = unicodedata.normalize("NFKC", message[:MAX_MESSAGE_CHARS]).lower().replace("’", "'")
    text = _MONEY.sub(" moneyamount ", text)
    clauses: list[list[tuple[str, bool]]] = [[]]
    for token in _TOKEN.findall(text):
        if not token[0].isalnum() or token in _CLAUSE_WORDS:
            clauses.append([])
            continue
        negator = token in _NEGATORS or token.endswith("n't")
        clauses[-1].append((stem(token), negator))
    return [c for c in clauses if c]


def _score(message: str, lex: Lexicon) -> tuple[dict[str, float], dict[str, list[str]]]:
    scores = dict.fromkeys(INTENTS, 0.0)
    scores["general"] = lex.general_prior
    evidence: dict[str, list[str]] = {intent: [] for intent in INTENTS}
    for clause in _clauses(message):
        words = [w for w, _ in clause]
        i = 0
        while i < len(words):
            for n in range(min(lex.max_len, len(words) - i), 0, -1):
                key = tuple(words[i : i + n])
                if key in lex.terms:
                    negated = any(neg for _, neg in clause[max(0, i - lex.negation_window) : i])
                    factor = lex.negation_factor if negated else 1.0
                    for intent, weight in lex.terms[key].items():
                        scores[intent] += weight * factor
                        label = lex.surface[key]
                        evidence[intent].append(f"not {label}" if negated else label)
                    i += n
                    break
            else:
                i += 1
    return scores, evidence


def classify_intent(message: str) -> dict[str, Any]:
    """Classify ``message`` into cost, performance, quality or general.

    Returns ``{intent, confidence, suggested_agent, scores, evidence}``: ``confidence`` is the
    winning softmax probability in [0, 1], ``scores`` the probability of every intent (they sum to
    1 up to rounding) and ``evidence`` the lexicon terms matched per intent. Ties go to the intent
    listed first in ``INTENTS``.
    """
    if not isinstance(message, str):
        raise TypeError(f"message must be a string, got {type(message).__name__}")
    lex = load_lexicon()
    raw, evidence = _score(message, lex)
    top = max(raw.values())
    exps = {i: math.exp((raw[i] - top) / lex.temperature) for i in INTENTS}
    total = sum(exps.values())
    probs = {i: exps[i] / total for i in INTENTS}
    intent = max(INTENTS, key=lambda i: (probs[i], -INTENTS.index(i)))
    return {
        "intent": intent,
        "confidence": round(probs[intent], 4),
        "suggested_agent": lex.agents[intent],
        "scores": {i: round(p, 4) for i, p in probs.items()},
        "evidence": {i: terms for i, terms in evidence.items() if terms},
    }


INTENT_CLASSIFIER = Tool(
    name="intent_classifier",
    description=(
        "Classify a message's intent (cost, performance, quality, general) with a weighted "
        "n-gram lexicon; returns the intent, a softmax confidence and the matched evidence."
    ),
    func=classify_intent,
    parameters={
        "type": "object",
        "properties": {"message": {"type": "string", "description": "The text to classify."}},
        "required": ["message"],
        "additionalProperties": False,
    },
)
