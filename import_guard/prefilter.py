"""The byte-level pre-filter: can this file contain a reference at all?

Every reference spells the removed module's last name segment as a whole identifier
(``a.b.c``, ``from .c import``, ``from a.b import c``, ``import_module("a.b.c")``), so a file
whose bytes never contain that segment between non-identifier bytes cannot hold one and is
not parsed. Non-ASCII bytes count as boundaries, which can only let more files through.

A match on a line whose first non-blank character is ``#`` is inside a comment or inside a
multi-line string: never a reference either, so a file with only such matches is skipped too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def compile_prefilter(segments: Iterable[str]) -> re.Pattern[bytes]:
    """A bytes regex matching any of ``segments`` as a whole ASCII identifier."""
    alternatives = "|".join(re.escape(s) for s in sorted(set(segments), key=lambda s: (-len(s), s)))
    return re.compile(rb"(?<![A-Za-z0-9_])(?:" + alternatives.encode() + rb")(?![A-Za-z0-9_])")


def may_reference(data: bytes, segments: Iterable[bytes], pattern: re.Pattern[bytes]) -> bool:
    """Whether ``data`` can hold a reference: a whole-word segment outside a comment-only line."""
    if not any(s in data for s in segments):
        return False
    for m in pattern.finditer(data):
        pos = m.start()
        start = max(data.rfind(b"\n", 0, pos), data.rfind(b"\r", 0, pos)) + 1
        if not data[start:pos].lstrip().startswith(b"#"):
            return True
    return False
