"""A stand-in model provider: a real HTTP/1.1 server speaking OpenAI's chat-completions stream.

It listens on a free loopback port, in its own thread with its own event loop, and answers
``POST .../chat/completions`` from a queue of scripted responses, one per request:

* :class:`Stream` -- ``200`` with ``text/event-stream`` in chunked transfer encoding: each
  chunk one server-sent event ``data: {...}`` (a ``chat.completion.chunk``), then
  ``data: [DONE]``. ``delay`` sleeps between chunks; ``hold_after=N`` stops after N chunks
  until :meth:`Stream.release` (``held`` is set on arrival there); ``cut_after=N`` sends N
  chunks and half of the next one, then aborts the socket.
* :class:`Status` -- a plain answer: ``code``, a JSON (or text) body, extra headers.

Every request is recorded (method, path, headers lowercased, JSON body). When a client hangs
up while a stream is still being sent (or held), ``disconnected`` is set::

    with OpenAIStandIn() as provider:
        provider.script(Stream.reply("Hello there", pieces=3))
        ...  # point NETRA_LLM_BASE_URL at provider.base_url
        assert provider.requests[0].body["stream"] is True
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

HOST = "127.0.0.1"
JSONDict = dict[str, Any]
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def content(text: str, *, model: str = "standin-model") -> JSONDict:
    """A chunk whose ``choices[0].delta.content`` is ``text``."""
    return _chunk({"content": text}, None, model)


def tool_call(
    index: int, name: str | None, arguments: str, *, call_id: str | None = None
) -> JSONDict:
    """A chunk with one ``delta.tool_calls`` piece (name and id only on a call's first piece)."""
    piece: JSONDict = {"index": index, "function": {"arguments": arguments}}
    if name is not None:
        piece["function"]["name"] = name
        piece["type"] = "function"
    if call_id is not None:
        piece["id"] = call_id
    return _chunk({"tool_calls": [piece]}, None, "standin-model")


def finish(reason: str = "stop") -> JSONDict:
    """The last chunk of a response: an empty delta and ``finish_reason``."""
    return _chunk({}, reason, "standin-model")


def _chunk(delta: JSONDict, finish_reason: str | None, model: str) -> JSONDict:
    return {
        "id": "chatcmpl-standin",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


@dataclass(eq=False)
class Stream:
    """A scripted streaming answer (see the module docstring)."""

    chunks: list[JSONDict]
    delay: float = 0.0
    hold_after: int | None = None
    cut_after: int | None = None
    done: bool = True
    """Send ``data: [DONE]`` after the chunks."""
    held: threading.Event = field(default_factory=threading.Event)
    _released: threading.Event = field(default_factory=threading.Event, repr=False)
    _wake: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def reply(cls, text: str, *, pieces: int = 1, **options: Any) -> Stream:
        """``text`` in ``pieces`` content chunks, then ``finish_reason: stop``."""
        size = max(1, -(-len(text) // pieces))
        parts = [text[i : i + size] for i in range(0, len(text), size)] or [""]
        return cls([content(part) for part in parts] + [finish()], **options)

    @classmethod
    def calls(cls, *calls: tuple[str, str], text: str = "", **options: Any) -> Stream:
        """A response calling tools ``(name, arguments JSON)``, ids ``call_0``, ``call_1``..."""
        chunks = [content(text)] if text else []
        for index, (name, arguments) in enumerate(calls):
            middle = len(arguments) // 2
            chunks.append(tool_call(index, name, arguments[:middle], call_id=f"call_{index}"))
            chunks.append(tool_call(index, None, arguments[middle:]))
        return cls([*chunks, finish("tool_calls")], **options)

    def release(self) -> None:
        """Let a stream held at ``hold_after`` go on."""
        with self._lock:
            self._released.set()
            if self._wake is not None:
                loop, event = self._wake
                loop.call_soon_threadsafe(event.set)

    async def _wait_released(self) -> None:
        event = asyncio.Event()
        with self._lock:
            self._wake = (asyncio.get_running_loop(), event)
            if self._released.is_set():
                event.set()
        await event.wait()


@dataclass(frozen=True)
class Status:
    """A scripted plain answer: ``code``, a body (JSON unless a string) and headers."""

    code: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordedRequest:
    """A request the stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    body: JSONDict


class OpenAIStandIn:
    """The stand-in server; a context manager (start on enter, stop on exit)."""

    def __init__(self, host: str = HOST) -> None:
        self.host = host
        self.port = 0
        self.requests: list[RecordedRequest] = []
        self.disconnected = threading.Event()
        self.unscripted = 0
        """Requests that found the script empty (answered 500)."""
        self._script: deque[Stream | Status] = deque()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1``, for ``NETRA_LLM_BASE_URL``."""
        return f"http://{self.host}:{self.port}/v1"

    def script(self, *responses: Stream | Status) -> None:
        """Forget earlier requests, script and ``disconnected``; answer with ``responses``."""
        with self._lock:
            self._script = deque(responses)
            self.requests = []
            self.unscripted = 0
            self.disconnected.clear()

    def bodies(self) -> list[JSONDict]:
        """The JSON body of every request so far, in order."""
        return [request.body for request in self.requests]

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> None:
        """Bind a free port and serve in a daemon thread; return once listening."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        sock.listen(64)
        self.port = int(sock.getsockname()[1])
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name=f"openai-standin-{self.port}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"the stand-in did not start within {timeout}s: {self._error!r}")

    def stop(self, timeout: float = 30.0) -> None:
        """Release held streams, stop serving and wait for the thread."""
        with self._lock:
            for response in self._script:
                if isinstance(response, Stream):
                    response.release()
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def _serve(self, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._main(sock))
        except BaseException as error:  # reported by start(), never lost in the thread
            self._error = error
            self._ready.set()
        finally:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _main(self, sock: socket.socket) -> None:
        self._stop = asyncio.Event()
        self._server = await asyncio.start_server(self._connection, sock=sock)
        self._ready.set()
        await self._stop.wait()
        # No wait_closed(): on Python 3.12+ it waits for idle keep-alive clients to leave;
        # the handlers still running are cancelled by _serve.
        self._server.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                self.requests.append(request)
                with self._lock:
                    response = self._script.popleft() if self._script else None
                    if response is None:
                        self.unscripted += 1
                if response is None:
                    response = Status(500, {"error": {"message": "the stand-in has no script"}})
                if isinstance(response, Status):
                    await _write_status(writer, response)
                    continue
                if not await self._stream(response, reader, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        except ValueError:  # a malformed request line or header: hang up, as servers do
            return
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _stream(
        self, stream: Stream, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Send ``stream``; False when the connection is gone (cut, or the client left)."""
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\ncache-control: no-cache\r\n\r\n"
        )
        try:
            for sent, chunk in enumerate(stream.chunks):
                if stream.hold_after is not None and sent == stream.hold_after:
                    await writer.drain()
                    stream.held.set()
                    if not await self._hold(stream, reader):
                        return False
                data = _event(json.dumps(chunk))
                if stream.cut_after is not None and sent == stream.cut_after:
                    writer.write(data[: len(data) // 2])
                    await writer.drain()
                    writer.transport.abort()
                    return False
                writer.write(data)
                await writer.drain()
                if stream.delay:
                    await asyncio.sleep(stream.delay)
            if stream.done:
                writer.write(_event("[DONE]"))
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            self.disconnected.set()
            return False
        return True

    async def _hold(self, stream: Stream, reader: asyncio.StreamReader) -> bool:
        """Wait for :meth:`Stream.release`; False (and ``disconnected``) if the client hangs up."""
        released = asyncio.ensure_future(stream._wait_released())
        hangup = asyncio.ensure_future(reader.read(1))
        try:
            await asyncio.wait([released, hangup], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (released, hangup):
                task.cancel()
        gone = hangup.done() and not hangup.cancelled()
        if gone and (hangup.exception() is not None or hangup.result() == b""):
            self.disconnected.set()
            return False
        return True


def _event(data: str) -> bytes:
    payload = f"data: {data}\n\n".encode()
    return f"{len(payload):x}\r\n".encode() + payload + b"\r\n"


async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed an idle keep-alive connection
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    raw = await reader.readexactly(length) if length else b""
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = {"_raw": raw.decode("utf-8", "replace")}
    if not isinstance(body, dict):
        body = {"_json": body}
    return RecordedRequest(method, path, headers, body)


async def _write_status(writer: asyncio.StreamWriter, response: Status) -> None:
    if isinstance(response.body, str):
        body, kind = response.body.encode(), "text/plain"
    else:
        body, kind = json.dumps(response.body or {}).encode(), "application/json"
    reason = _REASONS.get(response.code, "Status")
    head = [f"HTTP/1.1 {response.code} {reason}", f"content-type: {kind}"]
    head.append(f"content-length: {len(body)}")
    head += [f"{name}: {value}" for name, value in response.headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
