"""``BatchLoader``: many concurrent lookups by key, answered by one query per batch.

A connect storm (every client reconnecting after a deploy) asks for hundreds of users at
once; one ``WHERE id IN (...)`` per loop iteration replaces one round trip per connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BatchLoader(Generic[K, V]):
    """Collects the keys asked for while the event loop runs once, then fetches them together.

    ``fetch(keys)`` returns the values of the keys that exist; a missing key loads as None.
    An error of ``fetch`` is raised to every caller of that batch.
    """

    def __init__(
        self, fetch: Callable[[list[K]], Awaitable[dict[K, V]]], *, max_batch: int = 500
    ) -> None:
        self._fetch = fetch
        self._max_batch = max_batch
        self._pending: dict[K, asyncio.Future[V | None]] = {}
        self._scheduled = False

    async def load(self, key: K) -> V | None:
        """The value of ``key`` (None when it does not exist)."""
        future = self._pending.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._pending[key] = future
            if not self._scheduled:
                self._scheduled = True
                asyncio.get_running_loop().call_soon(self._flush)
        return await asyncio.shield(future)

    def _flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, {}
        keys = list(pending)
        for start in range(0, len(keys), self._max_batch):
            chunk = {key: pending[key] for key in keys[start : start + self._max_batch]}
            asyncio.get_running_loop().create_task(self._run(chunk))

    async def _run(self, chunk: dict[K, asyncio.Future[V | None]]) -> None:
        try:
            found = await self._fetch(list(chunk))
        except BaseException as exc:  # every waiter of the batch gets the error
            for future in chunk.values():
                if not future.done():
                    future.set_exception(exc)
                    future.exception()
            if not isinstance(exc, Exception):
                raise
            return
        for key, future in chunk.items():
            if not future.done():
                future.set_result(found.get(key))
