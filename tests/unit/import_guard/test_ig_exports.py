"""The package's public surface is listed once, sorted and complete."""

from __future__ import annotations

import pytest

import import_guard

pytestmark = pytest.mark.unit


def test_all_is_sorted_and_names_only_real_attributes() -> None:
    assert import_guard.__all__ == sorted(import_guard.__all__)
    for name in import_guard.__all__:
        assert hasattr(import_guard, name), name


def test_all_lists_every_public_name_defined_at_package_level() -> None:
    public = {
        n
        for n, v in vars(import_guard).items()
        if not n.startswith("_") and not isinstance(v, type(import_guard))
    }
    public.discard("annotations")
    assert public == set(import_guard.__all__)
