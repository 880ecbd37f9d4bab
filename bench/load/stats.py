"""Percentiles and the empirical CDF of latency samples."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of already sorted samples; NaN when empty."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def latency_summary(samples_ms: Sequence[float]) -> dict[str, float | int]:
    """Count, p50, p90, p99, max of latency samples in milliseconds."""
    ordered = sorted(samples_ms)
    return {
        "n": len(ordered),
        "p50_ms": percentile(ordered, 50),
        "p90_ms": percentile(ordered, 90),
        "p99_ms": percentile(ordered, 99),
        "max_ms": float(ordered[-1]) if ordered else math.nan,
    }


def cdf_points(samples_ms: Sequence[float], points: int = 200) -> list[tuple[float, float]]:
    """At most ``points`` (latency, fraction <= it) pairs: enough to redraw the CDF."""
    ordered = sorted(samples_ms)
    if not ordered:
        return []
    step = max(1, len(ordered) // points)
    picks = list(range(step - 1, len(ordered), step))
    if picks[-1] != len(ordered) - 1:
        picks.append(len(ordered) - 1)
    return [(float(ordered[i]), (i + 1) / len(ordered)) for i in picks]
