"""Every setting is documented: the README's configuration table names each ``NETRA_*``
variable ``Settings`` reads, and names none it does not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netra_backend.app.config import Settings

pytestmark = pytest.mark.unit

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
TESTS_ONLY = {"NETRA_BASE_URL", "NETRA_PAGE_SCREENSHOTS"}


def _configuration_table() -> str:
    start = README.index("## Configuration")
    return README[start : README.index("\n## ", start + 1)]


def test_every_setting_has_a_row_in_the_configuration_table() -> None:
    table = _configuration_table()
    missing = [
        name
        for name in (f"NETRA_{field.upper()}" for field in Settings.model_fields)
        if f"`{name}`" not in table and f"`{name}__" not in table
    ]
    assert not missing, f"not in the README's configuration table: {missing}"


def test_the_table_names_no_setting_that_does_not_exist() -> None:
    rows = [line for line in _configuration_table().splitlines() if line.startswith("| `NETRA_")]
    named = {
        name for row in rows for name in re.findall(r"`(NETRA_[A-Z_]+?)(?:__|`)", row.split("|")[1])
    }
    known = {f"NETRA_{field.upper()}" for field in Settings.model_fields} | TESTS_ONLY
    assert named and named <= known, named - known
