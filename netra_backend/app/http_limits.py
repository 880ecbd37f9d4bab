"""Request body size: ``NETRA_MAX_BODY_BYTES`` per request, on every HTTP route.

:class:`BodyLimitMiddleware` answers 413 ``body_too_large`` (the JSON error) without reading
a byte of the body when ``Content-Length`` declares too much, and stops a chunked body the
moment its running total passes the limit (:class:`BodyTooLargeError` from ``receive``,
answered by the app's error handler). WebSocket traffic is limited by its own settings.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from netra_backend.app.http_errors import error_body


class BodyTooLargeError(HTTPException):
    """A request body passed the limit (HTTP 413). An ``HTTPException`` so FastAPI's body
    parsing passes it on instead of turning it into a 400."""

    code = "body_too_large"

    def __init__(self, limit: int, size: int | None = None) -> None:
        self.limit = limit
        self.size = size
        super().__init__(status_code=413, detail=self.message)

    @property
    def message(self) -> str:
        """The sentence for the client."""
        if self.size is None:
            return f"the request body exceeds the limit of {self.limit} bytes"
        return f"the request body of {self.size} bytes exceeds the limit of {self.limit} bytes"


def declared_length(scope: Scope) -> int | None:
    """The ``Content-Length`` of a request, ``None`` when absent or not a number."""
    value = Headers(scope=scope).get("content-length")
    if value is None or not value.strip().isdigit():
        return None  # the server rejects malformed lengths itself
    return int(value)


class BodyLimitMiddleware:
    """Refuse HTTP request bodies larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _send_error(send, BodyTooLargeError(self.max_bytes, declared))
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError as exc:
            if started:
                raise
            await _send_error(send, exc)


async def _send_error(send: Send, exc: BodyTooLargeError) -> None:
    body = error_body(exc.code, exc.message)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
