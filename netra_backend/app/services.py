"""The service graph one app runs on, built at start-up and closed at shut-down.

Besides wiring, this runs the housekeeping of the event log: run leases refreshed, runs whose
lease lapsed (their instance died) settled as ``interrupted`` with a terminal event in their
user's log, and the retention limits applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from netra_backend.app.agents.optional import enable_assistant
from netra_backend.app.agents.plugins import load_plugins
from netra_backend.app.agents.registry import AgentRegistry, default_registry
from netra_backend.app.agents.runtime import AgentRuntime
from netra_backend.app.auth import (
    KnownUsers,
    LoginThrottle,
    TokenService,
    UserStore,
    load_or_create_secret,
)
from netra_backend.app.config import Settings
from netra_backend.app.data_dir import prepare_data_dir
from netra_backend.app.db import (
    Database,
    EventLogWriter,
    EventStore,
    RunRecords,
    RunStore,
    lease_deadline,
)
from netra_backend.app.db.conversations import ConversationStore
from netra_backend.app.db.redis_log import RedisEventLog
from netra_backend.app.db.runs import INTERRUPTED
from netra_backend.app.errors import StorageError
from netra_backend.app.metrics import Metrics
from netra_backend.app.redis_mode import RedisMode
from netra_backend.app.websocket_core.canonical_imports import EventType, UserEventHub
from netra_backend.app.websocket_core.codes import CloseCode

logger = logging.getLogger(__name__)

ORPHAN_GRACE = timedelta(minutes=1)
CHECKPOINT_SECONDS = 1.0
"""How often SQLite's write-ahead log is checkpointed (the log writer never does it)."""
RECONCILE_SECONDS = 1.0
"""Redis mode: how often connected users' deliveries are checked against Redis (a message
the subscription missed arrives at most this late)."""


async def settle_orphaned_runs(
    runs: RunStore, hub: UserEventHub, db: Database, settings: Settings, *, at_start: bool
) -> int:
    """Fail runs that a dead server left ``running``; each gets a terminal ``agent_failed``.

    A SQLite file has one server, so at start-up every ``running`` run is an orphan, unless
    Redis mode shares it between workers (``--workers N``: each worker starts on its own, and
    must not fail the runs of those already serving). On a shared database a run is an orphan
    once its lease has lapsed (nobody refreshes it); a run without a lease (recorded before
    leases) once it is older than the agent timeout plus a grace minute.
    """
    if at_start and db.dialect == "sqlite" and settings.redis_url is None:
        orphans = await runs.claim_orphans()
    else:
        cutoff = (
            datetime.now(UTC) - timedelta(seconds=settings.agent_timeout_seconds) - ORPHAN_GRACE
        )
        orphans = await runs.claim_orphans(lease_lapsed=True, started_before=cutoff)
    for orphan in orphans:
        data = {"agent": orphan["agent"], "request_id": orphan["request_id"], "error": INTERRUPTED}
        await hub.publish(orphan["user_id"], EventType.AGENT_FAILED, data, orphan["run_id"])
    if orphans:
        logger.warning("settled %d runs a stopped server left running", len(orphans))
    return len(orphans)


@dataclass
class Services:
    """Everything routes need, reachable as ``app.state.services``."""

    settings: Settings
    db: Database
    tokens: TokenService
    users: UserStore
    known_users: KnownUsers
    runs: RunStore
    events: EventStore | RedisEventLog
    log: EventLogWriter
    hub: UserEventHub
    registry: AgentRegistry
    runtime: AgentRuntime
    login_throttle: LoginThrottle
    redis: RedisMode | None = None
    metrics: Metrics = field(default_factory=Metrics)
    _housekeeping: asyncio.Task[None] | None = field(default=None, repr=False)

    @classmethod
    async def start(cls, settings: Settings, registry: AgentRegistry | None = None) -> Services:
        """Make the data directory private, open the database (migrated), start the log
        writer, settle orphans, wire the rest."""
        prepare_data_dir(settings.data_dir, settings.resolved_database_url)
        db = Database(
            settings.resolved_database_url,
            connect_timeout=settings.db_connect_timeout_seconds,
            statement_timeout=settings.db_statement_timeout_seconds,
        )
        await db.migrate()
        redis = await RedisMode.connect(settings) if settings.redis_url is not None else None
        events: EventStore | RedisEventLog = EventStore(db) if redis is None else redis.log
        hub = UserEventHub(store=events)
        log = EventLogWriter(db, on_commit=hub.deliver)
        hub.log = log
        log.start()
        runs = RunStore(db)
        registry = registry if registry is not None else default_registry()
        load_plugins(registry, settings)
        recorder = RunRecords(log, settings.run_lease_seconds)
        runtime = AgentRuntime(
            registry,
            hub.publish,
            recorder=recorder if redis is None else redis.directory,
            timeout_seconds=settings.agent_timeout_seconds,
            tool_timeout_seconds=settings.tool_timeout_seconds,
            plans=settings.plan_limits,
            max_runs_in_flight=settings.max_runs_in_flight,
            storage_ready=(
                (lambda: log.healthy)
                if redis is None
                else (lambda: log.healthy and redis.log.healthy)
            ),
            admission=None if redis is None else redis.admit_run,
        )
        enable_assistant(registry, settings, ConversationStore(db, before_read=log.flush))
        metrics = hub.metrics = log.metrics = runtime.metrics = Metrics()
        if redis is not None:
            redis.directory.inner = recorder
            await redis.attach(hub, runtime)
        await settle_orphaned_runs(runs, hub, db, settings, at_start=True)
        users = UserStore(db)
        services = cls(
            settings=settings,
            db=db,
            tokens=TokenService(load_or_create_secret(settings), settings.jwt_ttl_seconds),
            users=users,
            known_users=KnownUsers(users),
            runs=runs,
            events=events,
            log=log,
            hub=hub,
            registry=registry,
            runtime=runtime,
            login_throttle=LoginThrottle.from_limits(
                settings.login_max_failures_per_email,
                settings.login_max_failures_per_address,
                settings.login_window_seconds,
            ),
            redis=redis,
            metrics=metrics,
        )
        services._housekeeping = asyncio.create_task(services._keep_house(), name="housekeeping")
        return services

    async def _keep_house(self) -> None:
        lease = self.settings.run_lease_seconds
        every = {
            "lease": lease / 3,
            "orphans": lease,
            "trim": self.settings.history_trim_interval_seconds,
            "checkpoint": CHECKPOINT_SECONDS,
            "users": self.settings.user_recheck_seconds,
            "reconcile": RECONCILE_SECONDS,
        }
        due = {job: time.monotonic() + interval for job, interval in every.items()}
        while True:
            await asyncio.sleep(max(0.0, min(due.values()) - time.monotonic()))
            now = time.monotonic()
            for job in [job for job, at in due.items() if at <= now]:
                due[job] = now + every[job]
                try:
                    if job == "lease":
                        self.log.refresh_leases(self.runtime.run_ids(), lease_deadline(lease))
                        if self.redis is not None:
                            await self.redis.directory.refresh()
                    elif job == "checkpoint":
                        await self.db.checkpoint()
                    elif job == "reconcile":
                        await self.hub.reconcile()
                    elif job == "users":
                        self.runtime.quota.forget_idle()
                        await self.close_sockets_of_removed_users()
                    elif job == "orphans":
                        await settle_orphaned_runs(
                            self.runs, self.hub, self.db, self.settings, at_start=False
                        )
                    else:
                        await self.trim_history()
                except StorageError:
                    logger.warning("housekeeping (%s) skipped: the database is unavailable", job)
                except Exception:
                    logger.exception("housekeeping (%s) failed; it runs again next time", job)

    async def close_sockets_of_removed_users(self) -> int:
        """Close (4401) the open sockets of connected users whose account no longer exists."""
        connected = self.hub.connected_users()
        gone: list[str] = []
        for start in range(0, len(connected), 500):
            chunk = connected[start : start + 500]
            existing = await self.users.existing(chunk)
            gone += [user for user in chunk if user not in existing]
        for user in gone:
            self.known_users.forget(user)
            self.hub.disconnect_user(user, CloseCode.UNAUTHORIZED, "the account no longer exists")
        if gone:
            logger.warning("closed the sockets of %d users whose account is gone", len(gone))
        return len(gone)

    async def trim_history(self) -> None:
        """Apply ``NETRA_HISTORY_TTL_SECONDS`` and ``NETRA_HISTORY_MAX_EVENTS``."""
        before = datetime.now(UTC) - timedelta(seconds=self.settings.history_ttl_seconds)
        self.log.trim(None, before=before)
        for user_id, keep_from in await self.events.users_over(self.settings.history_max_events):
            self.log.trim(user_id, below_seq=keep_from)
        await self.log.flush()

    async def close(self) -> None:
        """Finish every run (each emits a terminal event), commit the log, close the database."""
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping
        await self.runtime.shutdown(self.settings.shutdown_grace_seconds)
        await self.registry.aclose()
        if self.redis is not None:
            await self.redis.close()
        await self.log.close(grace=self.settings.shutdown_grace_seconds)
        await self.db.dispose()
