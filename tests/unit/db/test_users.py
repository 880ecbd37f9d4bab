"""UserStore against a real SQLite database."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from netra_backend.app.auth.users import UserStore
from netra_backend.app.db import Database, User
from netra_backend.app.errors import AuthError, ConflictError
from netra_backend.app.plans import Subscription

pytestmark = pytest.mark.unit


async def test_register_stores_a_lowercased_email_and_a_hash(database: Database) -> None:
    user = await UserStore(database).register(
        "  Carol@Example.COM ", "carol-password", Subscription.EARLY
    )
    assert user.email == "carol@example.com"
    assert user.subscription == "early"
    assert len(user.user_id) == 32 and int(user.user_id, 16) >= 0
    assert user.created_at.utcoffset() is not None
    async with database.session("test") as session:
        stored = await session.scalar(select(User.password_hash))
    assert stored is not None and stored.startswith("$argon2id$")
    assert "carol-password" not in stored


async def test_register_with_a_taken_email_in_another_case_is_a_conflict(
    database: Database,
) -> None:
    users = UserStore(database)
    await users.register("dave@example.com", "dave-password", Subscription.FREE)
    with pytest.raises(ConflictError) as conflict:
        await users.register("DAVE@Example.com", "other-password", Subscription.MID)
    assert "dave" not in str(conflict.value).lower()  # the address is not echoed


async def test_concurrent_registrations_of_one_email_let_exactly_one_win(
    database: Database,
) -> None:
    users = UserStore(database)
    outcomes = await asyncio.gather(
        users.register("eve@example.com", "eve-password-1", Subscription.FREE),
        users.register("EVE@example.com", "eve-password-2", Subscription.FREE),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["ConflictError", "UserRecord"]


async def test_register_refuses_an_unknown_subscription(database: Database) -> None:
    with pytest.raises(ValueError, match="platinum"):
        await UserStore(database).register("f@example.com", "password-f", "platinum")  # type: ignore[arg-type]


async def test_authenticate_accepts_the_password_in_any_email_case(database: Database) -> None:
    users = UserStore(database)
    registered = await users.register("gina@example.com", "gina-password", Subscription.FREE)
    assert await users.authenticate("GINA@example.com", "gina-password") == registered


async def test_authenticate_says_the_same_for_unknown_email_and_wrong_password(
    database: Database,
) -> None:
    users = UserStore(database)
    await users.register("hal@example.com", "hal-password", Subscription.FREE)
    with pytest.raises(AuthError) as wrong_password:
        await users.authenticate("hal@example.com", "not-hal-password")
    with pytest.raises(AuthError) as unknown_email:
        await users.authenticate("nobody@example.com", "hal-password")
    assert str(wrong_password.value) == str(unknown_email.value) == "invalid email or password"


async def test_get_returns_the_user_or_none(database: Database) -> None:
    users = UserStore(database)
    registered = await users.register("ivy@example.com", "ivy-password", Subscription.ENTERPRISE)
    assert await users.get(registered.user_id) == registered
    assert await users.get("0" * 32) is None
