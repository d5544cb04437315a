"""The read-your-writes rule with stand-in versions: version order, the floor store, where a
read goes (tests/server/test_streaming_replica.py runs the whole rule against a real replica)."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.pool import create_pool
from services.platform.cache import Backend, BoundedMemoryCache, build_backend
from services.platform.read_your_writes import (
    Floors,
    ReadRouting,
    ReadTarget,
    caller_key,
    is_behind,
    parse_version,
)
from services.platform.settings import Settings
from tests.redis_server import REDIS_URL, redis_is_reachable

BACKENDS = ["memory", *(["redis"] if redis_is_reachable() else [])]
EPOCH = "1f0c9a"


def test_a_version_token_parses_into_epoch_and_number() -> None:
    assert parse_version("1f0c9a:42") == ("1f0c9a", 42)


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_within_one_epoch_a_version_is_behind_only_a_larger_floor(version: int, floor: int) -> None:
    assert is_behind(f"{EPOCH}:{version}", f"{EPOCH}:{floor}") == (version < floor)


def test_a_replica_of_another_epoch_is_behind_every_floor() -> None:
    assert is_behind("a0:100", f"{EPOCH}:1")


def test_callers_are_keyed_by_their_token_subject() -> None:
    assert caller_key("writer") == "sub:writer"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=BACKENDS)
async def floors(request: pytest.FixtureRequest) -> AsyncIterator[Floors]:
    namespace = f"insighta-test-floor-{uuid.uuid4().hex[:8]}"
    settings = Settings(redis_url=REDIS_URL if request.param == "redis" else None)
    store = Floors(build_backend(settings, namespace=namespace, max_entries=10), ttl=60)
    yield store
    await store.close()


async def test_a_floor_only_rises(floors: Floors) -> None:
    assert await floors.get("sub:a") is None
    await floors.raise_to("sub:a", f"{EPOCH}:5")
    await floors.raise_to("sub:a", f"{EPOCH}:3")
    assert await floors.get("sub:a") == f"{EPOCH}:5"
    await floors.raise_to("sub:a", f"{EPOCH}:9")
    assert await floors.get("sub:a") == f"{EPOCH}:9"
    assert await floors.get("sub:b") is None


async def test_a_floor_from_a_new_epoch_replaces_the_old_one(floors: Floors) -> None:
    await floors.raise_to("sub:a", f"{EPOCH}:5")
    await floors.raise_to("sub:a", "b7:1")
    assert await floors.get("sub:a") == "b7:1"


async def test_a_floor_lapses_after_its_ttl() -> None:
    clock = Clock()
    memory = BoundedMemoryCache(max_entries=10, clock=clock, timeout=None)
    floors = Floors(Backend(memory, stores_bytes=False, errors=(OSError,)), ttl=60)
    await floors.raise_to("sub:a", f"{EPOCH}:5")
    clock.now = 59.0
    assert await floors.get("sub:a") == f"{EPOCH}:5"
    clock.now = 60.0
    assert await floors.get("sub:a") is None


class Versions:
    """A data version source that says what the test sets and counts how often it is asked."""

    def __init__(self, number: int) -> None:
        self.number, self.reads = number, 0

    async def current(self) -> str:
        self.reads += 1
        return f"{EPOCH}:{self.number}"


class BrokenMemoryCache(BoundedMemoryCache):
    async def _get(self, key: str, encoding: str | None = "utf-8", _conn: Any = None) -> Any:
        raise OSError("backend down")


@pytest.fixture
async def replica(database_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    """A second pool: which pool a read is given is what these tests look at."""
    pool = await create_pool(database_dsn, max_size=1)
    yield pool
    await pool.close()


def memory_floors(cache: BoundedMemoryCache | None = None) -> Floors:
    backend = BoundedMemoryCache(max_entries=10, timeout=None) if cache is None else cache
    return Floors(Backend(backend, stores_bytes=False, errors=(OSError,)))


async def test_without_a_replica_every_read_goes_to_the_primary_unasked(
    pool: asyncpg.Pool,
) -> None:
    versions = Versions(1)
    reads = ReadRouting(
        pool, pool, primary_versions=versions, replica_versions=versions, floors=None
    )
    await reads.note_write("sub:a")
    assert await reads.target("sub:a") == ReadTarget(pool)
    assert versions.reads == 0


async def test_a_caller_behind_its_floor_reads_the_primary_at_the_primary_version(
    pool: asyncpg.Pool, replica: asyncpg.Pool
) -> None:
    primary_versions, replica_versions = Versions(7), Versions(7)
    reads = ReadRouting(
        pool,
        replica,
        primary_versions=primary_versions,
        replica_versions=replica_versions,
        floors=memory_floors(),
    )
    assert await reads.target("sub:a") == ReadTarget(replica, f"{EPOCH}:7")
    primary_versions.number = 9  # a write the replica has not replayed
    await reads.note_write("sub:a")
    assert await reads.target("sub:a") == ReadTarget(pool, f"{EPOCH}:9")
    assert await reads.target("sub:b") == ReadTarget(replica, f"{EPOCH}:7")
    assert await reads.target(None) == ReadTarget(replica, f"{EPOCH}:7")
    replica_versions.number = 9
    assert await reads.target("sub:a") == ReadTarget(replica, f"{EPOCH}:9")
    assert reads.to_primary == 1


async def test_an_unreadable_floor_sends_the_read_to_the_primary(
    pool: asyncpg.Pool, replica: asyncpg.Pool
) -> None:
    versions = Versions(3)
    reads = ReadRouting(
        pool,
        replica,
        primary_versions=versions,
        replica_versions=versions,
        floors=memory_floors(BrokenMemoryCache(max_entries=10, timeout=None)),
    )
    await reads.note_write("sub:a")  # logged, not raised: the mutation itself succeeded
    assert await reads.target("sub:a") == ReadTarget(pool, f"{EPOCH}:3")
