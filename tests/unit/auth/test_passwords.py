"""argon2 password hashing."""

from __future__ import annotations

import pytest

from netra_backend.app.auth.passwords import hash_password, needs_rehash, verify_password

pytestmark = pytest.mark.unit


def test_hash_password_is_salted_argon2id() -> None:
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$")
    assert first != second
    assert "correct horse" not in first


def test_verify_password_accepts_the_right_password() -> None:
    assert verify_password("correct horse", hash_password("correct horse")) is True


def test_verify_password_returns_false_for_a_wrong_password() -> None:
    assert verify_password("wrong horse", hash_password("correct horse")) is False


@pytest.mark.parametrize("stored", ["", "plaintext", "$argon2id$v=19$garbage"])
def test_verify_password_returns_false_for_a_malformed_hash(stored: str) -> None:
    assert verify_password("anything", stored) is False


def test_needs_rehash_is_false_for_a_fresh_hash_and_true_for_weaker_or_foreign() -> None:
    assert needs_rehash(hash_password("pw-12345")) is False
    weak = "$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$qHfGs1bDG8lcxtl0dK+jUw"
    assert needs_rehash(weak) is True
    assert needs_rehash("not-a-hash") is True
