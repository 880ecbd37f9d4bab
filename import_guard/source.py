"""A file's bytes decoded once, with the encoding and a line index to map positions back.

Positions from :mod:`ast` are (line, UTF-8 byte column); from LibCST (line, character
column). :class:`Source` turns both into character offsets into ``text``, so edits can be
applied to the text and the result re-encoded in the file's own encoding, leaving every
other byte (line endings, BOM, coding cookie) as it was.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field
from itertools import accumulate
from operator import add

from import_guard.errors import DecodeError

# Python's tokenizer breaks lines on these three only; str.splitlines() knows many more.
_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(slots=True)
class Source:
    """Decoded text of one file plus what is needed to write it back byte-for-byte."""

    path: str
    text: str
    encoding: str
    _starts: list[int] | None = field(default=None, repr=False, compare=False)

    @property
    def line_starts(self) -> list[int]:
        """Character offset of each line's start (computed on first use)."""
        if self._starts is None:
            text = self.text
            if "\r" in text:
                starts = [0]
                starts.extend(m.end() for m in _NEWLINE.finditer(text))
            else:
                # The common case, in C: start of line i = length of lines before it + i.
                lines = text.split("\n")
                starts = list(
                    map(add, accumulate(map(len, lines[:-1]), initial=0), range(len(lines)))
                )
            self._starts = starts
        return self._starts

    def line_text(self, line: int) -> str:
        """Line ``line`` (1-based) without its line ending."""
        start = self.line_starts[line - 1]
        end = self.line_starts[line] if line < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def offset_from_bytes(self, line: int, byte_col: int) -> int:
        """Character offset of (line, UTF-8 byte column) as :mod:`ast` reports it."""
        start = self.line_starts[line - 1]
        if byte_col == 0:
            return start
        head = self.text[start : start + byte_col]
        if head.isascii():
            return start + byte_col
        return start + len(
            self.line_text(line).encode("utf-8")[:byte_col].decode("utf-8", "replace")
        )

    def offset_from_chars(self, line: int, col: int) -> int:
        """Character offset of (line, character column) as LibCST reports it."""
        return self.line_starts[line - 1] + col

    def position(self, offset: int) -> tuple[int, int]:
        """(1-based line, 0-based character column) of a character offset."""
        lo, hi = 0, len(self.line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.line_starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - self.line_starts[lo]

    def eol(self) -> str:
        """The file's first line ending, or ``\\n`` for a one-line file."""
        m = _NEWLINE.search(self.text)
        return m.group() if m else "\n"

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding)


def check_decodable(path: str, data: bytes) -> None:
    """Raise DecodeError unless ``data`` is text; cheaper than :func:`decode` (no Source)."""
    if b"\x00" in data:
        raise DecodeError(path, "contains NUL bytes, not Python source")
    if data.isascii():
        return
    decode(path, data)


def decode(path: str, data: bytes) -> Source:
    """Decode ``data`` per PEP 263 (BOM, coding cookie, default UTF-8); DecodeError if not text."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(path, f"not decodable as Python source: {exc}") from None
    if "\x00" in text:
        raise DecodeError(path, "contains NUL bytes, not Python source")
    return Source(path=path, text=text, encoding=encoding)
