"""Settings: one object, one prefix (``NETRA_``).

Precedence, highest first: keyword arguments (the CLI's flags), environment variables, a
``.env`` file in the working directory, the defaults below. Every limit a client can push
against is a setting here, documented in the README.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from netra_backend.app.origins import normalize_origin
from netra_backend.app.plans import DEFAULT_PLAN_LIMITS, PlanTable


class Settings(BaseSettings):
    """Runtime configuration read from ``NETRA_*`` environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="NETRA_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        env_nested_delimiter="__",
    )

    data_dir: Path = Field(
        default=Path(".netra"),
        description="Where the SQLite database and the generated JWT secret live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; unset means sqlite+aiosqlite under data_dir.",
    )
    jwt_secret: str | None = Field(
        default=None,
        description="HS256 signing secret; unset means generated once into data_dir (0600).",
        repr=False,
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description=(
            "Redis mode: redis://[user:password@]host:port/db. The event log, its fan-out to "
            "every instance, resume and cancel go through Redis; run records stay in the SQL "
            "database (use PostgreSQL). Unset: everything in-process."
        ),
    )
    redis_prefix: str = Field(
        default="netra",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Prefix of every Redis key and channel (one per deployment).",
    )
    redis_max_connections: int = Field(
        default=64,
        ge=4,
        le=10_000,
        description="Redis connections per process; at the limit a command waits for one.",
    )
    workers: int = Field(
        default=1, ge=1, le=64, description="netra serve worker processes (Redis mode for > 1)."
    )
    jwt_ttl_seconds: int = Field(default=3600, ge=60, le=30 * 24 * 3600)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "info"
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="text: uvicorn's lines; json: one JSON object per line (log_format.py).",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token GET /metrics requires (16+ characters); unset: /metrics is open.",
    )

    ws_max_message_bytes: int = Field(default=64 * 1024, ge=256, le=16 * 1024 * 1024)
    ws_rate_limit_per_second: float = Field(default=20.0, gt=0)
    ws_rate_limit_burst: int = Field(default=40, ge=1)
    ws_send_queue_size: int = Field(default=1000, ge=1)
    ws_send_queue_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=64 * 1024,
        description="Characters (about bytes) queued for one client before it is closed with 1013.",
    )
    ws_send_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="One socket write's limit; a client that stops reading is closed.",
    )
    ws_max_connections_per_user: int = Field(default=20, ge=1)
    plan_limits: PlanTable = Field(
        default=DEFAULT_PLAN_LIMITS,
        description=(
            "Concurrent runs and runs per minute per user, by plan; one value is set with "
            "NETRA_PLAN_LIMITS__<TIER>__<LIMIT> (e.g. NETRA_PLAN_LIMITS__FREE__RUNS_PER_MINUTE)."
        ),
    )
    agent_timeout_seconds: float = Field(default=60.0, gt=0)
    tool_timeout_seconds: float = Field(default=30.0, gt=0)
    max_message_chars: int = Field(default=16_000, ge=1)
    max_runs_in_flight: int = Field(
        default=1000, ge=1, description="Runs in flight on this server; beyond, server_busy."
    )
    history_max_events: int = Field(
        default=10_000, ge=1, description="Events kept per user in the event log (oldest trimmed)."
    )
    history_ttl_seconds: float = Field(
        default=7 * 24 * 3600, gt=0, description="Events older than this are trimmed."
    )
    user_recheck_seconds: float = Field(
        default=10.0,
        gt=0,
        description="How often open sockets' users are checked; a removed account's close (4401).",
    )
    history_trim_interval_seconds: float = Field(
        default=60.0, gt=0, description="How often the retention limits are applied."
    )
    run_lease_seconds: float = Field(
        default=30.0,
        ge=3.0,
        description=(
            "A running run's lease; one not refreshed for this long is settled interrupted."
        ),
    )
    db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    db_statement_timeout_seconds: float = Field(default=10.0, gt=0)
    shutdown_grace_seconds: float = Field(
        default=20.0,
        gt=0,
        description=(
            "At shutdown (SIGTERM/SIGINT), how long runs in flight get to finish; the rest "
            "end agent_failed server_shutdown."
        ),
    )
    login_max_failures_per_email: int = Field(
        default=5,
        ge=1,
        description="Failed logins per email per login window; then 429 with Retry-After.",
    )
    login_max_failures_per_address: int = Field(
        default=20,
        ge=1,
        description="Failed logins per client address per login window; then 429.",
    )
    login_window_seconds: float = Field(
        default=300.0,
        gt=0,
        description="The sliding window, in seconds, over which failed logins are counted.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Largest HTTP request body; larger ones get 413 before being read.",
    )
    http_max_header_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Largest request line plus headers (netra serve); larger ones get 431.",
    )
    http_header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A request head not complete this long after it may begin gets 408.",
    )
    http_idle_timeout_seconds: int = Field(
        default=5,
        ge=1,
        description="An idle keep-alive HTTP connection is closed after this many seconds.",
    )
    allowed_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description=(
            "Origins whose pages may open a WebSocket, comma-separated "
            "(https://app.example.com,http://localhost:3000); '*' allows any. Empty means "
            "the server's own origin only. Handshakes without an Origin header always pass."
        ),
    )

    llm_base_url: str | None = Field(
        default=None,
        description=(
            "OpenAI-compatible chat-completions endpoint for the assistant agent "
            "(e.g. http://127.0.0.1:11434/v1 for Ollama); unset: the assistant is off."
        ),
    )
    llm_api_key: SecretStr | None = Field(
        default=None,
        repr=False,
        description="The provider's API key, sent as a Bearer token; never logged.",
    )
    llm_model: str | None = Field(
        default=None,
        min_length=1,
        description="Model name the provider serves (required with NETRA_LLM_BASE_URL).",
    )
    llm_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Connecting to the provider, and the longest wait for its next chunk.",
    )
    llm_max_tool_rounds: int = Field(
        default=4,
        ge=0,
        le=32,
        description="Model responses with tool calls per run; then it must answer in text.",
    )
    llm_max_history_tokens: int = Field(
        default=3000,
        ge=0,
        description="Earlier turns of a conversation sent as context (estimated as chars / 4).",
    )
    agents: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description=(
            "Plug-ins to load besides the netra.agents entry points, comma-separated "
            "module:attr references (an Agent, a Tool, or a factory returning them)."
        ),
    )

    @model_validator(mode="after")
    def _llm_needs_a_model(self) -> Settings:
        if self.llm_base_url and not self.llm_model:
            raise ValueError("NETRA_LLM_MODEL is required when NETRA_LLM_BASE_URL is set")
        return self

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        levels = {"critical", "error", "warning", "info", "debug", "trace"}
        if value.lower() not in levels:
            raise ValueError(f"NETRA_LOG_LEVEL must be one of {sorted(levels)}, got {value!r}")
        return value.lower()

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_log_format(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("metrics_token")
    @classmethod
    def _long_metrics_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("NETRA_METRICS_TOKEN must be at least 16 characters")
        return value

    @field_validator("allowed_origins", "agents", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("allowed_origins")
    @classmethod
    def _valid_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        origins = []
        for entry in value:
            origin = "*" if entry == "*" else normalize_origin(entry)
            if origin is None:
                raise ValueError(
                    "NETRA_ALLOWED_ORIGINS entries must be '*' or scheme://host[:port] "
                    f"with scheme http or https (no path), got {entry!r}"
                )
            origins.append(origin)
        return tuple(origins)

    @property
    def resolved_database_url(self) -> str:
        """The database URL in use: ``database_url``, or the SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'netra.db').resolve()}"
