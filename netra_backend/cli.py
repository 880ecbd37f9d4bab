"""The ``netra`` command. Thin over the library; only ``main`` exits."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="netra", description="Netra agent service")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP + WebSocket server")
    serve.add_argument("--host", help="interface to bind (default NETRA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default NETRA_PORT or 8000)")
    serve.add_argument("--data-dir", help="data directory (default NETRA_DATA_DIR or ./.netra)")
    serve.add_argument("--log-level", help="uvicorn log level (default NETRA_LOG_LEVEL or info)")
    return parser


def serve(args: argparse.Namespace) -> None:
    """Start uvicorn with settings from flags, then environment, then defaults."""
    import uvicorn

    from netra_backend.app import log_redaction
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
        )
        if value is not None
    }
    settings = Settings(**overrides)
    uvicorn.run(
        create_app(settings),
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
        log_config=log_redaction.uvicorn_log_config(),
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


def describe_settings_errors(exc: ValidationError) -> str:
    """One line per bad setting, named as the environment variable a user would set."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(part) for part in error["loc"])
        lines.append(f"  NETRA_{field.upper()}: {error['msg']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
