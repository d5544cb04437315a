"""The result cache: bounded memory, TTLs without loop timers, key separator, single-flight.

The backend-independent tests run once per backend: the bounded memory one always, and Redis
(127.0.0.1:6379) as a second parameter only when a Redis answers there, so a machine without
Redis runs the memory variant and skips nothing.
"""

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.platform.cache import BoundedMemoryCache, Codec, ResultCache, build_result_cache
from services.platform.settings import Settings
from tests.redis_server import REDIS_URL, redis_is_reachable

BACKENDS = ["memory", *(["redis"] if redis_is_reachable() else [])]


class FixedVersion:
    def __init__(self, version: int = 1) -> None:
        self.version = version

    async def current(self) -> str:
        return f"test-epoch:{self.version}"


class IntCodec:
    def dumps(self, value: int) -> bytes:
        return str(value).encode()

    def loads(self, data: bytes) -> int:
        return int(data)


INT_CODEC: Codec[int] = IntCodec()


async def callers_registered(cache: ResultCache, count: int, *, deadline: float = 5.0) -> None:
    """Wait until `count` callers have missed or joined (each Redis lookup is a round trip)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline
    while loop.time() < give_up:
        if cache.misses + cache.joined >= count:
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"only {cache.misses + cache.joined} of {count} callers arrived")


@pytest.fixture(params=BACKENDS)
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[ResultCache]:
    redis_url = REDIS_URL if request.param == "redis" else None
    settings = Settings(redis_url=redis_url, cache_ttl_seconds=60, cache_max_entries=100)
    namespace = f"insighta-test-{uuid.uuid4().hex[:8]}"
    result_cache = build_result_cache(settings, FixedVersion(), namespace=namespace)
    yield result_cache
    await result_cache.backend.clear(namespace=namespace)
    await result_cache.close()


async def test_second_read_is_a_hit(cache: ResultCache) -> None:
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        return 42

    assert await cache.get_or_compute("answer", compute, INT_CODEC) == 42
    assert await cache.get_or_compute("answer", compute, INT_CODEC) == 42
    assert (calls, cache.hits, cache.misses) == (1, 1, 1)


async def test_concurrent_misses_share_one_computation(cache: ResultCache) -> None:
    release = asyncio.Event()
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return 7

    callers = [
        asyncio.create_task(cache.get_or_compute("slow", compute, INT_CODEC)) for _ in range(20)
    ]
    await callers_registered(cache, 20)
    release.set()
    assert await asyncio.gather(*callers) == [7] * 20
    assert calls == 1
    assert (cache.misses, cache.joined) == (1, 19)


async def test_a_failed_computation_reaches_every_waiter_and_is_not_stored(
    cache: ResultCache,
) -> None:
    release = asyncio.Event()

    async def failing() -> int:
        await release.wait()
        raise RuntimeError("database went away")

    callers = [
        asyncio.create_task(cache.get_or_compute("broken", failing, INT_CODEC)) for _ in range(3)
    ]
    await callers_registered(cache, 3)
    release.set()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)

    async def working() -> int:
        return 5

    assert await cache.get_or_compute("broken", working, INT_CODEC) == 5


async def test_a_caller_that_leaves_does_not_cancel_the_shared_computation(
    cache: ResultCache,
) -> None:
    release = asyncio.Event()

    async def compute() -> int:
        await release.wait()
        return 3

    leaver = asyncio.create_task(cache.get_or_compute("shared", compute, INT_CODEC))
    stayer = asyncio.create_task(cache.get_or_compute("shared", compute, INT_CODEC))
    await callers_registered(cache, 2)
    leaver.cancel()
    release.set()
    assert await stayer == 3
    with pytest.raises(asyncio.CancelledError):
        await leaver


async def test_a_new_data_version_misses_the_old_entry(cache: ResultCache) -> None:
    assert isinstance(cache.versions, FixedVersion)
    values = iter([1, 2])

    async def compute() -> int:
        return next(values)

    assert await cache.get_or_compute("total", compute, INT_CODEC) == 1
    cache.versions.version += 1
    assert await cache.get_or_compute("total", compute, INT_CODEC) == 2


async def test_ttl_zero_disables_the_cache() -> None:
    settings = Settings(cache_ttl_seconds=0)
    disabled = build_result_cache(settings, FixedVersion())
    calls = 0

    async def compute() -> int:
        nonlocal calls
        calls += 1
        return calls

    assert [await disabled.get_or_compute("k", compute, INT_CODEC) for _ in range(2)] == [1, 2]


async def test_namespace_and_key_are_joined_with_a_separator() -> None:
    memory = build_result_cache(Settings(), FixedVersion(), namespace="insighta")
    assert memory.backend.build_key("page:x", namespace="insighta") == "insighta:page:x"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_backend_evicts_least_recently_used_beyond_its_bound() -> None:
    backend = BoundedMemoryCache(max_entries=3, timeout=None)
    for key in ("a", "b", "c"):
        await backend.set(key, key.upper())
    assert await backend.get("a") == "A"  # a is now the most recently used
    await backend.set("d", "D")
    assert len(backend) == 3
    assert await backend.get("b") is None
    assert [await backend.get(key) for key in ("a", "c", "d")] == ["A", "C", "D"]


async def test_memory_backend_expires_entries_by_deadline() -> None:
    clock = FakeClock()
    backend = BoundedMemoryCache(max_entries=10, clock=clock, timeout=None)
    await backend.set("k", "v", ttl=30)
    clock.now += 29.9
    assert await backend.get("k") == "v"
    clock.now += 0.2
    assert await backend.get("k") is None
    assert len(backend) == 0


def test_memory_ttl_holds_after_the_loop_that_set_it_is_gone() -> None:
    """aiocache's own memory backend expires entries with loop.call_later: once that loop is
    closed the timer never fires and the entry lives forever. Ours checks a deadline."""
    clock = FakeClock()
    backend = BoundedMemoryCache(max_entries=10, clock=clock, timeout=None)

    def in_a_new_loop(coroutine: Any) -> Any:
        # A thread of its own: this test runs inside pytest-asyncio's session loop.
        result: list[Any] = []
        thread = threading.Thread(target=lambda: result.append(asyncio.run(coroutine)))
        thread.start()
        thread.join()
        return result[0]

    in_a_new_loop(backend.set("k", "v", ttl=5))
    clock.now += 6
    assert in_a_new_loop(backend.get("k")) is None
