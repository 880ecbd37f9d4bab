"""The byte-level pre-filter: can this file contain a reference at all?

Stage 1. Every reference spells the removed module's last name segment as a whole identifier
(``a.b.c``, ``from .c import``, ``from a.b import c``, ``import_module("a.b.c")``), so a file
whose bytes never contain that segment between non-identifier bytes cannot hold one and is
not parsed. Non-ASCII bytes count as boundaries, which can only let more files through.

Stage 2 looks at each such hit and rules it out only when it cannot be part of a reference.
A hit can be part of one only when it is

* **import-shaped**: the dotted name holding it (``a . b . c``, leading dots allowed, line
  continuations skipped) follows ``import`` or ``from``; or follows ``,`` and is followed by
  ``,``, ``)``, ``as``, ``;``, a comment, a line end or a backslash (``import x, a.b.c``,
  ``from a.b import x, c``); or is a bare name after ``(`` or at a line's start with such a
  follower (an item of a parenthesised, multi-line ``from`` import); and, on top, not inside
  a string or a comment, as a tokenizer run from the file's start up to the hit says; or
* **a dotted module path in quotes** (``"a.b.c"``, ``'.c'``): a dynamic import's argument,
  wherever its call starts (no tokenizer needed: letting a comment through is harmless).

``self.c``, ``def c(``, ``c = ...``, ``c.attr`` outside imports, and every hit inside other
strings, docstrings and comments are ruled out. Whenever the tokenizer is unsure (an
unterminated quote, a non-UTF-8 coding cookie) the file goes through: parsing is always
right, only speed is at stake here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_ASCII_IDENT = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_IDENT = _ASCII_IDENT | frozenset(range(0x80, 0x100))
_IDENT_BYTES = frozenset(bytes([c]) for c in _IDENT)
_SPACE = re.compile(rb"[ \t\f\\\r\n]+")
_DOTTED = _IDENT | {ord(".")}
_QUOTES = frozenset(b"\"'")
_BLANK = frozenset(b" \t\f")
_KEYWORDS = (b"import", b"from")
_FOLLOWERS = frozenset(b",);#\r\n\\")
_NL = frozenset(b"\r\n")

# Strings, matched whole (possessive, so an unterminated string cannot backtrack). Three quotes
# always open a triple-quoted string, never an empty string and a quote.
_STRING = (
    rb'"""(?:[^"\\]++|\\.|"(?!""))*+"""'
    rb"|'''(?:[^'\\]++|\\.|'(?!''))*+'''"
    rb'|"(?!"")(?:[^"\\\r\n]++|\\(?:\r\n|.))*+"'
    rb"|'(?!'')(?:[^'\\\r\n]++|\\(?:\r\n|.))*+'"
)
# The same, as ``str`` regex source (the statement splitter scans decoded text).
STRING_SOURCE = _STRING.decode("ascii")
_STRING_OR_COMMENT = re.compile(rb"#[^\r\n]*+|" + _STRING, re.DOTALL)
# Code, whole strings and whole comments from a code position. A comment must end at a line
# break here: cut short by ``endpos`` it would pass for code.
_CODE_RUN = re.compile(rb"(?:[^\"'#]++|#[^\r\n]*+(?=[\r\n])|" + _STRING + rb")*+", re.DOTALL)
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)


def word_pattern(segments: Iterable[str]) -> str:
    """Regex source matching any of ``segments`` as a whole ASCII identifier.

    The word comes first and its left boundary is checked by a look-behind after it: a
    pattern that starts with a look-behind cannot use the regex engine's literal-prefix
    search, and was 20 times slower on real files.
    """
    words = sorted(set(segments), key=lambda s: (-len(s), s))
    alternatives = "|".join(f"{re.escape(s)}(?<![A-Za-z0-9_]{re.escape(s)})" for s in words)
    return f"(?:{alternatives})(?![A-Za-z0-9_])"


def compile_prefilter(segments: Iterable[str]) -> re.Pattern[bytes]:
    """A bytes regex matching any of ``segments`` as a whole ASCII identifier."""
    return re.compile(word_pattern(segments).encode())


def may_reference(
    data: bytes,
    segments: Iterable[bytes],
    pattern: re.Pattern[bytes],
    *,
    screen: bool = True,
    module_may_be_removed: Callable[[str], bool] | None = None,
) -> bool:
    """Whether ``data`` can hold a reference (stage 1, then, with ``screen``, stage 2).

    ``module_may_be_removed`` gets a module name as written in an import (``a.b.c``,
    ``..c``) and says whether it can be (in) a removed module; without it, any can.
    """
    if not any(s in data for s in segments):
        return False
    tokens: _Tokens | None = None
    for m in pattern.finditer(data):
        pos, end = m.span()
        start = max(data.rfind(b"\n", 0, pos), data.rfind(b"\r", 0, pos)) + 1
        if data[start:pos].lstrip().startswith(b"#"):
            continue  # a comment, or a line inside a multi-line string
        if not screen or _quoted_path(data, pos, end):
            return True
        site = _import_site(data, pos, end)
        if site is False:
            continue
        if (
            site is not True
            and module_may_be_removed is not None
            and not module_may_be_removed(site.decode("utf-8", "replace"))
        ):
            continue
        if tokens is None:
            if not data.isascii() and _foreign_encoding(data):
                return True
            tokens = _Tokens(data)
        in_code = tokens.in_code(pos)
        if in_code is not False:  # True, or None: the tokenizer is unsure
            return True
    return False


def _foreign_encoding(data: bytes) -> bool:
    """A coding cookie other than UTF-8 (a multi-byte codec may hide quote or backslash bytes)."""
    # PEP 263: the cookie sits on one of the first two lines (any of the three line breaks).
    head = data[:4096].replace(b"\r", b"\n")
    first = head.find(b"\n")
    second = head.find(b"\n", first + 1) if first >= 0 else -1
    m = _COOKIE.search(head[: second if second >= 0 else len(head)])
    if m is None and second < 0 and len(data) > 4096:
        return True  # two very long lines: cannot tell cheaply, so let the file through
    return m is not None and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8")


class _Tokens:
    """Where strings and comments lie, found by a scan from the file's start that only goes
    as far as the positions asked for (ascending); the scan runs inside the regex engine."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0  # a position known to be in code, not inside a string or comment

    def in_code(self, pos: int) -> bool | None:
        """True in code, False inside a string or comment, None when unsure."""
        if pos < self._at:
            return False  # inside the string or comment found for an earlier position
        run = _CODE_RUN.match(self._data, self._at, pos)
        stop = run.end() if run is not None else self._at  # it always matches, maybe empty
        if stop == pos:
            self._at = pos
            return True
        token = _STRING_OR_COMMENT.match(self._data, stop)
        if token is None or token.end() <= pos:
            return None  # an unterminated string: past it, nothing is certain
        self._at = token.end()
        return False


def _skip_left(data: bytes, i: int) -> int:
    """Index after the last byte before ``i`` that is not a blank or a line continuation."""
    while i > 0:
        c = data[i - 1]
        if c in _BLANK:
            i -= 1
        elif c == 0x0A and i > 1 and data[i - 2] == 0x5C:  # backslash, newline
            i -= 2
        elif c == 0x0A and i > 2 and data[i - 2] == 0x0D and data[i - 3] == 0x5C:
            i -= 3
        elif c == 0x0D and i > 1 and data[i - 2] == 0x5C:
            i -= 2
        else:
            break
    return i


def _skip_right(data: bytes, i: int) -> int:
    n = len(data)
    while i < n and data[i] in _BLANK:
        i += 1
    return i


def _word_left(data: bytes, i: int) -> int:
    while i > 0 and data[i - 1] in _IDENT:
        i -= 1
    return i


def _keyword_before(data: bytes, j: int) -> bytes | None:
    """``import`` or ``from`` if it ends at ``j``. Only ASCII counts as a word's inside here,
    so a BOM or other non-ASCII byte before it still lets it count (harmless)."""
    for kw in _KEYWORDS:
        k = j - len(kw)
        if k >= 0 and data.startswith(kw, k) and (k == 0 or data[k - 1] not in _ASCII_IDENT):
            return kw
    return None


def _skip_right_continued(data: bytes, i: int) -> int:
    """Index of the first byte from ``i`` that is not a blank or a line continuation."""
    n = len(data)
    while i < n:
        c = data[i]
        if c in _BLANK:
            i += 1
        elif c == 0x5C and data[i + 1 : i + 3] == b"\r\n":
            i += 3
        elif c == 0x5C and data[i + 1 : i + 2] in (b"\n", b"\r"):
            i += 2
        else:
            break
    return i


def _word_right(data: bytes, i: int) -> int:
    n = len(data)
    while i < n and data[i] in _IDENT:
        i += 1
    return i


def _import_site(data: bytes, pos: int, end: int) -> bool | bytes:
    """Whether the dotted name around data[pos:end] sits where an import names a module.

    Returns the dotted name itself (leading dots kept) when it is sure to be a whole module
    name (``import a.b.c``, ``from .c import``): then it can only be a reference if that
    module is removed, which the caller can tell.
    """
    dotted = False
    keyword: bytes | None = None
    # Walk left over ``name .`` pairs and leading dots to the token before the dotted name.
    i = pos
    while True:
        j = _skip_left(data, i)
        if j == 0 or data[j - 1] != 0x2E:  # '.'
            break
        k = _skip_left(data, j - 1)
        w = _word_left(data, k)
        if w < k:
            keyword = _keyword_before(data, k)
            if keyword is not None:
                i = j - 1  # ``from .c`` / ``from . c``: the name starts at its dots
                break
            dotted, i = True, w
        else:
            i = j - 1  # a leading dot of a relative name: keep walking over dots
    start = i
    before = 0
    if keyword is None:
        j = _skip_left(data, i)
        if j > 0 and data[j - 1] in _IDENT:
            keyword = _keyword_before(data, j)
            if keyword is None:
                return False
        else:
            before = data[j - 1] if j > 0 else 0x0A
            if before not in b",(\r\n":
                return False
    # Walk right over ``. name`` pairs to the token after the dotted name.
    n = len(data)
    i = end
    while True:
        j = _skip_right(data, i)
        if j < n and data[j] == 0x2E:
            k = _skip_right(data, j + 1)
            w = _word_right(data, k)
            if w == k:
                return keyword is not None  # ``x.c.`` then no name: not a module name
            dotted, i = True, w
        else:
            break
    if keyword == b"from":
        k = _skip_right_continued(data, i)
        if data.startswith(b"import", k) and data[k + 6 : k + 7] not in _IDENT_BYTES:
            return _SPACE.sub(b"", data[start:i])
        return True
    if keyword == b"import":
        # A dotted name right after ``import`` is a whole module (``from`` lists hold bare names).
        return _SPACE.sub(b"", data[start:i]) if dotted else True
    if dotted and before != 0x2C:  # ',': only ``import x, a.b.c`` puts a dotted name there
        return False
    if j >= n or data[j] in _FOLLOWERS:
        return True
    w = _word_right(data, j)
    return data[j:w] in (b"as", b"import")


def _quoted_path(data: bytes, pos: int, end: int) -> bool:
    """Whether data[pos:end] sits in a quoted dotted module path such as ``"a.b.c"``."""
    i = pos
    while True:
        while i > 0 and data[i - 1] in _DOTTED:
            i -= 1
        # A backslash-newline inside the literal continues it; ``\\N{FULL STOP}`` spells a dot.
        if i > 1 and data[i - 1] in _NL and data[i - 2] == 0x5C:
            i -= 2
        elif i > 2 and data[i - 1] == 0x0A and data[i - 2] == 0x0D and data[i - 3] == 0x5C:
            i -= 3
        else:
            break
    if i == 0 or (data[i - 1] not in _QUOTES and data[i - 1] != 0x7D):  # '}'
        return False
    n = len(data)
    i = end
    while True:
        while i < n and data[i] in _DOTTED:
            i += 1
        if i + 1 < n and data[i] == 0x5C and data[i + 1] in _NL:
            i += 3 if data[i + 1 : i + 3] == b"\r\n" else 2
        else:
            break
    return i < n and data[i] in _QUOTES
