"""Which top-level statements of a file ``check`` has to parse.

A file that passes the pre-filter usually holds its references in a handful of statements;
parsing all of it (``ast.parse`` of a 2,000-line module to read one import) was most of
``check``'s time. :func:`masked_text` keeps only the top-level statements holding a hot
line and blanks the rest to empty lines, so every kept node has the line and column it has
in the whole file.

A top-level statement starts at a line that begins in column 0 with something other than a
blank, a comment, a closing bracket or ``else``/``elif``/``except``/``finally``, that is not
inside a string or a comment (the pre-filter's string scan, run in the regex engine, tells)
and does not follow a backslash continuation. A line in column 0 inside an open bracket can
still pass for a start: then the kept text usually does not parse, and the caller parses the
whole file instead; when it does parse, the only nodes it can yield are expressions of that
bracket (the same dynamic-import calls; at worst a name that counts as another use of a
removed module's first segment, which withholds a fix that ``fix`` would decide on the whole
file anyway). ``fix`` plans on the same statements when the whole file parses (checked
without building its tree) and it needs no other statement: a file with a star import, or
with a top-level ``from`` import of a module names move to (a merge target), is parsed
whole.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from import_guard.prefilter import STRING_SOURCE

# What a line that can start a top-level statement does not begin with. The candidates are
# found as a newline followed by anything else: a pattern led by a literal is searched for
# with a fast scan, where ``^`` in MULTILINE mode was tried at every character (4x slower).
_NOT_START = r"[ \t\f\r\n#)\]}]|(?:else|elif|except|finally)\b"
_FIRST_LINE = re.compile(_NOT_START)
_START = re.compile(rf"\n(?!{_NOT_START})")
_CODE_RUN = re.compile(r"(?:[^\"'#]++|#[^\r\n]*+(?=[\r\n])|" + STRING_SOURCE + r")*+", re.DOTALL)
_STRING_OR_COMMENT = re.compile(r"#[^\r\n]*+|" + STRING_SOURCE, re.DOTALL)


class _Starts:
    """Decides, in ascending order of asking, whether a candidate line start is a statement
    start; the string scan runs in the regex engine from the last position known to be code."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0  # a position known to be in code
        self.unsure = False

    def is_start(self, p: int) -> bool:
        text = self.text
        if p < self.at:
            return False  # inside the string or comment found for an earlier candidate
        run = _CODE_RUN.match(text, self.at, p)
        stop = run.end() if run is not None else self.at
        if stop != p:
            token = _STRING_OR_COMMENT.match(text, stop)
            if token is None or token.end() <= p:
                self.unsure = True  # an unterminated string: past it, nothing is certain
                return False
            self.at = token.end()
            return False
        self.at = p
        return p < 2 or (text[p - 2 : p] not in ("\\\n", "\\\r") and text[p - 3 : p] != "\\\r\n")


def start_candidates(text: str) -> list[int]:
    """Offsets of the line starts (the text's start, or after a ``\n``, as ``^`` matches in
    MULTILINE mode) not beginning with what no top-level statement begins with."""
    out = [] if _FIRST_LINE.match(text) else [0]
    out.extend(m.end() for m in _START.finditer(text))
    return out


def hot_spans(text: str, hot: list[int]) -> list[tuple[int, int]] | None:
    """Merged (start, end) offsets of the top-level statements holding the offsets ``hot``
    (sorted); None when the statements cannot be told apart."""
    candidates = start_candidates(text)
    judge = _Starts(text)
    spans: list[tuple[int, int]] = []
    n = len(candidates)
    i = 0  # candidates before i are decided
    last_start = 0
    for h in hot:
        if spans and h < spans[-1][1]:
            continue
        # The statement start at or before h: the last candidate <= h that is a start.
        j = bisect_right(candidates, h)
        start = last_start
        while i < j:
            if judge.is_start(candidates[i]):
                start = candidates[i]
            i += 1
        last_start = start
        # Its end: the next candidate after h that is a start (or the end of the text).
        end = len(text)
        while i < n:
            c = candidates[i]
            i += 1
            if judge.is_start(c):
                end = c
                last_start = c
                break
        if judge.unsure:
            return None
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def masked_text(text: str, spans: list[tuple[int, int]], line_starts: list[int]) -> str:
    """``text`` with everything outside ``spans`` turned into empty lines (line numbers and
    columns of what is kept do not move); spans start at line starts."""
    parts: list[str] = []
    line = 0  # 0-based line of ``pos``
    for s, e in spans:
        first = bisect_right(line_starts, s) - 1
        parts.append("\n" * (first - line))
        parts.append(text[s:e])
        line = bisect_right(line_starts, e) - 1 if e < len(text) else first
    return "".join(parts)
