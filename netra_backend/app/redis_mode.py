"""Redis mode's wiring (``NETRA_REDIS_URL``): the event log and its fan-out in Redis, the run
directory that lets ``cancel_run`` reach the instance running a run.

Run records stay in the SQL database (PostgreSQL in this mode), written in the SQL log
writer's batches; a run's record is committed before its terminal event is appended.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from netra_backend.app.agents.runtime import AgentRuntime, RunRecorder
from netra_backend.app.config import Settings
from netra_backend.app.db.redis_log import RedisEventLog, RedisKeys
from netra_backend.app.websocket_core.canonical_imports import UserEventHub
from netra_backend.app.websocket_core.redis_fanout import RedisFanout

logger = logging.getLogger(__name__)


class RunDirectory:
    """Which instance runs which run: ``<prefix>:run:<id>`` -> ``"<instance> <user>"``.

    Wraps the runtime's recorder: a run is listed when it is created and unlisted when it
    finishes; the entry expires after twice the lease, so a dead instance's runs drop out.
    """

    def __init__(
        self, client: aioredis.Redis, keys: RedisKeys, instance_id: str, ttl_seconds: float
    ) -> None:
        self._client = client
        self._keys = keys
        self.instance_id = instance_id
        self._ttl = int(ttl_seconds)
        self.inner: RunRecorder | None = None

    async def create(self, run_id: str, user_id: str, agent: str, request: dict[str, Any]) -> None:
        """List the run, then record it."""
        try:
            await self._client.set(
                self._keys.run(run_id), f"{self.instance_id} {user_id}", ex=self._ttl
            )
        except (RedisError, OSError):
            logger.warning("could not list run %s in Redis; cancel works from here only", run_id)
        if self.inner is not None:
            await self.inner.create(run_id, user_id, agent, request)

    async def finish(
        self,
        run_id: str,
        status: str,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """Record how the run ended, then unlist it."""
        if self.inner is not None:
            await self.inner.finish(run_id, status, result, error)
        try:
            await self._client.delete(self._keys.run(run_id))
        except (RedisError, OSError):
            logger.warning("could not unlist run %s in Redis (it expires)", run_id)

    async def cancel_elsewhere(self, user_id: str, run_id: str) -> bool:
        """Ask the instance running ``user_id``'s run to cancel it; False when none does."""
        try:
            owner = await self._client.get(self._keys.run(run_id))
            if owner is None:
                return False
            instance, _, owner_user = (
                owner.decode() if isinstance(owner, bytes) else owner
            ).partition(" ")
            if owner_user != user_id or instance == self.instance_id:
                return False
            await self._client.publish(self._keys.control(instance), f"cancel {user_id} {run_id}")
        except (RedisError, OSError):
            return False
        return True


@dataclass
class RedisMode:
    """The Redis parts of one instance."""

    client: aioredis.Redis
    log: RedisEventLog
    keys: RedisKeys
    directory: RunDirectory
    fanout: RedisFanout | None = None
    _runtime: AgentRuntime | None = None

    @classmethod
    async def connect(cls, settings: Settings) -> RedisMode:
        """Connect, adopt the epoch and start the log writer (the hub is attached next)."""
        assert settings.redis_url is not None
        client = aioredis.from_url(
            settings.redis_url.get_secret_value(),
            socket_connect_timeout=settings.db_connect_timeout_seconds,
            socket_timeout=settings.db_statement_timeout_seconds,
        )
        keys = RedisKeys(settings.redis_prefix)
        instance_id = uuid.uuid4().hex[:12]
        log = RedisEventLog(
            client,
            keys,
            max_events=settings.history_max_events,
            ttl_seconds=settings.history_ttl_seconds,
        )
        await log.start()
        directory = RunDirectory(client, keys, instance_id, 2 * settings.run_lease_seconds)
        return cls(client, log, keys, directory)

    async def attach(self, hub: UserEventHub, runtime: AgentRuntime) -> None:
        """Deliver through ``hub`` and let control messages reach ``runtime``."""
        self._runtime = runtime
        self.fanout = RedisFanout(
            self.client,
            self.keys,
            self.directory.instance_id,
            on_event=hub.deliver_from_redis,
            on_control=self._control,
            on_reconnect=hub.reconcile,
        )
        hub.redis, hub.fanout = self.log, self.fanout
        await self.fanout.start()

    async def _control(self, message: str) -> None:
        verb, _, rest = message.partition(" ")
        user_id, _, run_id = rest.partition(" ")
        if verb == "cancel" and user_id and run_id and self._runtime is not None:
            await self._runtime.cancel(user_id, run_id)

    async def close(self) -> None:
        """Stop the subscription, let the writer finish, close the client."""
        if self.fanout is not None:
            await self.fanout.close()
        await self.log.close()
        await self.client.aclose()
