"""``BatchLoader``: concurrent lookups share one fetch; keys asked for mid-fetch share the next."""

from __future__ import annotations

import asyncio

import pytest

from netra_backend.app.db import BatchLoader

pytestmark = pytest.mark.unit


class Source:
    """A fetch that records each batch and can be held open."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.release.set()
        self.fail = False
        self.started = asyncio.Event()

    async def fetch(self, keys: list[str]) -> dict[str, int]:
        self.batches.append(sorted(keys))
        self.started.set()
        await self.release.wait()
        if self.fail:
            raise RuntimeError("database down")
        return {key: len(key) for key in keys if not key.startswith("missing")}


async def test_batch_loader_answers_concurrent_loads_with_one_fetch() -> None:
    source = Source()
    loader = BatchLoader(source.fetch)
    values = await asyncio.gather(*(loader.load(k) for k in ["a", "bb", "missing", "a"]))
    assert values == [1, 2, None, 1]
    assert source.batches == [["a", "bb", "missing"]]


async def test_batch_loader_keys_asked_during_a_fetch_wait_for_one_next_fetch() -> None:
    source = Source()
    source.release.clear()
    loader = BatchLoader(source.fetch)
    first = asyncio.ensure_future(loader.load("a"))
    await source.started.wait()
    later = [asyncio.ensure_future(loader.load(k)) for k in ["b", "cc", "ddd"]]
    for _ in range(5):
        await asyncio.sleep(0)
    assert source.batches == [["a"]], "a second fetch started while the first was running"
    source.release.set()
    assert await first == 1
    assert await asyncio.gather(*later) == [1, 2, 3]
    assert source.batches == [["a"], ["b", "cc", "ddd"]]


async def test_batch_loader_error_reaches_every_caller_of_the_batch_and_the_next_works() -> None:
    source = Source()
    source.fail = True
    loader = BatchLoader(source.fetch)
    results = await asyncio.gather(loader.load("a"), loader.load("b"), return_exceptions=True)
    assert [type(r) for r in results] == [RuntimeError, RuntimeError]
    source.fail = False
    assert await loader.load("a") == 1


async def test_batch_loader_splits_batches_over_the_maximum() -> None:
    source = Source()
    loader = BatchLoader(source.fetch, max_batch=2)
    assert await asyncio.gather(*(loader.load(k) for k in ["a", "b", "c"])) == [1, 1, 1]
    assert source.batches == [["a", "b"], ["c"]]
