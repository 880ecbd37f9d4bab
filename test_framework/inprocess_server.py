"""The in-process form of the server handle (``test_framework.server``): an ASGI app served
by uvicorn in a background thread of the test process.

Used by the integration fixtures: the app runs in-process (so coverage sees it) on its own
event loop, independent of the per-test loops pytest-asyncio creates; :meth:`call` runs a
coroutine on that loop (where the app's database engine lives). The listening socket is
bound to port 0 before uvicorn starts, so there is no race for a "free" port.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import uvicorn

from test_framework.urls import ws_url_for

HOST = "127.0.0.1"
T = TypeVar("T")


class InProcessServerError(RuntimeError):
    """The in-process server failed to start or to stop."""


@dataclass(eq=False)
class InProcessServer:
    """A uvicorn server for ``app`` running in a daemon thread."""

    app: Any
    host: str = HOST
    port: int = 0
    ws_max_size: int = 16 * 1024 * 1024
    """uvicorn's own frame limit; frames above it close with 1009 before the app sees them."""
    lifespan: Literal["on", "off"] = "on"
    loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    """The server's event loop, once started."""
    _server: uvicorn.Server | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _error: BaseException | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``."""
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        """``ws://HOST:PORT/api/ws``."""
        return ws_url_for(self.base_url)

    def start(self, timeout: float = 60.0) -> None:
        """Bind a free port, start serving, and return once the app's startup has finished."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan=self.lifespan,
            ws_max_size=self.ws_max_size,
            # The sans-I/O implementation: uvicorn's "websockets" one imports the deprecated
            # websockets.legacy package, and warnings are errors in this suite.
            ws="websockets-sansio",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name=f"netra-app-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise InProcessServerError(
                    f"in-process server exited during startup: {self._error!r}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise InProcessServerError(f"in-process server not started within {timeout:.0f}s")
            time.sleep(0.02)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run ``coro`` on the server's event loop and return its result."""
        assert self.loop is not None, "the server is not running"
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=timeout)

    def _serve(self, sock: socket.socket) -> None:
        assert self._server is not None
        # What uvicorn.Server.run does (its loop: uvloop when installed), keeping the loop.
        factory = self._server.config.get_loop_factory()
        loop = factory() if factory is not None else asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._server.serve(sockets=[sock]))
        except BaseException as error:  # reported by start()/stop(), never lost in the thread
            self._error = error
        finally:
            leftover = asyncio.all_tasks(loop)
            for task in leftover:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            sock.close()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask uvicorn to shut down (runs the app's shutdown) and wait for the thread."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(5.0)
        if self._error is not None and not isinstance(self._error, SystemExit):
            raise InProcessServerError(
                f"in-process server failed: {self._error!r}"
            ) from self._error


def create_netra_app(data_dir: Path, database_url: str | None) -> Any:
    """``create_app(Settings(...))`` for a throw-away data directory and database."""
    # Imported here so test_framework imports cleanly even before the service modules exist.
    from netra_backend.app.config import Settings
    from netra_backend.app.main import create_app

    return create_app(Settings(data_dir=data_dir, database_url=database_url))
