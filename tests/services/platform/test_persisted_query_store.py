"""The persisted query store holds at most its bytes, in this process and in Redis.

The Redis tests run against the test Redis when one answers (tests/redis_server.py), each in
its own namespace, and measure what Redis itself reports holding.
"""

import gc
import hashlib
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from typing import Final

import pytest
from redis.asyncio import Redis

from services.platform.persisted_query_store import (
    MemoryQueryStore,
    QueryStore,
    RedisQueryStore,
    entry_cost,
)
from tests.redis_server import REDIS_URL, redis_is_reachable

KiB: Final = 1 << 10
BACKENDS = ["memory", *(["redis"] if redis_is_reachable() else [])]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def text_of(size: int, *, astral: bool = False) -> tuple[str, str]:
    """A distinct text of `size` characters and its digest; `astral` puts one character
    outside the Basic Multilingual Plane in it (CPython then stores 4 bytes a character)."""
    head = uuid.uuid4().hex + ("\U0001f600" if astral else "")
    text = head + "x" * (size - len(head))
    return hashlib.sha256(text.encode()).hexdigest(), text


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    yield client
    await client.aclose()


@pytest.fixture(params=BACKENDS)
async def store_factory(
    request: pytest.FixtureRequest, redis: Redis
) -> AsyncIterator[tuple[str, list[QueryStore], Clock]]:
    """A way to make stores of one backend (each test builds its own with its bound)."""
    clock, stores, namespace = Clock(), list[QueryStore](), f"test-apq-{uuid.uuid4().hex}"
    yield request.param, stores, clock
    for store in stores:
        await store.close()
    if request.param == "redis":
        await redis.delete(f"{{{namespace}}}:texts", f"{{{namespace}}}:recency")


def make_store(
    backend: str, stores: list[QueryStore], clock: Clock, *, max_bytes: int, ttl: float = 60
) -> QueryStore:
    store: QueryStore
    if backend == "redis":
        namespace = f"test-apq-{uuid.uuid4().hex}"
        store = RedisQueryStore(
            REDIS_URL, namespace=namespace, max_bytes=max_bytes, ttl_seconds=ttl, clock=clock
        )
    else:
        store = MemoryQueryStore(max_bytes=max_bytes, ttl_seconds=ttl, clock=clock)
    stores.append(store)
    return store


async def test_many_large_texts_stay_under_the_bound_least_recently_used_out_first(
    store_factory: tuple[str, list[QueryStore], Clock],
) -> None:
    backend, stores, clock = store_factory
    bound = 128 * KiB
    store = make_store(backend, stores, clock, max_bytes=bound)
    entries = [text_of(8 * KiB) for _ in range(64)]  # 512 KiB offered
    for digest, text in entries:
        clock.now += 0.01  # a tick: Redis orders uses by the millisecond
        assert await store.put(digest, text, size=len(text))
        assert await store.held_bytes() <= bound
    # Fifteen of 8 KiB + overhead fit in 128 KiB.
    fit = bound // entry_cost(8 * KiB)
    assert await store.held_bytes() == fit * entry_cost(8 * KiB)
    kept = []
    for digest, _ in entries:
        clock.now += 0.01
        kept.append(await store.get(digest) is not None)
    assert kept == [False] * (64 - fit) + [True] * fit
    # Using the oldest kept entry makes it the newest: the next text pushes out another.
    oldest_kept = entries[64 - fit][0]
    clock.now += 0.01
    assert await store.get(oldest_kept) is not None
    clock.now += 0.01
    digest, text = text_of(8 * KiB)
    await store.put(digest, text, size=len(text))
    assert await store.get(oldest_kept) is not None
    assert await store.get(entries[64 - fit + 1][0]) is None


async def test_a_text_larger_than_the_bound_is_not_kept_and_evicts_nothing(
    store_factory: tuple[str, list[QueryStore], Clock],
) -> None:
    backend, stores, clock = store_factory
    store = make_store(backend, stores, clock, max_bytes=64 * KiB)
    small_digest, small = text_of(KiB)
    await store.put(small_digest, small, size=len(small))
    digest, text = text_of(64 * KiB)
    assert not await store.put(digest, text, size=len(text))
    assert await store.get(digest) is None
    assert await store.get(small_digest) == small


async def test_an_entry_expires_after_its_ttl_since_last_use_and_frees_its_bytes(
    store_factory: tuple[str, list[QueryStore], Clock],
) -> None:
    backend, stores, clock = store_factory
    store = make_store(backend, stores, clock, max_bytes=64 * KiB, ttl=60)
    digest, text = text_of(KiB)
    await store.put(digest, text, size=len(text))
    clock.now += 50
    assert await store.get(digest) == text  # used: another 60 s from now
    clock.now += 50
    assert await store.get(digest) == text
    clock.now += 61
    assert await store.get(digest) is None
    # The next registration sweeps it out, and its bytes with it.
    other, other_text = text_of(KiB)
    await store.put(other, other_text, size=len(other_text))
    assert await store.held_bytes() == entry_cost(KiB)


@pytest.mark.skipif(not redis_is_reachable(), reason="the store under test is Redis")
async def test_redis_holds_at_most_the_bound_as_redis_measures_it(redis: Redis) -> None:
    bound = 256 * KiB
    namespace = f"test-apq-{uuid.uuid4().hex}"
    store = RedisQueryStore(REDIS_URL, namespace=namespace, max_bytes=bound, ttl_seconds=60)
    try:
        for _ in range(40):  # 1.25 MiB offered, half tiny texts, half 60 KiB ones
            for size in (64, 60 * KiB):
                digest, text = text_of(size)
                await store.put(digest, text, size=size)
        texts, recency = store.keys
        # What Redis reports for both keys, counting every field (SAMPLES 0).
        held = sum([await redis.memory_usage(key, samples=0) or 0 for key in store.keys])
        assert await store.held_bytes() <= bound
        assert held <= bound
        # The counter is the entries' true cost.
        fields = [key for key in await redis.hkeys(texts) if key != b"bytes"]
        lengths = [await redis.hstrlen(texts, key) for key in fields]
        assert await store.held_bytes() == sum(entry_cost(length) for length in lengths)
        assert await redis.zcard(recency) == len(fields)
    finally:
        await redis.delete(*store.keys)
        await store.close()


@pytest.mark.parametrize("astral", [False, True], ids=["ascii", "astral"])
async def test_memory_held_by_the_in_process_store_stays_under_the_bound(astral: bool) -> None:
    # Measured by tracemalloc: 2 MiB of texts through a 256 KiB store. An emoji in each text
    # quadruples what CPython holds for it (the store counted UTF-8 bytes, and held 3.5x).
    store = MemoryQueryStore(max_bytes=256 * KiB, ttl_seconds=60)
    entries = [text_of(16 * KiB, astral=astral) for _ in range(128)]
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for digest, text in entries:
            await store.put(digest, text, size=len(text.encode()))
        del entries
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held <= 256 * KiB
