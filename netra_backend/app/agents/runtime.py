"""The agent runtime: runs agents as tasks and guarantees what a client sees.

For every run, whatever the agent does, the runtime emits ``agent_started`` first, at least
one ``agent_thinking``, each tool call as a ``tool_executing``/``tool_completed`` pair, and
exactly one terminal event last: ``agent_completed`` or ``agent_failed`` (agent error,
timeout, crash or server shutdown). A run is never left hanging. Events of a run are emitted
from that run's task only, one after another, so their order is the order they were made.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import orjson

from netra_backend.app.agents.base import AgentRequest, JSONDict, Tool
from netra_backend.app.agents.conversations import ConversationLocks
from netra_backend.app.agents.registry import AgentRegistry
from netra_backend.app.db import RunStatus
from netra_backend.app.errors import (
    AgentError,
    AgentTimeoutError,
    ProtocolError,
    RunCancelled,
    StorageError,
)
from netra_backend.app.metrics import Metrics, unserved
from netra_backend.app.plans import DEFAULT_PLAN_LIMITS, PlanTable, RunQuota, Subscription
from netra_backend.app.websocket_core.events import EventType

logger = logging.getLogger(__name__)

SETTLE_SECONDS = 5.0
"""At shutdown, how long stopped runs get to record and emit their terminal event."""

Admission = Callable[[str, str, Subscription], Awaitable[None]]
"""A shared (cross-instance) check of a new run ``(user_id, run_id, plan)``; raises
:class:`ProtocolError` to refuse it."""

Publish = Callable[[str, str, Mapping[str, Any], str], Awaitable[Any]]


class RunRecorder(Protocol):
    """Where runs are recorded (``RunStore`` in production)."""

    async def create(
        self, run_id: str, user_id: str, agent: str, request: dict[str, Any]
    ) -> None: ...

    async def finish(
        self,
        run_id: str,
        status: str,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None: ...


def _json_safe(value: Any) -> Any:
    """A copy of ``value`` that JSON can hold (unknown types become strings)."""
    try:  # orjson: ~8x faster; what it refuses (ints over 64 bits) takes the json path
        return orjson.loads(orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS))
    except TypeError:
        return json.loads(json.dumps(value, default=str))


class _Run:
    """The run handle given to an agent; emits through the runtime's ``publish``."""

    def __init__(self, request: AgentRequest, publish: Publish, tool_timeout: float) -> None:
        self.run_id = request.run_id
        self._request = request
        self._publish = publish
        self._tool_timeout = tool_timeout
        self.thought = False
        self._calls = 0

    async def emit(self, event_type: EventType, data: Mapping[str, Any]) -> None:
        payload = {"agent": self._request.agent, **data}
        await self._publish(self._request.user_id, event_type, payload, self.run_id)

    async def think(self, text: str) -> None:
        self.thought = True
        await self.emit(EventType.AGENT_THINKING, {"text": str(text)})

    async def message_delta(self, message_id: str, delta: str) -> None:
        if delta:
            data = {"message_id": str(message_id), "delta": str(delta)}
            await self.emit(EventType.AGENT_MESSAGE_DELTA, data)

    async def use_tool(self, tool: Tool, arguments: Mapping[str, Any]) -> Any:
        if not self.thought:
            await self.think(f"Using the {tool.name} tool")
        self._calls += 1
        call_id = f"{self.run_id[:8]}-{self._calls}"
        args = _json_safe(dict(arguments))
        await self.emit(
            EventType.TOOL_EXECUTING, {"tool": tool.name, "call_id": call_id, "arguments": args}
        )
        started = time.perf_counter()
        completed: dict[str, Any] = {"tool": tool.name, "call_id": call_id, "arguments": args}
        try:
            try:
                async with asyncio.timeout(self._tool_timeout):
                    result = _json_safe(await tool.invoke(arguments))
            except TimeoutError:
                # A tool on a worker thread cannot be stopped, but the run no longer waits.
                raise AgentTimeoutError(self._tool_timeout, what=f"tool {tool.name!r}") from None
        except BaseException as exc:
            if isinstance(exc, AgentError):
                error = exc
            elif isinstance(exc, asyncio.CancelledError):
                error = AgentError(
                    f"tool {tool.name!r} was stopped: the run was cancelled", code="cancelled"
                )
            else:
                error = AgentError(f"tool {tool.name!r} failed")
            completed.update(error={"code": error.code, "message": error.message})
            raise
        else:
            completed["result"] = result
            return result
        finally:
            completed["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
            await asyncio.shield(self.emit(EventType.TOOL_COMPLETED, completed))


class AgentRuntime:
    """Starts runs, enforces per-user limits, records runs and emits their events."""

    def __init__(
        self,
        registry: AgentRegistry,
        publish: Publish,
        *,
        recorder: RunRecorder | None = None,
        timeout_seconds: float = 60.0,
        tool_timeout_seconds: float = 30.0,
        plans: PlanTable = DEFAULT_PLAN_LIMITS,
        max_runs_in_flight: int = 1000,
        storage_ready: Callable[[], bool] | None = None,
        admission: Admission | None = None,
    ) -> None:
        self.registry = registry
        self._publish = publish
        self._recorder = recorder
        self.timeout_seconds = timeout_seconds
        self.tool_timeout_seconds = tool_timeout_seconds
        self.quota = RunQuota(plans)
        self.max_runs_in_flight = max_runs_in_flight
        self._storage_ready = storage_ready
        self._admission = admission
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._owners: dict[str, str] = {}
        self._cancelled: set[str] = set()
        self._work: dict[str, asyncio.Task[JSONDict]] = {}
        self._active: dict[str, set[str]] = {}
        self.conversations = ConversationLocks()
        self._stopping = False
        self.metrics: Metrics = unserved()

    def active_runs(self, user_id: str) -> int:
        """How many runs of ``user_id`` are in flight."""
        return len(self._active.get(user_id, ()))

    def run_ids(self) -> list[str]:
        """Every run in flight on this runtime (their leases are refreshed)."""
        return list(self._tasks)

    async def cancel(self, user_id: str, run_id: str) -> bool:
        """Stop ``user_id``'s run ``run_id``; False when it is not that user's run in flight.

        The agent's work is cancelled (a tool call in progress ends as ``tool_completed`` with
        an error); the run ends with ``agent_cancelled`` and is recorded ``cancelled``.
        """
        if self._owners.get(run_id) != user_id or run_id in self._cancelled:
            return False
        work = self._work.get(run_id)
        if work is None:
            return False  # between its work and its terminal event: it is ending anyway
        self._cancelled.add(run_id)
        work.cancel()
        return True

    async def start(
        self,
        *,
        user_id: str,
        agent: str,
        message: str,
        context: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        conversation_id: str | None = None,
        subscription: Subscription = Subscription.FREE,
    ) -> str:
        """Validate and start a run as its own task; return its ``run_id``.

        ``subscription`` is the user's plan, whose limits apply. Raises :class:`ProtocolError`
        (``unknown_agent``, ``conversation_busy``, ``rate_limited``, ``server_busy``,
        ``storage_unavailable``, ``shutting_down``) before anything is emitted or recorded.
        """
        if self._stopping:
            raise ProtocolError("shutting_down", "the server is shutting down; try again shortly")
        if self._storage_ready is not None and not self._storage_ready():
            raise ProtocolError(
                "storage_unavailable",
                "the event log cannot be written right now; no run is started unrecorded",
                retry_after=2.0,
            )
        if len(self._tasks) >= self.max_runs_in_flight:
            raise ProtocolError(
                "server_busy",
                f"{len(self._tasks)} runs in flight on this server; try again shortly",
                retry_after=1.0,
            )
        if self.registry.get(agent) is None:
            raise ProtocolError("unknown_agent", self.registry.unknown_agent_message(agent))
        # Before the plan's counters: a refused request must not use up the user's quota.
        self.conversations.ensure_free(user_id, conversation_id)
        self.quota.admit(user_id, subscription, self.active_runs(user_id))
        run_id = uuid.uuid4().hex
        # Taken before the first await, so a second request arriving meanwhile is refused.
        self.conversations.acquire(user_id, conversation_id, run_id)
        if self._admission is not None:
            try:
                await self._admission(user_id, run_id, subscription)
            except BaseException:
                self.quota.refund(user_id)
                self.conversations.release(user_id, conversation_id, run_id)
                raise
        request = AgentRequest(
            run_id=run_id,
            user_id=user_id,
            agent=agent,
            message=message,
            context=dict(context or {}),
            request_id=request_id,
            conversation_id=conversation_id,
        )
        self._active.setdefault(user_id, set()).add(request.run_id)
        self._owners[request.run_id] = user_id
        task = asyncio.create_task(self._execute(request), name=f"run-{request.run_id}")
        self._tasks[request.run_id] = task
        task.add_done_callback(lambda _t: self._forget(request))
        return request.run_id

    async def wait(self, run_id: str) -> None:
        """Wait until the run has emitted its terminal event (for tests and shutdown)."""
        task = self._tasks.get(run_id)
        if task is not None:
            await asyncio.shield(task)

    async def shutdown(self, grace_seconds: float = 20.0) -> None:
        """Drain: start no new run, let runs in flight finish within ``grace_seconds``.

        Runs still going then are stopped and end with ``agent_failed`` code
        ``server_shutdown`` (recorded ``failed``). Only the agents' own work is cancelled: the
        runtime's bookkeeping (database writes, terminal events) gets up to
        :data:`SETTLE_SECONDS` more, because cancelling a database call half-way leaves its
        connection in an unknown state; a run busy past that is cancelled outright.
        """
        self._stopping = True
        tasks = list(self._tasks.values())
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=grace_seconds)
        if not pending:
            return
        logger.warning("%d runs still going after the shutdown grace; stopping them", len(pending))
        for work in list(self._work.values()):
            work.cancel()
        _done, pending = await asyncio.wait(pending, timeout=SETTLE_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _forget(self, request: AgentRequest) -> None:
        self._tasks.pop(request.run_id, None)
        self._owners.pop(request.run_id, None)
        self._cancelled.discard(request.run_id)
        self._release(request)

    def _release(self, request: AgentRequest) -> None:
        self.conversations.release(request.user_id, request.conversation_id, request.run_id)
        active = self._active.get(request.user_id)
        if active is not None:
            active.discard(request.run_id)
            if not active:
                del self._active[request.user_id]

    async def _execute(self, request: AgentRequest) -> None:
        run = _Run(request, self._publish, self.tool_timeout_seconds)
        started = time.perf_counter()
        recorded: dict[str, Any] = {
            "message": request.message,
            "context": _json_safe(dict(request.context)),
            "request_id": request.request_id,
        }
        if request.conversation_id is not None:
            recorded["conversation_id"] = request.conversation_id
        await self._record("create", request.run_id, request.user_id, request.agent, recorded)
        await run.emit(
            EventType.AGENT_STARTED, {"request_id": request.request_id, "message": request.message}
        )
        agent = self.registry.get(request.agent)
        assert agent is not None  # checked in start(); registries only grow
        error: AgentError | None = None
        result: JSONDict | None = None
        # The agent's work runs as its own task so that shutdown can cancel it alone.
        work = asyncio.create_task(agent.run(request, run), name=f"work-{request.run_id}")
        self._work[request.run_id] = work
        if self._stopping:
            work.cancel()
        try:
            async with asyncio.timeout(self.timeout_seconds):
                result = await work
            if not isinstance(result, dict):
                raise AgentError(f"agent returned {type(result).__name__}, expected an object")
            result = _json_safe(result)
        except TimeoutError:
            error = AgentTimeoutError(self.timeout_seconds)
        except AgentError as exc:
            error = exc
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # this task itself is being cancelled (shutdown's grace ran out)
            if request.run_id in self._cancelled:
                error = RunCancelled()
            else:
                error = AgentError(
                    "the server shut down before the run finished", code="server_shutdown"
                )
        except Exception:
            logger.exception("agent %s crashed in run %s", request.agent, request.run_id)
            error = AgentError("the agent failed unexpectedly", code="agent_error")
        finally:
            self._work.pop(request.run_id, None)
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        await self._finish(run, request, result, error, duration_ms)

    async def _finish(
        self,
        run: _Run,
        request: AgentRequest,
        result: JSONDict | None,
        error: AgentError | None,
        duration_ms: float,
    ) -> None:
        if not run.thought:
            await run.think("Preparing the answer")
        common = {"request_id": request.request_id, "duration_ms": duration_ms}
        # Record the outcome and free the user's run slot *before* the terminal event: a client
        # that reacts to it at once must find the run finished and may start the next one.
        if error is None:
            await self._record("finish", request.run_id, RunStatus.COMPLETED, result)
            self._release(request)
            await self._terminal(run, EventType.AGENT_COMPLETED, {**common, "result": result})
        elif isinstance(error, RunCancelled):
            await self._record("finish", request.run_id, RunStatus.CANCELLED, None, error.as_dict())
            self._release(request)
            await self._terminal(run, EventType.AGENT_CANCELLED, common)
        else:
            failure = error.as_dict()
            await self._record("finish", request.run_id, RunStatus.FAILED, None, failure)
            self._release(request)
            await self._terminal(run, EventType.AGENT_FAILED, {**common, "error": failure})

    async def _terminal(self, run: _Run, event_type: EventType, data: Mapping[str, Any]) -> None:
        # The event log commits a terminal event before this returns; if it never can (the
        # server stops with the database unreachable) the run's events were never delivered,
        # and the next start settles the run as interrupted.
        request = run._request
        self.metrics.run_ended(request.agent, event_type, data["duration_ms"] / 1000)
        try:
            await run.emit(event_type, data)
        except StorageError:
            logger.error("run %s ended but its terminal event was not committed", run.run_id)
        ids = {"run_id": run.run_id, "user_id": request.user_id}
        logger.info("run %s of %s ended: %s", run.run_id, request.agent, event_type, extra=ids)

    async def _record(self, method: str, *args: Any) -> None:
        # A database hiccup must not cost the user their live events: log it and go on.
        if self._recorder is None:
            return
        try:
            await getattr(self._recorder, method)(*args)
        except Exception:
            logger.exception("could not record run %s (%s)", args[0], method)
