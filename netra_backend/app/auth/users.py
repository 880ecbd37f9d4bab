"""Accounts: registration, password login, lookup by id."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Final

from sqlalchemy import select, update

from netra_backend.app.auth.passwords import hash_password, needs_rehash, verify_password
from netra_backend.app.db import BatchLoader, Database, User
from netra_backend.app.errors import AuthError
from netra_backend.app.plans import Subscription

BAD_CREDENTIALS: Final = "invalid email or password"
"""One message for an unknown email and a wrong password, so neither can be probed."""


EMAIL_TAKEN: Final = "that email cannot be used to register; log in instead if it is yours"
"""The 409 message for a taken email; it does not echo the address."""


@cache
def _dummy_hash() -> str:
    # Checked against when the email is unknown, so that path costs as much as a wrong
    # password. Made on first use: importing this module does no hashing.
    return hash_password("not-a-real-password")


def normalize_email(email: str) -> str:
    """The stored form of an email address: trimmed and lower-cased."""
    return email.strip().lower()


@dataclass(frozen=True, slots=True)
class UserRecord:
    """An account as the rest of the service sees it (never the password hash)."""

    user_id: str
    email: str
    subscription: Subscription
    created_at: datetime

    @classmethod
    def from_model(cls, user: User) -> UserRecord:
        """The record of a loaded ``User`` row."""
        return cls(
            user_id=user.id,
            email=user.email,
            subscription=Subscription(user.subscription),
            created_at=user.created_at,
        )


class UserStore:
    """Creates and authenticates accounts. Password hashing runs off the event loop."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def register(self, email: str, password: str, subscription: Subscription) -> UserRecord:
        """Create an account; ``ConflictError`` when the email is taken (in any letter case)."""
        subscription = Subscription(subscription)  # ValueError names a tier that is not one
        address = normalize_email(email)
        password_hash = await asyncio.to_thread(hash_password, password)
        # The unique constraint on the lower-cased email decides races between two sign-ups.
        # The message does not repeat the email: a log or a shoulder need not learn it.
        async with self._db.session("register a user", on_conflict=EMAIL_TAKEN) as session:
            user = User(email=address, password_hash=password_hash, subscription=subscription.value)
            session.add(user)
            await session.flush()
            return UserRecord.from_model(user)

    async def authenticate(self, email: str, password: str) -> UserRecord:
        """The account these credentials belong to; ``AuthError`` otherwise."""
        address = normalize_email(email)
        async with self._db.session("look up a user by email") as session:
            user = await session.scalar(select(User).where(User.email == address))
        stored_hash = user.password_hash if user is not None else _dummy_hash()
        matches = await asyncio.to_thread(verify_password, password, stored_hash)
        if user is None or not matches:
            raise AuthError(BAD_CREDENTIALS)
        if needs_rehash(stored_hash):
            await self._rehash(user.id, password)
        return UserRecord.from_model(user)

    async def existing(self, user_ids: list[str]) -> dict[str, Subscription]:
        """``{user_id: subscription}`` for those of ``user_ids`` that have an account."""
        async with self._db.session("look users up") as session:
            rows = await session.execute(
                select(User.id, User.subscription).where(User.id.in_(user_ids))
            )
            return {user_id: Subscription(tier) for user_id, tier in rows}

    async def get(self, user_id: str) -> UserRecord | None:
        """The account with this id, or ``None``."""
        async with self._db.session("read a user") as session:
            user = await session.get(User, user_id)
            return UserRecord.from_model(user) if user is not None else None

    async def _rehash(self, user_id: str, password: str) -> None:
        password_hash = await asyncio.to_thread(hash_password, password)
        async with self._db.session("update a password hash") as session:
            await session.execute(
                update(User).where(User.id == user_id).values(password_hash=password_hash)
            )


class KnownUsers:
    """Users known to exist, and their plans, so a handshake or a run needs no database trip.

    A user found in the database is remembered (with their subscription) for ``ttl_seconds``;
    within that window their handshakes and runs are answered from memory, so a plan change
    takes effect within ``ttl_seconds``. Safe because the token's signature and expiry are
    still checked on every handshake, and there is no way to delete a user through this
    server; a user removed from the database by other means is refused again within
    ``ttl_seconds`` (and their open sockets live on at most until their token expires).
    """

    def __init__(
        self, users: UserStore, ttl_seconds: float = 60.0, max_entries: int = 100_000
    ) -> None:
        self._lookup = BatchLoader(users.existing)
        self._ttl = ttl_seconds
        self._max = max_entries
        self._seen: dict[str, tuple[float, Subscription]] = {}

    async def exists(self, user_id: str) -> bool:
        """Whether the user exists (from memory when checked recently)."""
        return await self.subscription(user_id) is not None

    async def subscription(self, user_id: str) -> Subscription | None:
        """The user's plan, or ``None`` when the account does not exist."""
        now = time.monotonic()
        seen = self._seen.get(user_id)
        if seen is not None and now - seen[0] < self._ttl:
            return seen[1]
        tier = await self._lookup.load(user_id)
        if tier is None:
            self._seen.pop(user_id, None)
            return None
        if len(self._seen) >= self._max:
            self._seen.clear()  # crude but bounded: the next handshakes look users up again
        self._seen[user_id] = (now, tier)
        return tier

    def forget(self, user_id: str) -> None:
        """Drop ``user_id`` from memory (its next handshake asks the database)."""
        self._seen.pop(user_id, None)
