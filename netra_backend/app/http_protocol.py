"""uvicorn's h11 HTTP protocol with the service's limits on the request head.

``netra serve`` runs this protocol (see :func:`uvicorn_options`); every refusal is the
service's JSON error (``{"error": {"code", "message"}}``) and closes the connection:

=====  =====================  ==========================================================
431    ``headers_too_large``  request line plus headers over ``NETRA_HTTP_MAX_HEADER_BYTES``,
                              decided as the bytes arrive (at most one read past the limit
                              is ever buffered)
408    ``request_timeout``    a request head begun but not finished within
                              ``NETRA_HTTP_HEADER_TIMEOUT_SECONDS`` (counted from the
                              connection, or from the end of the previous response); a
                              connection that sent nothing is just closed
400    ``bad_request``        anything h11 cannot parse
=====  =====================  ==========================================================

Idle keep-alive connections are closed after ``NETRA_HTTP_IDLE_TIMEOUT_SECONDS`` by uvicorn
itself (``timeout_keep_alive``). Body size is the app's business
(:mod:`netra_backend.app.http_limits`), since it is decided per request.
"""

from __future__ import annotations

import asyncio
import re
from http import HTTPStatus
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from netra_backend.app.config import Settings
from netra_backend.app.http_errors import error_body

_END_OF_HEAD = re.compile(b"\n\r?\n")


def _raw_error(status: int, code: str, message: str) -> bytes:
    body = error_body(code, message)
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class NetraH11Protocol(H11Protocol):
    """:class:`H11Protocol` plus a request-head size check, a head timeout, JSON errors."""

    max_header_bytes: ClassVar[int] = 16 * 1024
    header_timeout: ClassVar[float] = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    @classmethod
    def configured(cls, max_header_bytes: int, header_timeout: float) -> type[NetraH11Protocol]:
        """This class with these limits (uvicorn instantiates the class it is given).

        The limits are set on the class itself, not on a made-up subclass, so the class
        still pickles by name into ``--workers`` processes (each sets them again from the
        environment, :func:`netra_backend.app.main.create_worker_app`).
        """
        cls.max_header_bytes = max_header_bytes
        cls.header_timeout = header_timeout
        return cls

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and self._head_too_large(data):
            self._refuse(431, "headers_too_large", self._too_large_message())
            return
        super().data_received(data)
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            self._cancel_head_timer()  # the head is complete (or the connection is done)
        elif self._head_timer is None:
            self._start_head_timer()  # a new head has begun after a response

    def send_400_response(self, msg: str) -> None:
        # h11's own size check (a backstop to ours) also ends up here.
        if len(self.conn.trailing_data[0]) > self.max_header_bytes:
            self._refuse(431, "headers_too_large", self._too_large_message())
        else:
            self._refuse(400, "bad_request", "the request is not valid HTTP/1.1")

    def _head_too_large(self, data: bytes) -> bool:
        pending = self.conn.trailing_data[0] + data
        end = _END_OF_HEAD.search(pending, 0, self.max_header_bytes + 3)
        if end is None:
            return len(pending) > self.max_header_bytes
        return end.start() > self.max_header_bytes

    def _too_large_message(self) -> str:
        return f"the request line and headers exceed {self.max_header_bytes} bytes"

    def _refuse(self, status: int, code: str, message: str) -> None:
        self._cancel_head_timer()
        if not self.transport.is_closing():
            self.transport.write(_raw_error(status, code, message))
            self.transport.close()

    def _start_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.trailing_data[0]:
            message = f"the request head did not arrive within {self.header_timeout:g} s"
            self._refuse(408, "request_timeout", message)
        else:
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run``/``uvicorn.Config`` that enforce the limits."""
    return {
        "http": NetraH11Protocol.configured(
            settings.http_max_header_bytes, settings.http_header_timeout_seconds
        ),
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
        "timeout_keep_alive": settings.http_idle_timeout_seconds,
    }
