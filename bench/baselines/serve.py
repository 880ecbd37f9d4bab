"""Run a baseline ASGI app on uvicorn exactly as ``netra serve`` runs Netra's."""

from __future__ import annotations

import os
from typing import Any

import uvicorn

#: Where the baselines read the HS256 key their tokens are signed with (never in argv).
SECRET_ENV = "BENCH_JWT_SECRET"


def secret() -> str:
    """The signing key given by the benchmark."""
    return os.environ[SECRET_ENV]


def serve(app: Any, port: int) -> None:
    """uvicorn with Netra's settings (netra_backend/cli.py): sans-I/O websockets, 64 KiB frames."""
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="websockets-sansio",
        ws_max_size=64 * 1024,
        proxy_headers=False,
    )
