"""The event log in Redis (``NETRA_REDIS_URL``): the distributed form of the same log.

One Redis stream per user holds the exact text of each envelope under the id ``<seq>-0``; one
counter per user numbers them, so ``seq`` is one gap-free sequence per user across every
instance. An append is one Lua script, atomic in Redis: take the next ``seq``, splice it into
the envelope's text, add it to the stream (trimmed to ``NETRA_HISTORY_MAX_EVENTS``; the stream
expires ``NETRA_HISTORY_TTL_SECONDS`` after its last event), and publish ``"<seq> <text>"`` on
the user's channel. Publishing inside the script means every subscriber sees a user's events
in ``seq`` order. A per-append token makes a retried append (the reply lost with the
connection) a no-op that returns the first ``seq``.

Appends go through one writer task that pipelines whatever arrived while its last round trip
ran. While Redis is unreachable the batch is retried with back-off and :attr:`healthy` is
False (new runs are refused; events of runs already going are held, never sent unrecorded).

An epoch key (a random value set once) tells instances whether Redis still holds the log it
had: when it is gone or changed, Redis lost its data (a restart without persistence), and no
``seq`` it hands out can be trusted to continue the old ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from redis import asyncio as aioredis
from redis.exceptions import RedisError

from netra_backend.app.errors import StorageError

logger = logging.getLogger(__name__)

_TOKEN_PREFIX = uuid.uuid4().hex  # per process: an append's token is unique across instances
_tokens = itertools.count()

_APPEND = """
local seen = redis.call('GET', KEYS[3])
if seen then return tonumber(seen) end
local seq = redis.call('INCR', KEYS[1])
local body = ARGV[1] .. seq .. ARGV[2]
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], seq .. '-0', 'b', body)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('SET', KEYS[3], seq, 'EX', 3600)
redis.call('PUBLISH', ARGV[3], seq .. ' ' .. body)
return seq
"""

BATCH_MAX = 500
HIGH_WATER = 10_000
"""Queued appends beyond which callers that do not wait for their append wait for room."""
RETRY_MAX_SECONDS = 2.0


class RedisKeys:
    """Every key and channel name, under one prefix (a test run gets its own)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.epoch = f"{prefix}:epoch"

    def seq(self, user_id: str) -> str:
        return f"{self.prefix}:{{u:{user_id}}}:seq"

    def stream(self, user_id: str) -> str:
        return f"{self.prefix}:{{u:{user_id}}}:events"

    def token(self, user_id: str, token: str) -> str:
        return f"{self.prefix}:{{u:{user_id}}}:t:{token}"

    def channel(self, user_id: str) -> str:
        return f"{self.prefix}:ch:{user_id}"

    def control(self, instance: str) -> str:
        return f"{self.prefix}:ctl:{instance}"

    def run(self, run_id: str) -> str:
        return f"{self.prefix}:run:{run_id}"


@dataclass(slots=True)
class _Append:
    user_id: str
    prefix: str
    suffix: str
    # A counter under a per-process random prefix: uuid4 per append read the OS random
    # source (2.5% of the server's time under bench/redis_mode.py, measured with py-spy).
    token: str = field(default_factory=lambda: f"{_TOKEN_PREFIX}{next(_tokens):x}")
    done: asyncio.Future[int] | None = None


def split_at_seq(text: str, placeholder: str) -> tuple[str, str]:
    """``text`` around ``placeholder`` (the encoded ``seq`` sentinel), which occurs once."""
    head, sep, tail = text.partition(placeholder)
    if not sep or placeholder in tail:
        raise ValueError("the envelope must hold the seq placeholder exactly once")
    return head, tail


class RedisEventLog:
    """Appends (one writer, pipelined) and reads of the per-user event streams."""

    def __init__(
        self,
        client: aioredis.Redis,
        keys: RedisKeys,
        *,
        max_events: int = 10_000,
        ttl_seconds: float = 7 * 24 * 3600,
    ) -> None:
        self.client = client
        self.keys = keys
        self._max_events = max_events
        self._ttl_ms = int(ttl_seconds * 1000)
        self._script = client.register_script(_APPEND)
        self._queue: list[_Append] = []
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._task: asyncio.Task[None] | None = None
        self.healthy = True
        self.failures = 0
        self.epoch: str | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Adopt (or set) the epoch and start the writer."""
        self.epoch = await self.read_epoch(adopt=True)
        self._task = asyncio.create_task(self._run(), name="redis-log-writer")

    async def read_epoch(self, *, adopt: bool = False) -> str:
        """The epoch in Redis; with ``adopt``, set a new one when there is none."""
        with translate_redis_errors("read the log's epoch"):
            if adopt:
                await self.client.set(self.keys.epoch, uuid.uuid4().hex, nx=True)
            value = await self.client.get(self.keys.epoch)
        return _text(value) if value is not None else ""

    async def close(self, grace: float = 10.0) -> None:
        """Let the writer finish what is queued (within ``grace``), then stop it."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                if self._queue:
                    await self._drained.wait()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        for item in self._queue:
            if item.done is not None and not item.done.done():
                item.done.set_exception(StorageError("append to the event log: server stopped"))
        self._queue.clear()

    # --- writes ----------------------------------------------------------------------------

    def append(self, user_id: str, prefix: str, suffix: str) -> asyncio.Future[int]:
        """Queue one envelope (its text around the ``seq``); the future gets its ``seq``.

        Appends are written in the order they were queued. A failed append is retried
        until the writer stops; its future then fails with :class:`StorageError`.
        """
        if self._task is None or self._task.done():
            raise StorageError("append to the event log: the writer is not running")
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append(_Append(user_id, prefix, suffix, done=done))
        self._drained.clear()
        if len(self._queue) >= HIGH_WATER:
            self._room.clear()
        self._wake.set()
        return done

    async def wait_for_room(self) -> None:
        """Wait while more than :data:`HIGH_WATER` appends are queued."""
        if len(self._queue) >= HIGH_WATER:
            await self._room.wait()

    async def _run(self) -> None:
        delay = 0.1
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
            batch = self._queue[:BATCH_MAX]
            try:
                seqs = await self._write(batch)
            except (RedisError, OSError) as exc:
                self.healthy = False
                self.failures += 1
                logger.warning(
                    "event log (Redis) append failed, retrying in %.1f s: %s", delay, exc
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                continue
            delay = 0.1
            self.healthy = True
            del self._queue[: len(batch)]
            if not self._queue:
                self._drained.set()
            if len(self._queue) < HIGH_WATER:
                self._room.set()
            for item, seq in zip(batch, seqs, strict=True):
                if item.done is not None and not item.done.done():
                    item.done.set_result(int(seq))

    async def _write(self, batch: list[_Append]) -> list[Any]:
        async with self.client.pipeline(transaction=False) as pipe:
            for item in batch:
                await self._script(
                    keys=[
                        self.keys.seq(item.user_id),
                        self.keys.stream(item.user_id),
                        self.keys.token(item.user_id, item.token),
                    ],
                    args=[
                        item.prefix,
                        item.suffix,
                        self.keys.channel(item.user_id),
                        self._max_events,
                        self._ttl_ms,
                    ],
                    client=pipe,
                )
            return list(await pipe.execute())

    # --- reads (the EventStore interface the routes and resume use) -------------------------

    async def last_seq(self, user_id: str) -> int:
        """The user's last ``seq`` (0 before their first event)."""
        return (await self.last_seqs([user_id])).get(user_id, 0)

    async def last_seqs(self, user_ids: list[str]) -> dict[str, int]:
        """``{user_id: last seq}`` of those of ``user_ids`` that have one."""
        if not user_ids:
            return {}
        with translate_redis_errors("read users' last seq"):
            values = await self.client.mget([self.keys.seq(user) for user in user_ids])
        return {user: int(value) for user, value in zip(user_ids, values, strict=True) if value}

    async def oldest_seq(self, user_id: str) -> int | None:
        """The smallest retained ``seq`` of the user, or None when nothing is retained."""
        with translate_redis_errors("read the oldest event"):
            rows: Any = await self.client.xrange(self.keys.stream(user_id), count=1)
        return _seq_of(rows[0][0]) if rows else None

    async def page(self, user_id: str, after: int, limit: int) -> list[tuple[int, str]]:
        """Up to ``limit`` events of the user with ``seq > after``, as ``(seq, body)``."""
        with translate_redis_errors("read the event log"):
            rows: Any = await self.client.xrange(
                self.keys.stream(user_id), min=f"({after}-0", max="+", count=limit
            )
        return [(_seq_of(entry_id), _text(fields[b"b"])) for entry_id, fields in rows]

    async def run_events(self, user_id: str, run_id: str) -> list[str]:
        """The retained event bodies of one run of the user, in order."""
        bodies: list[str] = []
        after = 0
        while True:
            rows = await self.page(user_id, after, 1000)
            bodies += [body for _, body in rows if orjson.loads(body).get("run_id") == run_id]
            if len(rows) < 1000:
                return bodies
            after = rows[-1][0]

    async def users_over(self, max_events: int) -> list[tuple[str, int]]:
        """Nothing to trim by hand: every append trims its stream to the retention."""
        return []


def _seq_of(entry_id: bytes | str) -> int:
    return int(_text(entry_id).split("-", 1)[0])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@contextlib.contextmanager
def translate_redis_errors(operation: str) -> Iterator[None]:
    """The Redis seam: redis-py's (and the socket's) errors become :class:`StorageError`."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise StorageError(operation) from exc
