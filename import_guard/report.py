"""Render findings as text, JSON, GitHub workflow annotations or SARIF 2.1.0, and count them.

Rule names, summaries and levels come from :data:`import_guard.rules.RULES`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from import_guard._version import __version__
from import_guard.records import Finding
from import_guard.rules import RULES

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def as_dict(f: Finding) -> dict[str, object]:
    """The JSON object of one finding."""
    return {
        "path": f.path,
        "line": f.line,
        "col": f.col,
        "end_line": f.end_line,
        "code": f.code,
        "rule": RULES[f.code].name,
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


def _artifact(path: str, base: str) -> dict[str, str]:
    """A SARIF artifactLocation: relative to ``base`` (``%SRCROOT%``) when under it, which is
    what GitHub code scanning maps to the repository; else an absolute ``file:`` URI."""
    from urllib.parse import quote  # only SARIF output needs it

    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, base)
    if rel != os.pardir and not rel.startswith(os.pardir + os.sep):
        return {"uri": quote(rel.replace(os.sep, "/")), "uriBaseId": "%SRCROOT%"}
    return {"uri": "file://" + quote(absolute.replace(os.sep, "/"))}


def sarif(findings: Iterable[Finding], base: str | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run; paths are relative to ``base`` (default: the current
    directory) where they can be."""
    from urllib.parse import quote

    root = os.path.abspath(base or os.getcwd())
    codes = list(RULES)
    results = []
    for f in findings:
        rule = RULES[f.code]
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": rule.level,
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(f.path, root),
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.col,
                            "endLine": max(f.end_line, f.line),
                        },
                    }
                }
            ],
            "properties": {"fixable": f.fixable},
        }
        if f.replacement:
            result["properties"]["replacement"] = f.replacement
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "import-guard",
                        "version": __version__,
                        "rules": [
                            {
                                "id": r.code,
                                "name": r.name,
                                "shortDescription": {"text": r.summary},
                                "defaultConfiguration": {"level": r.level},
                                "properties": {"fix": r.fix},
                            }
                            for r in RULES.values()
                        ],
                    }
                },
                "originalUriBaseIds": {
                    "%SRCROOT%": {"uri": "file://" + quote(root.replace(os.sep, "/") + "/")}
                },
                "results": results,
            }
        ],
    }


def render(findings: Iterable[Finding], fmt: str) -> str:
    """All findings in ``fmt``; text and github end with a newline unless empty."""
    items = list(findings)
    if fmt == "json":
        return json.dumps([as_dict(f) for f in items], indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif(items), indent=2) + "\n"
    if fmt == "github":
        return "".join(
            f"::error file={_gh_prop(f.path)},line={f.line},col={f.col},endLine={f.end_line},"
            f"title={_gh_prop(f.code)}::{_gh_data(f.code + ' ' + f.message)}\n"
            for f in items
        )
    return "".join(f"{f.path}:{f.line}:{f.col}: {f.code} {f.message}\n" for f in items)


def statistics(findings: Iterable[Finding]) -> list[dict[str, object]]:
    """Counts per code, most frequent first: code, rule name, count, how many are fixable."""
    counts: dict[str, list[int]] = {}
    for f in findings:
        c = counts.setdefault(f.code, [0, 0])
        c[0] += 1
        c[1] += f.fixable
    return [
        {"code": code, "rule": RULES[code].name, "count": n, "fixable": fixable}
        for code, (n, fixable) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]


def render_statistics(findings: Iterable[Finding], fmt: str) -> str:
    """``--statistics`` output: a table (text), or the counts as JSON (any other format)."""
    rows = statistics(findings)
    if fmt != "text":
        return json.dumps(rows, indent=2) + "\n"
    return "".join(
        f"{r['count']:>6}  {r['code']}  {r['rule']}"
        + (f"  ({r['fixable']} fixable)" if r["fixable"] else "")
        + "\n"
        for r in rows
    )
