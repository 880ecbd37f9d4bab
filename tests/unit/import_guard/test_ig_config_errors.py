"""Configuration validation (errors name the key) and the exception tree."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from import_guard import (
    ConfigError,
    DecodeError,
    FindingsError,
    ImportGuardError,
    ParseError,
    SourceError,
    UsageError,
    find_config,
    load_config_file,
    parse_config,
)

pytestmark = pytest.mark.unit


def _table(module: dict[str, Any], name: str = "a.b.c") -> dict[str, Any]:
    return {"removed": {name: module}}


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"removed": {}}, "tool.import_guard.removed"),
        ({"removd": {}}, "tool.import_guard.removd"),
        (_table({}), 'tool.import_guard.removed."a.b.c".replacement'),
        (_table({"replacement": "a.b.c"}), 'tool.import_guard.removed."a.b.c".replacement'),
        (_table({"replacement": "a.b.c.inner"}), 'tool.import_guard.removed."a.b.c".replacement'),
        (_table({"replacement": "x.y", "extra": 1}), 'tool.import_guard.removed."a.b.c".extra'),
        (_table({"replacement": "not a module"}), 'tool.import_guard.removed."a.b.c".replacement'),
        (_table({"replacement": "x.y"}, name="bad name"), 'tool.import_guard.removed."bad name"'),
        (
            _table({"replacement": "x.y", "names": {"N": {"gone": "x"}}}),
            'tool.import_guard.removed."a.b.c".names.N.gone',
        ),
        (
            _table({"replacement": "x.y", "names": {"N": {}}}),
            'tool.import_guard.removed."a.b.c".names.N',
        ),
        (
            _table({"replacement": "x.y", "names": {"N": {"to": "p.m:1x"}}}),
            'tool.import_guard.removed."a.b.c".names.N.to',
        ),
        (
            _table({"replacement": "x.y", "names": {"N": {"moved_to": "a.b.c"}}}),
            'tool.import_guard.removed."a.b.c".names.N.moved_to',
        ),
        (
            _table({"replacement": "x.y", "names": {"N": {"removed": 3}}}),
            'tool.import_guard.removed."a.b.c".names.N.removed',
        ),
        (
            {"removed": {"a.b.c": {"replacement": "x.y"}}, "exclude": "*.py"},
            "tool.import_guard.exclude",
        ),
    ],
)
def test_bad_config_is_an_error_naming_the_key(
    tmp_path: Path, table: dict[str, Any], key: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(table, tmp_path)
    assert info.value.key == key
    assert key in str(info.value)
    assert info.value.exit_code == 2


def test_good_config_parses_names_and_moves(tmp_path: Path) -> None:
    cfg = parse_config(
        _table(
            {
                "replacement": "x.y",
                "names": {"A": {"removed": "why"}, "B": {"to": "p.m"}, "C": {"to": "p.m:D"}},
            }
        ),
        tmp_path,
    )
    rm = cfg.removed["a.b.c"]
    assert rm.names["A"].removed == "why"
    assert (rm.names["B"].module, rm.names["B"].new_name) == ("p.m", "B")
    assert (rm.names["C"].module, rm.names["C"].new_name) == ("p.m", "D")
    assert cfg.segments() == frozenset({"c"})


def test_find_config_walks_up_and_reports_a_missing_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.import_guard.removed."a.b"]\nreplacement = "c.d"\n'
    )
    deep = tmp_path / "x" / "y"
    deep.mkdir(parents=True)
    (deep / "pyproject.toml").write_text("[project]\nname = 'inner'\n")
    assert find_config(deep).root == tmp_path
    with pytest.raises(ConfigError) as info:
        load_config_file(deep / "pyproject.toml")
    assert info.value.key == "tool.import_guard"
    (tmp_path / "bad.toml").write_text("this is = = not toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config_file(tmp_path / "bad.toml")


@pytest.mark.parametrize(
    "exc",
    [
        ConfigError("tool.import_guard.x", "unknown key", "/p/pyproject.toml"),
        UsageError("bad flag"),
        SourceError("f.py", "cannot read"),
        DecodeError("f.py", "bad bytes", 1, 1),
        ParseError("f.py", "not valid Python: invalid syntax", 3, 7),
        FindingsError(4, 2),
    ],
)
def test_errors_are_picklable_and_keep_their_data(exc: ImportGuardError) -> None:
    copy = pickle.loads(pickle.dumps(exc))
    assert type(copy) is type(exc)
    assert str(copy) == str(exc)
    assert copy.__dict__ == exc.__dict__
    assert isinstance(copy, ImportGuardError)


def test_errors_carry_their_exit_codes() -> None:
    assert FindingsError(1, 1).exit_code == 1
    assert ConfigError("k", "r").exit_code == 2
    assert UsageError("u").exit_code == 2
    assert isinstance(UsageError("u"), RuntimeError)
    assert str(ParseError("f.py", "oops", 3, 7)) == "f.py:3:7: oops"
    assert str(FindingsError(2, 1)) == "found 2 references to removed modules in 1 file(s)"
