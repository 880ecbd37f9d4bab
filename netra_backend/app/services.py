"""The service graph one app runs on, built at start-up and closed at shut-down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from netra_backend.app.agents.registry import AgentRegistry, default_registry
from netra_backend.app.agents.runtime import AgentRuntime
from netra_backend.app.auth import LoginThrottle, TokenService, UserStore, load_or_create_secret
from netra_backend.app.config import Settings
from netra_backend.app.data_dir import prepare_data_dir
from netra_backend.app.db import Database, RunStore
from netra_backend.app.websocket_core.canonical_imports import UserEventHub

ORPHAN_GRACE = timedelta(minutes=1)


async def settle_orphaned_runs(runs: RunStore, db: Database, settings: Settings) -> int:
    """Fail runs that a dead server left ``running``, so no run stays open for ever.

    A SQLite file has one server, so at start-up every ``running`` run is an orphan. A shared
    database (PostgreSQL) may have other live servers: only runs older than the agent timeout
    plus a grace minute are settled, since every live run has ended by then.
    """
    if db.dialect == "sqlite":
        return await runs.settle_interrupted()
    cutoff = datetime.now(UTC) - timedelta(seconds=settings.agent_timeout_seconds) - ORPHAN_GRACE
    return await runs.settle_interrupted(started_before=cutoff)


@dataclass
class Services:
    """Everything routes need, reachable as ``app.state.services``."""

    settings: Settings
    db: Database
    tokens: TokenService
    users: UserStore
    runs: RunStore
    hub: UserEventHub
    registry: AgentRegistry
    runtime: AgentRuntime
    login_throttle: LoginThrottle

    @classmethod
    async def start(cls, settings: Settings, registry: AgentRegistry | None = None) -> Services:
        """Make the data directory private, open the database (migrated) and wire the rest."""
        prepare_data_dir(settings.data_dir, settings.resolved_database_url)
        db = Database(settings.resolved_database_url)
        await db.migrate()
        hub = UserEventHub()
        runs = RunStore(db)
        await settle_orphaned_runs(runs, db, settings)
        registry = registry if registry is not None else default_registry()
        runtime = AgentRuntime(
            registry,
            hub.publish,
            recorder=runs,
            timeout_seconds=settings.agent_timeout_seconds,
            tool_timeout_seconds=settings.tool_timeout_seconds,
            max_concurrent_per_user=settings.max_concurrent_runs_per_user,
        )
        return cls(
            settings=settings,
            db=db,
            tokens=TokenService(load_or_create_secret(settings), settings.jwt_ttl_seconds),
            users=UserStore(db),
            runs=runs,
            hub=hub,
            registry=registry,
            runtime=runtime,
            login_throttle=LoginThrottle.from_limits(
                settings.login_max_failures_per_email,
                settings.login_max_failures_per_address,
                settings.login_window_seconds,
            ),
        )

    async def close(self) -> None:
        """Finish every run (each emits a terminal event), then close the database."""
        await self.runtime.shutdown()
        await self.db.dispose()
