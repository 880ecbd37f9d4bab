"""Render findings as text, JSON or GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Iterable

from import_guard.records import Finding

FORMATS = ("text", "json", "github")


def as_dict(f: Finding) -> dict[str, object]:
    """The JSON object of one finding."""
    return {
        "path": f.path,
        "line": f.line,
        "col": f.col,
        "end_line": f.end_line,
        "code": f.code,
        "module": f.module,
        "names": list(f.names),
        "replacement": f.replacement,
        "message": f.message,
        "fixable": f.fixable,
    }


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


def render(findings: Iterable[Finding], fmt: str) -> str:
    """All findings in ``fmt``; text and github end with a newline unless empty."""
    items = list(findings)
    if fmt == "json":
        return json.dumps([as_dict(f) for f in items], indent=2) + "\n"
    if fmt == "github":
        return "".join(
            f"::error file={_gh_prop(f.path)},line={f.line},col={f.col},endLine={f.end_line},"
            f"title={_gh_prop(f.code)}::{_gh_data(f.code + ' ' + f.message)}\n"
            for f in items
        )
    return "".join(f"{f.path}:{f.line}:{f.col}: {f.code} {f.message}\n" for f in items)
