"""Redis mode's delivery: each instance subscribes to the channels of the users connected to
it (and lets go on their last disconnect), and hands each event to the hub, in ``seq`` order.

Nothing is trusted to arrive: Pub/Sub drops messages while a connection is down, so the hub
also compares every connected user's last ``seq`` in Redis with the last one delivered here
(:meth:`UserEventHub.reconcile`, every second and after each reconnect) and reads what is
missing from the user's stream. A dropped subscription is re-established by itself, with
back-off, and counted in :attr:`reconnects`.

The same connection carries this instance's control channel: ``cancel <user> <run>`` asks it
to stop a run a client asked another instance to cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from netra_backend.app.db.redis_log import RedisKeys
from netra_backend.app.metrics import Metrics, unserved

logger = logging.getLogger(__name__)

OnEvent = Callable[[str, int, str], Awaitable[None]]
OnControl = Callable[[str], Awaitable[None]]
OnReconnect = Callable[[], Awaitable[None]]


class RedisFanout:
    """One Pub/Sub connection per instance: users' channels plus this instance's control."""

    def __init__(
        self,
        client: aioredis.Redis,
        keys: RedisKeys,
        instance_id: str,
        *,
        on_event: OnEvent,
        on_control: OnControl,
        on_reconnect: OnReconnect,
    ) -> None:
        self._client = client
        self._keys = keys
        self.instance_id = instance_id
        self._on_event = on_event
        self._on_control = on_control
        self._on_reconnect = on_reconnect
        self._users: set[str] = set()
        self._channels: dict[bytes, str] = {}
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None
        self.reconnects = 0
        self.metrics: Metrics = unserved()

    async def start(self) -> None:
        """Subscribe to the control channel and start listening."""
        self._pubsub = await self._connect()
        self._task = asyncio.create_task(self._listen(), name="redis-fanout")

    async def close(self) -> None:
        """Stop listening and close the subscription."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()

    async def subscribe(self, user_id: str) -> None:
        """Receive ``user_id``'s events from now on (idempotent)."""
        if user_id in self._users:
            return
        self._users.add(user_id)
        channel = self._keys.channel(user_id)
        self._channels[channel.encode()] = user_id
        with contextlib.suppress(RedisError, OSError):  # a reconnect subscribes it again
            await self._pubsub.subscribe(channel)

    async def unsubscribe(self, user_id: str) -> None:
        """Stop receiving ``user_id``'s events (their last socket here closed)."""
        if user_id not in self._users:
            return
        self._users.discard(user_id)
        channel = self._keys.channel(user_id)
        self._channels.pop(channel.encode(), None)
        with contextlib.suppress(RedisError, OSError):
            await self._pubsub.unsubscribe(channel)

    async def _connect(self) -> Any:
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(
            self._keys.control(self.instance_id), *(self._keys.channel(u) for u in self._users)
        )
        return pubsub

    async def _listen(self) -> None:
        delay = 0.1
        control = self._keys.control(self.instance_id).encode()
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except (RedisError, OSError) as exc:
                logger.warning("Redis subscription lost (%s); reconnecting in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.aclose()
                try:
                    self._pubsub = await self._connect()
                except (RedisError, OSError):
                    continue
                self.reconnects += 1
                self.metrics.redis_reconnected()
                delay = 0.1
                logger.warning("Redis subscription re-established (reconnect %d)", self.reconnects)
                await self._guarded(self._on_reconnect())
                continue
            if message is None or message.get("type") != "message":
                continue
            channel, data = message["channel"], message["data"]
            if channel == control:
                await self._guarded(self._on_control(data.decode()))
                continue
            user_id = self._channels.get(channel)
            if user_id is None:
                continue
            seq, _, text = data.partition(b" ")
            await self._guarded(self._on_event(user_id, int(seq), text.decode()))

    @staticmethod
    async def _guarded(work: Awaitable[None]) -> None:
        # One bad message or a failed catch-up must not end the listener.
        try:
            await work
        except Exception:
            logger.exception("Redis fan-out could not handle a message")
