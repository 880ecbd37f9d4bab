"""Redis mode's wiring (``NETRA_REDIS_URL``): the event log and its fan-out in Redis, the run
directory that lets ``cancel_run`` reach the instance running a run.

Run records stay in the SQL database (PostgreSQL in this mode), written in the SQL log
writer's batches; a run's record is committed before its terminal event is appended.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from netra_backend.app.agents.runtime import AgentRuntime, RunRecorder
from netra_backend.app.config import Settings
from netra_backend.app.db.redis_log import RedisEventLog, RedisKeys, translate_redis_errors
from netra_backend.app.errors import ProtocolError
from netra_backend.app.plans import DEFAULT_PLAN_LIMITS, PlanLimits, PlanTable, Subscription
from netra_backend.app.websocket_core.canonical_imports import UserEventHub
from netra_backend.app.websocket_core.redis_fanout import RedisFanout

logger = logging.getLogger(__name__)

# Admission of one run of a user, across instances. KEYS: the user's runs in flight, their
# recent starts (sorted sets, scored by expiry / start time in ms), the run's directory entry.
# ARGV: run id, concurrent limit, per-minute limit, lease ms, directory value, its ttl ms.
# Returns {0} admitted (and listed), {1} too many in flight, or {2, ms} too many this minute
# (ms until the oldest start leaves the window). One round trip per run start.
_ADMIT_RUN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return {1, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
local started = redis.call('ZCARD', KEYS[2])
local per_minute = tonumber(ARGV[3])
if started >= per_minute then
  local k = started - per_minute
  local oldest = redis.call('ZRANGE', KEYS[2], k, k, 'WITHSCORES')
  return {2, tonumber(oldest[2]) + 60000 - now}
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[4]))
redis.call('ZADD', KEYS[2], now, ARGV[1])
redis.call('PEXPIRE', KEYS[2], 61000)
redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[6])
return {0, 0}
"""

# Admission of one connection of a user, across instances. KEYS: the user's open sockets.
# ARGV: connection id, limit, lease ms. Returns 1 admitted, 0 over the limit.
_ADMIT_SOCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[3]))
return 1
"""

# Refresh leases. KEYS: sorted sets; ARGV[i]: the member in KEYS[i]; last ARGV: lease ms.
_REFRESH = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[#ARGV])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + lease, ARGV[i])
  redis.call('PEXPIRE', key, 2 * lease)
end
return #KEYS
"""


class RunDirectory:
    """Which instance runs which run (``<prefix>:run:<id>`` -> ``"<instance> <user>"``), and
    the per-user limits shared by all instances.

    Wraps the runtime's recorder: a run is listed when it is admitted and unlisted when it
    finishes; the entry expires after twice the lease, so a dead instance's runs drop out.
    """

    def __init__(
        self, client: aioredis.Redis, keys: RedisKeys, instance_id: str, ttl_seconds: float
    ) -> None:
        self._client = client
        self._keys = keys
        self.instance_id = instance_id
        self._ttl = int(ttl_seconds)
        self._lease_ms = int(ttl_seconds * 1000 / 2)
        self.inner: RunRecorder | None = None
        self._admit_run = client.register_script(_ADMIT_RUN)
        self._admit_socket = client.register_script(_ADMIT_SOCKET)
        self._refresh = client.register_script(_REFRESH)
        self._runs: dict[str, str] = {}
        """Runs admitted here: run id -> user id (their leases are refreshed)."""
        self._sockets: dict[str, str] = {}
        """Sockets admitted here: connection id -> user id."""

    def _key(self, user_id: str, kind: str) -> str:
        return f"{self._keys.prefix}:{{u:{user_id}}}:{kind}"

    async def admit_run(self, user_id: str, run_id: str, limits: PlanLimits, plan: str) -> None:
        """Count a run of ``user_id`` against their plan on every instance, or refuse it
        (``rate_limited`` with ``retry_after``)."""
        with translate_redis_errors("check the plan's run limits"):
            verdict, wait_ms = await self._admit_run(
                keys=[
                    self._key(user_id, "running"),
                    self._key(user_id, "starts"),
                    self._keys.run(run_id),
                ],
                args=[
                    run_id,
                    limits.concurrent_runs,
                    limits.runs_per_minute,
                    self._lease_ms,
                    f"{self.instance_id} {user_id}",
                    self._ttl * 1000,
                ],
            )
        if int(verdict) == 1:
            raise ProtocolError(
                "rate_limited",
                f"runs already in flight on every instance; the {plan} plan allows "
                f"{limits.concurrent_runs} at once",
                retry_after=1.0,
            )
        if int(verdict) == 2:
            raise ProtocolError(
                "rate_limited",
                f"too many runs started in the last minute; the {plan} plan allows "
                f"{limits.runs_per_minute} per minute",
                retry_after=round(max(int(wait_ms), 1) / 1000, 3),
            )
        self._runs[run_id] = user_id

    async def admit_socket(self, user_id: str, connection_id: str, limit: int) -> bool:
        """Count a socket of ``user_id`` on every instance; False when over ``limit``."""
        with translate_redis_errors("check the connection limit"):
            admitted = await self._admit_socket(
                keys=[self._key(user_id, "sockets")], args=[connection_id, limit, self._lease_ms]
            )
        if int(admitted):
            self._sockets[connection_id] = user_id
        return bool(int(admitted))

    async def release_socket(self, user_id: str, connection_id: str) -> None:
        """The socket closed: it no longer counts."""
        self._sockets.pop(connection_id, None)
        with contextlib.suppress(RedisError, OSError):
            await self._client.zrem(self._key(user_id, "sockets"), connection_id)

    async def refresh(self) -> None:
        """Extend the leases of this instance's runs and sockets (housekeeping)."""
        keys = [self._key(user, "running") for user in self._runs.values()]
        members = list(self._runs)
        keys += [self._key(user, "sockets") for user in self._sockets.values()]
        members += list(self._sockets)
        for start in range(0, len(keys), 500):
            with translate_redis_errors("refresh leases"):
                await self._refresh(
                    keys=keys[start : start + 500],
                    args=[*members[start : start + 500], self._lease_ms],
                )

    async def create(self, run_id: str, user_id: str, agent: str, request: dict[str, Any]) -> None:
        """Record the run (it was listed when it was admitted, :meth:`admit_run`)."""
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
        user_id = self._runs.pop(run_id, None)
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.delete(self._keys.run(run_id))
                if user_id is not None:
                    pipe.zrem(self._key(user_id, "running"), run_id)
                await pipe.execute()
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
    plans: PlanTable = DEFAULT_PLAN_LIMITS
    _runtime: AgentRuntime | None = None

    @classmethod
    async def connect(cls, settings: Settings) -> RedisMode:
        """Connect, adopt the epoch and start the log writer (the hub is attached next)."""
        assert settings.redis_url is not None
        # A blocking pool: at its limit a command waits for a connection (up to the statement
        # timeout). redis-py's default pool raises "Too many connections" instead, which under
        # load refused runs with storage_unavailable though Redis was fine.
        pool = aioredis.BlockingConnectionPool.from_url(
            settings.redis_url.get_secret_value(),
            max_connections=settings.redis_max_connections,
            timeout=settings.db_statement_timeout_seconds,
            socket_connect_timeout=settings.db_connect_timeout_seconds,
            socket_timeout=settings.db_statement_timeout_seconds,
        )
        client = aioredis.Redis.from_pool(pool)
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
        return cls(client, log, keys, directory, plans=settings.plan_limits)

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
        self.fanout.metrics = hub.metrics
        await self.fanout.start()

    async def admit_run(self, user_id: str, run_id: str, subscription: Subscription) -> None:
        """The runtime's shared admission: the user's plan limits across every instance."""
        limits = self.plans.of(subscription)
        await self.directory.admit_run(user_id, run_id, limits, subscription.value)

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
