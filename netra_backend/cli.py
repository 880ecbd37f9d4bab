"""The ``netra`` command. Thin over the library; only ``main`` exits."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netra", description="Netra agent service")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP + WebSocket server")
    serve.add_argument("--host", help="interface to bind (default NETRA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default NETRA_PORT or 8000)")
    serve.add_argument("--data-dir", help="data directory (default NETRA_DATA_DIR or ./.netra)")
    serve.add_argument("--log-level", help="uvicorn log level (default NETRA_LOG_LEVEL or info)")
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes (default NETRA_WORKERS or 1; more than 1 needs NETRA_REDIS_URL)",
    )
    return parser


class UsageError(Exception):
    """A command line that cannot work; ``main`` prints it and exits 2."""


def serve(args: argparse.Namespace) -> None:
    """Start uvicorn with settings from flags, then environment, then defaults."""
    import uvicorn

    from netra_backend.app import log_format
    from netra_backend.app.config import Settings
    from netra_backend.app.http_protocol import uvicorn_options
    from netra_backend.app.main import create_app

    overrides = {
        key: value
        for key, value in (
            ("host", args.host),
            ("port", args.port),
            ("data_dir", args.data_dir),
            ("log_level", args.log_level),
            ("workers", args.workers),
        )
        if value is not None
    }
    settings = Settings(**overrides)
    app: Any = create_app(settings)
    if settings.workers > 1:
        if settings.redis_url is None:
            raise UsageError(
                f"--workers {settings.workers} needs Redis mode: set NETRA_REDIS_URL (each "
                "worker is an instance; they share users' events through Redis)"
            )
        # Each worker process builds its own app from the environment: flags go there too.
        for key, value in overrides.items():
            os.environ[f"NETRA_{key.upper()}"] = str(value)
        app = "netra_backend.app.main:create_worker_app"
    uvicorn.run(
        app,
        factory=settings.workers > 1,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        # The sans-I/O implementation: the default one imports websockets' deprecated legacy API.
        ws="websockets-sansio",
        ws_max_size=settings.ws_max_message_bytes,
        proxy_headers=False,
        # Open sockets and runs get this long at shutdown; a client that stopped reading
        # cannot hold the process past it.
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
        log_config=log_format.log_config(settings.log_format, settings.log_level),
        # h11 with our head limits (httptools has no header size limit); idle timeout.
        **uvicorn_options(settings),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``netra`` console script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            serve(args)
    except ValidationError as exc:
        print(f"netra: invalid configuration:\n{describe_settings_errors(exc)}", file=sys.stderr)
        raise SystemExit(2) from None
    except UsageError as exc:
        print(f"netra: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def describe_settings_errors(exc: ValidationError) -> str:
    """One line per bad setting, named as the environment variable a user would set."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in error["loc"])
        lines.append(f"  NETRA_{field.upper()}: {error['msg']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
