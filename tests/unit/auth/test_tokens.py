"""JWT issue/verify and the generated secret file."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import jwt
import pytest

from netra_backend.app.auth.tokens import TokenService, load_or_create_secret
from netra_backend.app.config import Settings
from netra_backend.app.data_dir import prepare_data_dir
from netra_backend.app.errors import AuthError, TokenError

pytestmark = pytest.mark.unit

SECRET = "s" * 48
OTHER_SECRET = "o" * 48


@pytest.fixture
def tokens() -> TokenService:
    return TokenService(SECRET, ttl_seconds=600)


def test_issue_then_verify_returns_the_user_id(tokens: TokenService) -> None:
    assert tokens.verify(tokens.issue("user-1")) == "user-1"


def test_issue_sets_sub_iat_exp_and_a_unique_jti(tokens: TokenService) -> None:
    first, second = tokens.issue("u"), tokens.issue("u")
    claims = jwt.decode(first, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "u"
    assert claims["exp"] - claims["iat"] == 600
    assert claims["jti"] != jwt.decode(second, SECRET, algorithms=["HS256"])["jti"]
    assert jwt.get_unverified_header(first)["alg"] == "HS256"


def test_verify_rejects_an_expired_token(tokens: TokenService) -> None:
    stale = tokens.issue("u", now=time.time() - 3600)
    with pytest.raises(TokenError, match="expired"):
        tokens.verify(stale)


def test_verify_rejects_a_token_signed_with_another_secret(tokens: TokenService) -> None:
    forged = TokenService(OTHER_SECRET, 600).issue("u")
    with pytest.raises(TokenError, match="signature"):
        tokens.verify(forged)


@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "....", "eyJ.eyJ.sig"])
def test_verify_rejects_garbage_as_malformed(tokens: TokenService, garbage: str) -> None:
    with pytest.raises(TokenError, match="malformed"):
        tokens.verify(garbage)


def test_verify_rejects_an_empty_token(tokens: TokenService) -> None:
    with pytest.raises(TokenError, match="missing"):
        tokens.verify("")


@pytest.mark.parametrize("claim", ["sub", "exp"])
def test_verify_requires_sub_and_exp(tokens: TokenService, claim: str) -> None:
    claims = {"sub": "u", "iat": int(time.time()), "exp": int(time.time()) + 60}
    del claims[claim]
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    with pytest.raises(TokenError, match=f"'{claim}'"):
        tokens.verify(token)


def test_verify_rejects_an_unsigned_alg_none_token(tokens: TokenService) -> None:
    token = jwt.encode({"sub": "u", "exp": int(time.time()) + 60}, None, algorithm="none")
    with pytest.raises(TokenError):
        tokens.verify(token)


def test_token_error_is_an_auth_error_with_the_reason(tokens: TokenService) -> None:
    with pytest.raises(AuthError) as caught:
        tokens.verify("garbage")
    assert isinstance(caught.value, TokenError)
    assert caught.value.code == "invalid_token"
    assert "malformed" in str(caught.value)


def test_token_service_refuses_a_short_secret() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        TokenService("short", 600)


def test_token_service_repr_hides_the_secret(tokens: TokenService) -> None:
    assert SECRET not in repr(tokens)


def test_load_or_create_secret_prefers_the_configured_secret(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", jwt_secret="configured-" + "x" * 40)
    assert load_or_create_secret(settings) == "configured-" + "x" * 40
    assert not (tmp_path / "data" / "jwt_secret").exists()


def test_load_or_create_secret_writes_a_0600_file_and_reuses_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=prepare_data_dir(tmp_path / "nested" / "data"), jwt_secret=None)
    first = load_or_create_secret(settings)
    path = tmp_path / "nested" / "data" / "jwt_secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == first
    assert len(first) >= 48
    assert load_or_create_secret(settings) == first
    # Nothing else (temporary files) is left behind.
    assert [p.name for p in path.parent.iterdir()] == ["jwt_secret"]
    TokenService(first, 60)  # long enough to sign with


def test_load_or_create_secret_differs_between_data_dirs(tmp_path: Path) -> None:
    one = load_or_create_secret(
        Settings(data_dir=prepare_data_dir(tmp_path / "a"), jwt_secret=None)
    )
    two = load_or_create_secret(
        Settings(data_dir=prepare_data_dir(tmp_path / "b"), jwt_secret=None)
    )
    assert one != two


def test_load_or_create_secret_refuses_a_missing_data_dir(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="prepare_data_dir"):
        load_or_create_secret(Settings(data_dir=tmp_path / "missing", jwt_secret=None))
    assert not (tmp_path / "missing").exists()


def test_load_or_create_secret_refuses_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "jwt_secret").write_text("")
    with pytest.raises(ValueError, match="empty"):
        load_or_create_secret(Settings(data_dir=tmp_path, jwt_secret=None))
