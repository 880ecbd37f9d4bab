"""The ``assistant`` agent: an OpenAI-compatible model that streams its reply and calls tools.

It talks to any chat-completions endpoint (OpenAI, vLLM, Ollama, llama.cpp's server) through
the official ``openai`` SDK with ``stream=True``. One run:

1. thinks once ("Asking <model>"), reads the user's earlier turns of ``conversation_id`` (only
   that user's; none without a conversation) and builds the messages (``chat_format``);
2. offers every registered tool (``registry.tools()``, read at each run, so tools registered
   later count) and streams the answer: text goes out as ``agent_message_delta`` events of
   one ``message_id``, coalesced by :class:`~netra_backend.app.agents.streaming.DeltaCoalescer`
   (2,048 characters or 50 ms, whichever first);
3. runs the tool calls of a response through ``run.use_tool`` (a ``tool_executing`` /
   ``tool_completed`` pair each) and sends the results back as ``role: tool`` messages; a call
   of an unknown tool, with invalid JSON or arguments that do not fit the schema gets an error
   text instead, with no tool events; a tool's ``ValueError`` message goes back, any other
   failure as "the tool failed" (logged);
4. after ``NETRA_LLM_MAX_TOOL_ROUNDS`` responses with tool calls asks once more with
   ``tool_choice: "none"``, and runs no call of that last response;
5. returns ``{reply, message_id, model, conversation_id, tool_calls, finish_reason}``; the
   texts of several responses are joined with a blank line, and the run's deltas, in ``seq``
   order, add up exactly to ``reply``.

The SDK's stream is read by a reader task into a bounded queue; the run waits on the queue
with the coalescer's deadline as timeout, so the 50 ms flush never cancels a read half-way.
Leaving a stream (cancel included) cancels the reader and closes the SDK stream, which drops
the HTTP connection at once. SDK retries are off: a 429 is reported at once with
``retry_after``, and the client decides when to try again. Provider failures become
``ProviderError`` in ``provider_errors``, the one seam.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import openai

from netra_backend.app.agents.base import AgentRequest, JSONDict, RunHandle, Tool
from netra_backend.app.agents.chat_format import (
    TurnLike,
    build_messages,
    parse_arguments,
    tool_result_text,
    tool_specs,
)
from netra_backend.app.agents.optional import ASSISTANT
from netra_backend.app.agents.provider_errors import (
    TRANSLATED,
    provider_address,
    stream_unfinished,
    translate,
)
from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.agents.streaming import DeltaCoalescer
from netra_backend.app.config import Settings
from netra_backend.app.errors import AgentError, AgentTimeoutError, StorageError

logger = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are Netra's assistant. Answer the user's question clearly and concisely. When one of "
    "the tools can compute or look up what is asked, call it and base the answer on its result."
)
NO_KEY = "no-key"
"""Sent when no API key is set: local servers need none, but the SDK insists on one."""
QUEUE_SIZE = 64
"""Chunks read ahead of the run; the reader waits (and so does the socket) when it is full."""
TOOL_FAILED = "error: the tool failed"


class TurnSource(Protocol):
    """Where earlier turns come from (``db.conversations.ConversationStore``)."""

    async def recent_turns(self, user_id: str, conversation_id: str) -> Sequence[TurnLike]: ...


@dataclass
class _Call:
    """One tool call as a response streams it: pieces of the arguments add up."""

    id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass
class _Response:
    """What one model response said."""

    parts: list[str] = field(default_factory=list)
    calls: dict[int, _Call] = field(default_factory=dict)
    finish_reason: str | None = None
    model: str | None = None


@dataclass
class _Reply:
    """The run's reply so far: the text sent as deltas, through one coalescer."""

    run: RunHandle
    message_id: str
    coalescer: DeltaCoalescer = field(default_factory=DeltaCoalescer)
    parts: list[str] = field(default_factory=list)
    response_has_text: bool = False

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def new_response(self) -> None:
        self.response_has_text = False

    async def add(self, piece: str, now: float) -> None:
        if not piece:
            return
        if not self.response_has_text:
            self.response_has_text = True
            if self.parts:  # texts of several responses are joined with a blank line
                piece = "\n\n" + piece
        self.parts.append(piece)
        await self.send(self.coalescer.push(piece, now))

    async def tick(self, now: float) -> None:
        await self.send(self.coalescer.due(now))

    async def flush(self) -> None:
        await self.send(self.coalescer.flush())

    async def send(self, delta: str | None) -> None:
        if delta:
            await self.run.message_delta(self.message_id, delta)


class AssistantAgent:
    """The ``assistant``: a chat-completions model with streaming and tool calling."""

    name = ASSISTANT
    description = "Answers in the words of a connected model, which may call Netra's tools."

    def __init__(
        self,
        settings: Settings,
        registry: AgentRegistry,
        conversations: TurnSource | None = None,
    ) -> None:
        if not settings.llm_base_url or not settings.llm_model:
            raise ValueError("the assistant needs NETRA_LLM_BASE_URL and NETRA_LLM_MODEL")
        self.model = settings.llm_model
        self.where = provider_address(settings.llm_base_url)
        self._registry = registry
        self._conversations = conversations
        self._max_rounds = settings.llm_max_tool_rounds
        self._max_history_tokens = settings.llm_max_history_tokens
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else ""
        self._client = openai.AsyncOpenAI(
            base_url=without_userinfo(settings.llm_base_url),
            api_key=key or NO_KEY,
            timeout=settings.llm_timeout_seconds,
            max_retries=0,
        )

    def __repr__(self) -> str:
        return f"AssistantAgent(model={self.model!r}, provider={self.where!r})"

    async def aclose(self) -> None:
        """Close the SDK client and its connections."""
        await self._client.close()

    async def run(self, request: AgentRequest, run: RunHandle) -> JSONDict:
        """Answer ``request`` with the model, streaming deltas and running its tool calls."""
        await run.think(f"Asking {self.model}")
        turns = await self._history(request)
        messages = build_messages(SYSTEM_PROMPT, turns, request.message, self._max_history_tokens)
        tools = {tool.name: tool for tool in self._registry.tools()}
        reply = _Reply(run, f"msg_{uuid.uuid4().hex}")
        calls: list[JSONDict] = []
        rounds = 0
        while True:
            last = rounds >= self._max_rounds
            response = await self._respond(messages, tools, reply, last=last)
            if not response.calls or last:
                break
            rounds += 1
            await reply.flush()  # the text so far goes out before the tool events
            ordered = [response.calls[index] for index in sorted(response.calls)]
            messages.append(_assistant_message("".join(response.parts), ordered))
            for call in ordered:
                content, record = await self._call(call, tools, run)
                calls.append(record)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": content})
        await reply.flush()
        return {
            "reply": reply.text,
            "message_id": reply.message_id,
            "model": response.model or self.model,
            "conversation_id": request.conversation_id,
            "tool_calls": calls,
            "finish_reason": response.finish_reason,
        }

    async def _history(self, request: AgentRequest) -> Sequence[TurnLike]:
        if request.conversation_id is None or self._conversations is None:
            return ()
        try:
            return await self._conversations.recent_turns(request.user_id, request.conversation_id)
        except StorageError:
            raise AgentError("the conversation's earlier turns could not be read") from None

    async def _respond(
        self, messages: list[JSONDict], tools: Mapping[str, Tool], reply: _Reply, *, last: bool
    ) -> _Response:
        """Stream one model response into ``reply``; return its text and tool calls."""
        options: JSONDict = {"model": self.model, "messages": messages}
        specs = tool_specs(tools.values())
        if specs:
            options["tools"] = specs
            options["tool_choice"] = "none" if last else "auto"
        response = _Response()
        reply.new_response()
        loop = asyncio.get_running_loop()
        async with self._chunks(options) as queue:
            while True:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    deadline = reply.coalescer.deadline
                    timeout = None if deadline is None else max(0.0, deadline - loop.time())
                    try:
                        item = await asyncio.wait_for(queue.get(), timeout)
                    except TimeoutError:
                        await reply.tick(loop.time())
                        continue
                if item is None:
                    break
                if isinstance(item, BaseException):
                    await reply.flush()
                    if isinstance(item, TRANSLATED):
                        raise translate(item, self.where, streaming=True) from None
                    raise item  # a bug of ours, not the provider's: the run crashes, logged
                await reply.add(_absorb(item, response), loop.time())
        if response.finish_reason is None:
            await reply.flush()
            raise stream_unfinished(self.where)
        for index, call in response.calls.items():
            if not call.id:  # some servers send no id; the tool message needs one
                call.id = f"call_{index}"
        return response

    @contextlib.asynccontextmanager
    async def _chunks(
        self, options: JSONDict
    ) -> AsyncIterator[asyncio.Queue[Any | BaseException | None]]:
        """A queue of the response's chunks, then None at its end (or the exception)."""
        try:
            stream = await self._client.chat.completions.create(stream=True, **options)
        except TRANSLATED as error:
            raise translate(error, self.where) from None
        queue: asyncio.Queue[Any | BaseException | None] = asyncio.Queue(QUEUE_SIZE)

        async def read() -> None:
            try:
                async for chunk in stream:
                    await queue.put(chunk)
            except Exception as error:  # handed to the run, which waits on the queue
                await queue.put(error)
            else:
                await queue.put(None)

        reader = asyncio.create_task(read(), name="assistant-stream-reader")
        try:
            yield queue
        finally:
            reader.cancel()
            try:
                # asyncio.wait, not await: the reader's cancel must not be taken for ours.
                await asyncio.wait([reader])
            finally:
                await stream.close()  # drops the HTTP connection: the provider stops at once

    async def _call(
        self, call: _Call, tools: Mapping[str, Tool], run: RunHandle
    ) -> tuple[str, JSONDict]:
        """Run one tool call; return the text for the model and the call's record."""
        record: JSONDict = {"id": call.id, "name": call.name, "arguments": call.arguments}
        tool = tools.get(call.name)
        if tool is None:
            available = ", ".join(sorted(tools)) or "none"
            error = f"error: there is no tool named {call.name!r} (available: {available})"
            return error, {**record, "error": error}
        arguments, problem = parse_arguments(tool, call.arguments)
        if arguments is None:
            text = problem or TOOL_FAILED
            return text, {**record, "error": text}
        record["arguments"] = arguments
        try:
            result = await run.use_tool(tool, arguments)
        except ValueError as exc:  # how tools report bad input (the cost model does)
            text = f"error: {exc}"
        except AgentTimeoutError as exc:
            text = f"error: {exc.message}"
        except Exception:
            logger.exception("tool %s failed in run %s", tool.name, run.run_id)
            text = TOOL_FAILED
        else:
            return tool_result_text(result), record
        return text, {**record, "error": text}


def _absorb(chunk: Any, response: _Response) -> str:
    """Fold one ``ChatCompletionChunk`` into ``response``; return its text."""
    if getattr(chunk, "model", None):
        response.model = chunk.model
    choices = getattr(chunk, "choices", None) or ()
    if not choices:
        return ""  # a usage-only chunk
    choice = choices[0]
    if choice.finish_reason:
        response.finish_reason = choice.finish_reason
    delta = choice.delta
    if delta is None:
        return ""
    for piece in delta.tool_calls or ():
        call = response.calls.setdefault(piece.index, _Call())
        if piece.id:
            call.id = piece.id
        function = piece.function
        if function is not None:
            call.name += function.name or ""
            call.arguments += function.arguments or ""
    text = delta.content or ""
    if text:
        response.parts.append(text)
    return text


def _assistant_message(text: str, calls: Sequence[_Call]) -> JSONDict:
    return {
        "role": "assistant",
        "content": text or None,
        "tool_calls": [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in calls
        ],
    }


def without_userinfo(url: str) -> str:
    """``url`` without ``user:password@``.

    The HTTP client would send userinfo as Basic auth *instead of* the Bearer key, and it logs
    request URLs whole; the key belongs in ``NETRA_LLM_API_KEY``.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
