"""QueuedSender with stand-in sockets: bounds, flush, failures, a stuck write, send_wait."""

from __future__ import annotations

import asyncio

import pytest

from netra_backend.app.websocket_core.sender import QueuedSender, SenderClosedError

pytestmark = pytest.mark.unit

HANG_GUARD = 10.0
"""Seconds after which a test gives up instead of hanging; never an assertion on timing."""


class StandInSocket:
    """Records frames and closes; ``close_yields`` makes close take that many loop turns."""

    def __init__(self, *, close_yields: int = 0) -> None:
        self.frames: list[str] = []
        self.closes: list[tuple[int, str | None]] = []
        self.close_yields = close_yields

    async def send_text(self, data: str) -> None:
        await asyncio.sleep(0)  # a real socket hands the frame to the transport
        self.frames.append(data)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        for _ in range(self.close_yields):
            await asyncio.sleep(0)
        self.closes.append((code, reason))


class BlockedSocket(StandInSocket):
    """Every write waits for ``release`` (a client that stopped reading)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.started = asyncio.Event()
        self.cancelled = 0

    async def send_text(self, data: str) -> None:
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        self.frames.append(data)


class BrokenSocket(StandInSocket):
    """The first write fails: the client is gone."""

    async def send_text(self, data: str) -> None:
        await asyncio.sleep(0)
        raise ConnectionResetError("peer went away")


class SlowSocket(StandInSocket):
    """Each write waits for one permit; ``progress`` is set after every write."""

    def __init__(self) -> None:
        super().__init__()
        self.permits = asyncio.Semaphore(0)
        self.progress = asyncio.Event()

    async def send_text(self, data: str) -> None:
        await self.permits.acquire()
        self.frames.append(data)
        self.progress.set()


async def test_put_over_max_frames_closes_with_1013_and_sets_dead() -> None:
    socket = StandInSocket()
    sender = QueuedSender(socket, 3)
    async with sender.running():
        for n in range(3):
            sender.put(f"f{n}")
        with pytest.raises(SenderClosedError, match="too slow"):
            sender.put("f3")
        assert sender.dead.is_set()
        assert sender.closed
        with pytest.raises(SenderClosedError):
            sender.put("late")
    assert socket.closes == [(1013, "client too slow")]
    assert socket.frames == []  # a too-slow client's queue is dropped, not sent


async def test_put_over_max_chars_closes_with_1013_and_sets_dead() -> None:
    socket = StandInSocket()
    sender = QueuedSender(socket, 100, max_chars=10)
    async with sender.running():
        sender.put("abcdef")
        with pytest.raises(SenderClosedError):
            sender.put("ghijk")  # 11 characters queued > 10
        assert sender.dead.is_set()
    assert socket.closes == [(1013, "client too slow")]


async def test_put_up_to_max_chars_is_accepted() -> None:
    socket = StandInSocket()
    sender = QueuedSender(socket, 100, max_chars=10)
    async with sender.running():
        sender.put("abcde")
        sender.put("fghij")
    assert socket.frames == ["abcde", "fghij"]
    assert not sender.dead.is_set()
    assert socket.closes == []


async def test_overflow_close_completes_when_the_endpoint_leaves_at_once() -> None:
    socket = StandInSocket(close_yields=20)  # a close frame takes a few turns to go out
    sender = QueuedSender(socket, 2)
    async with sender.running():
        sender.put("a")
        sender.put("b")
        with pytest.raises(SenderClosedError):
            sender.put("c")
        await sender.dead.wait()
    assert socket.closes == [(1013, "client too slow")]


async def test_running_flushes_queued_frames_on_exit_in_order() -> None:
    socket = StandInSocket()
    sender = QueuedSender(socket, 100)
    async with sender.running():
        for n in range(20):
            sender.put(f"f{n}")
        assert sender.queued == 20
    assert socket.frames == [f"f{n}" for n in range(20)]
    assert sender.queued == 0
    assert sender.closed and not sender.dead.is_set()
    assert socket.closes == []
    with pytest.raises(SenderClosedError, match="closed"):
        await sender.send_text("after the end")


async def test_send_text_queues_without_waiting_for_the_socket() -> None:
    socket = BlockedSocket()
    sender = QueuedSender(socket, 100, write_timeout=HANG_GUARD)
    async with sender.running(flush_timeout=0.01):
        for n in range(5):
            await sender.send_text(f"f{n}")
        assert sender.queued == 5
        socket.release.set()
    assert socket.frames == [f"f{n}" for n in range(5)]


async def test_a_failed_send_drains_the_queue_and_sets_dead() -> None:
    socket = BrokenSocket()
    sender = QueuedSender(socket, 100)
    async with asyncio.timeout(HANG_GUARD), sender.running():
        for n in range(5):
            sender.put(f"f{n}")
        await sender.dead.wait()
        assert sender.queued == 0
        assert sender.closed
        with pytest.raises(SenderClosedError):
            sender.put("late")
    assert socket.frames == []


async def test_a_write_blocked_past_write_timeout_closes_with_1013() -> None:
    socket = BlockedSocket()
    sender = QueuedSender(socket, 100, write_timeout=0.05)
    try:
        async with asyncio.timeout(HANG_GUARD), sender.running():
            sender.put("stuck")
            sender.put("behind it")
            await sender.dead.wait()
            assert sender.closed
            with pytest.raises(SenderClosedError):
                sender.put("late")
    finally:
        socket.release.set()
    assert socket.started.is_set()
    assert socket.cancelled == 1  # the blocked write was given up
    assert socket.frames == []
    assert socket.closes == [(1013, "client too slow")]


async def test_a_slow_but_moving_writer_is_not_closed() -> None:
    # Each write completes as soon as it is let through; the watchdog only fires on one write
    # that does not complete. Driven by permits, no clock involved.
    socket = SlowSocket()
    sender = QueuedSender(socket, 100, write_timeout=HANG_GUARD)
    async with asyncio.timeout(HANG_GUARD), sender.running():
        for n in range(10):
            sender.put(f"f{n}")
        for _ in range(10):
            socket.permits.release()
            await socket.progress.wait()
            socket.progress.clear()
    assert socket.frames == [f"f{n}" for n in range(10)]
    assert not sender.dead.is_set()


async def test_running_exit_gives_up_a_blocked_flush_after_flush_timeout() -> None:
    socket = BlockedSocket()
    sender = QueuedSender(socket, 100, write_timeout=HANG_GUARD)
    try:
        async with asyncio.timeout(HANG_GUARD):
            async with sender.running(flush_timeout=0.01):
                sender.put("never written")
            # Leaving did not hang on the blocked write.
            assert sender.closed
    finally:
        socket.release.set()
    assert socket.frames == []


async def test_send_wait_waits_for_room_and_delivers_every_frame_in_order() -> None:
    socket = SlowSocket()
    max_frames, count = 8, 60
    sender = QueuedSender(socket, max_frames, write_timeout=HANG_GUARD)
    most_queued = 0

    async def produce() -> None:
        nonlocal most_queued
        for n in range(count):
            await sender.send_wait(f"f{n}")
            most_queued = max(most_queued, sender.queued)

    async with asyncio.timeout(HANG_GUARD), sender.running():
        producer = asyncio.create_task(produce())
        while len(socket.frames) < count:
            socket.permits.release()
            await socket.progress.wait()
            socket.progress.clear()
            assert sender.queued <= max_frames // 2
        await producer
    assert socket.frames == [f"f{n}" for n in range(count)]
    assert most_queued <= max_frames // 2
    assert not sender.dead.is_set()
    assert socket.closes == []


async def test_send_wait_raises_when_the_sender_dies_while_waiting() -> None:
    socket = BlockedSocket()
    sender = QueuedSender(socket, 4, write_timeout=HANG_GUARD)
    try:
        async with asyncio.timeout(HANG_GUARD), sender.running(flush_timeout=0.01):
            await sender.send_wait("a")
            await sender.send_wait("b")  # half full now: no room for the next one
            waiting = asyncio.create_task(sender.send_wait("c"))
            await socket.started.wait()
            assert not waiting.done()
            sender.abort_too_slow()
            with pytest.raises(SenderClosedError):
                await waiting
            assert sender.dead.is_set()
    finally:
        socket.release.set()


async def test_abort_too_slow_drops_the_queue_and_closes_with_1013() -> None:
    socket = StandInSocket()
    sender = QueuedSender(socket, 100)
    async with sender.running():
        for n in range(3):
            sender.put(f"f{n}")
        sender.abort_too_slow()
        assert sender.dead.is_set() and sender.closed
        with pytest.raises(SenderClosedError):
            sender.put("late")
    assert socket.frames == []
    assert socket.closes == [(1013, "client too slow")]
