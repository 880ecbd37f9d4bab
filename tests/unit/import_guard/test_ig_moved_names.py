"""Moved names: ``{ moved_to = "pkg.mod" }`` and ``"pkg.mod:New"``, in every import form."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from import_guard import FileResult, parse_config

pytestmark = pytest.mark.unit

# conftest's map: old.pkg.gone -> new.pkg.home; Moved -> new.pkg.moved; Renamed ->
# new.pkg.moved:Fresh; Dead removed.
Check = Callable[[str, str], FileResult]
FixText = Callable[..., str]


def test_moved_to_is_the_documented_key_and_to_its_short_spelling() -> None:
    from pathlib import Path

    table = {
        "removed": {
            "a.b": {
                "replacement": "c.d",
                "names": {"X": {"moved_to": "e.f"}, "Y": {"moved_to": "e.f:Z"}, "W": {"to": "g"}},
            }
        }
    }
    names = parse_config(table, Path(".")).removed["a.b"].names
    assert (names["X"].module, names["X"].new_name) == ("e.f", "X")
    assert (names["Y"].module, names["Y"].new_name) == ("e.f", "Z")
    assert (names["W"].module, names["W"].new_name) == ("g", "W")


def test_a_from_import_is_split_into_one_import_per_new_home(fix_text: FixText) -> None:
    before = "from old.pkg.gone import Moved, a, Renamed as R, b\n"
    assert fix_text(before) == (
        "from new.pkg.moved import Moved, Fresh as R\nfrom new.pkg.home import a, b\n"
    )


def test_attribute_uses_of_a_plain_import_are_rewritten_to_each_home(fix_text: FixText) -> None:
    before = (
        "import old.pkg.gone\n"
        "x = old.pkg.gone.Moved\n"
        "y = old.pkg.gone.Renamed()\n"
        "z = old.pkg.gone.a\n"
    )
    assert fix_text(before) == (
        "import new.pkg.home, new.pkg.moved\n"
        "x = new.pkg.moved.Moved\n"
        "y = new.pkg.moved.Fresh()\n"
        "z = new.pkg.home.a\n"
    )


def test_only_the_homes_a_file_uses_are_imported(fix_text: FixText) -> None:
    before = "def f():\n    import old.pkg.gone\n    return old.pkg.gone.Moved\n"
    assert fix_text(before) == (
        "def f():\n    import new.pkg.moved\n    return new.pkg.moved.Moved\n"
    )


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("import old.pkg.gone\nx = old.pkg.gone.Dead\n", "removed with no replacement"),
        ("import old.pkg.gone\nx = (old.pkg.gone\n     .Moved)\n", "across lines"),
        ("import old.pkg.gone as g\nx = g.Moved\n", "'g' is used for Moved"),
        ("from old.pkg import gone\nx = gone.Renamed\n", "'gone' is used for Renamed"),
        ("from old.pkg import gone as g\nx = g.Dead\n", "'g' is used for Dead"),
    ],
)
def test_uses_that_cannot_be_rewritten_safely_are_reported_with_the_reason(
    check_one: Check, fix_text: FixText, source: str, reason: str
) -> None:
    result = check_one("other/m.py", source)
    (finding,) = [f for f in result.findings if f.code == "IG001"]
    assert not finding.fixable
    assert reason in finding.message
    assert fix_text(source, "other/m.py") == source


def test_an_aliased_import_stays_fixable_when_no_moved_name_is_used_through_it(
    fix_text: FixText,
) -> None:
    before = "import old.pkg.gone as g\nx = g.a\n"
    assert fix_text(before) == "import new.pkg.home as g\nx = g.a\n"


def test_a_star_import_is_reported_with_the_names_the_file_uses(check_one: Check) -> None:
    source = (
        "import os\nfrom old.pkg.gone import *\n\ndef f(arg):\n    return Moved(a, arg, os, len)\n"
    )
    (finding,) = check_one("other/m.py", source).findings
    assert finding.names == ("Moved", "a")
    assert finding.fixable
    assert finding.replacement == "from new.pkg.home import *; from new.pkg.moved import Moved"


def test_a_star_import_keeps_the_star_and_imports_moved_names_from_their_home(
    fix_text: FixText,
) -> None:
    before = "from old.pkg.gone import *\n\nx = Renamed(a)\n"
    assert fix_text(before) == (
        "from new.pkg.home import *\nfrom new.pkg.moved import Fresh as Renamed\n\nx = Renamed(a)\n"
    )


def test_a_star_import_whose_file_uses_a_removed_name_is_not_fixable(
    check_one: Check, fix_text: FixText
) -> None:
    source = "from old.pkg.gone import *\nx = Dead()\n"
    (finding,) = check_one("other/m.py", source).findings
    assert not finding.fixable
    assert "'Dead'" in finding.message
    assert fix_text(source) == source
