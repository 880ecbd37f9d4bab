"""Worst-case time of the patterns applied to user text, on adversarial messages at the limit.

    .venv/bin/python bench/regex_worst_case.py [--repeat 3]

For each adversarial family (one short unit repeated to the maximum message length) it times
``intent_classifier``'s money pattern, the whole ``classify_intent`` and, as the baseline, the
money pattern this project shipped before (quadratic on digit-comma runs). Prints the worst
case per column; a linear pattern stays in the low milliseconds at 16,000 characters.
"""

from __future__ import annotations

import argparse
import re
import time

from netra_backend.app.agents.tools.intent_classifier import _MONEY, classify_intent
from netra_backend.app.config import Settings

OLD_MONEY = re.compile(
    r"[$€£]\s?\d[\d,]*(?:\.\d+)?\s?[km]?\b"
    r"|\b\d[\d,]*(?:\.\d+)?\s?[km]?\s?(?:usd|dollars?|eur|euros?)\b"
)
UNITS = ["1,", "1.", "$1,", "1,1.", "1 ", "11,", "1,k", "$", "1,1,1 usd", "9" * 7, "1k ", "a1,"]
OLD_LIMIT_CHARS = 4_000
"""The old pattern runs on a quarter-length message only: at full length it takes ~10 s each."""


def _best(func: object, text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        func(text)  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    limit = Settings.model_fields["max_message_chars"].default
    print(f"{'unit':<12} {'money (ms)':>11} {'classify (ms)':>14} {'old money @4k (ms)':>19}")
    worst = [0.0, 0.0, 0.0]
    for unit in UNITS:
        text = (unit * (limit // len(unit) + 1))[:limit]
        row = [
            _best(lambda t: _MONEY.sub(" ", t), text, args.repeat),
            _best(classify_intent, text, args.repeat),
            _best(lambda t: OLD_MONEY.sub(" ", t), text[:OLD_LIMIT_CHARS], 1),
        ]
        worst = [max(a, b) for a, b in zip(worst, row, strict=True)]
        print(f"{unit!r:<12} {row[0]:>11.2f} {row[1]:>14.2f} {row[2]:>19.2f}")
    print(f"{'worst':<12} {worst[0]:>11.2f} {worst[1]:>14.2f} {worst[2]:>19.2f}")
    print(f"messages of {limit} characters; old pattern on {OLD_LIMIT_CHARS} characters")


if __name__ == "__main__":
    main()
