"""The one result cache (aiocache): bounded memory by default, Redis when REDIS_URL is set.

`ResultCache.get_or_compute(key, compute, codec)` is the whole interface. Both backends take
the same path; only where values live differs. aiocache's traps (docs/architecture.md) and what
this module does about each:
- namespace and key are joined with no separator: the key builder puts a ":" between them;
- in-memory TTLs are `loop.call_later` timers that die with the loop that set them: the
  memory backend here keeps a deadline beside each value and checks it on read instead;
- the memory cache is unbounded: this one holds at most `max_entries`, least recently used
  out first;
- `@cached` does no single-flight: concurrent misses on one key share one computation here
  (per process; with Redis, each server process computes a missing key at most once).
Keys carry the data version (services/platform/data_version.py), so a write makes every older entry
unreachable at once; old entries age out by TTL or LRU.
"""

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar

from aiocache.base import BaseCache
from aiocache.serializers import NullSerializer

from services.platform.metrics import record_cache_lookup
from services.platform.settings import Settings

logger = logging.getLogger(__name__)

NAMESPACE: Final = "insighta"
T = TypeVar("T")


class Codec(Protocol[T]):
    """How a value of one kind becomes bytes for a shared backend, and back."""

    def dumps(self, value: T) -> bytes: ...

    def loads(self, data: bytes) -> T: ...


class VersionSource(Protocol):
    async def current(self) -> str: ...


def _join_key(key: str, namespace: str | None = None) -> str:
    return f"{namespace}:{key}" if namespace else key


class BoundedMemoryCache(BaseCache):  # type: ignore[misc]  # aiocache is untyped
    """aiocache's memory backend, bounded (LRU) and with TTLs that do not need a live loop."""

    NAME = "bounded-memory"

    def __init__(
        self, *, max_entries: int, clock: Callable[[], float] = time.monotonic, **kwargs: Any
    ) -> None:
        super().__init__(serializer=NullSerializer(), **kwargs)
        self.max_entries = max_entries
        self._clock = clock
        # key -> (monotonic deadline or None, value); order is recency of use.
        self._entries: OrderedDict[str, tuple[float | None, Any]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def _get(self, key: str, encoding: str | None = "utf-8", _conn: Any = None) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return None
        deadline, value = entry
        if deadline is not None and deadline <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    async def _set(
        self,
        key: str,
        value: Any,
        ttl: float | None = None,
        _cas_token: Any = None,
        _conn: Any = None,
    ) -> bool:
        self._entries[key] = (self._clock() + ttl if ttl else None, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return True

    async def _add(self, key: str, value: Any, ttl: float | None = None, _conn: Any = None) -> bool:
        if await self._get(key) is not None:
            raise ValueError(f"Key {key} already exists, use .set to update the value")
        return await self._set(key, value, ttl=ttl)

    async def _exists(self, key: str, _conn: Any = None) -> bool:
        return await self._get(key) is not None

    async def _increment(self, key: str, delta: int, _conn: Any = None) -> int:
        entry = self._entries.get(key)
        if entry is None or (entry[0] is not None and entry[0] <= self._clock()):
            entry = (None, 0)
        deadline, value = entry
        self._entries[key] = (deadline, int(value) + delta)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return int(value) + delta

    async def _expire(self, key: str, ttl: float, _conn: Any = None) -> bool:
        entry = self._entries.get(key)
        if entry is None:
            return False
        self._entries[key] = (self._clock() + ttl if ttl else None, entry[1])
        return True

    async def _delete(self, key: str, _conn: Any = None) -> int:
        return 1 if self._entries.pop(key, None) is not None else 0

    async def _clear(self, namespace: str | None = None, _conn: Any = None) -> bool:
        if namespace:
            for key in [key for key in self._entries if key.startswith(namespace)]:
                del self._entries[key]
        else:
            self._entries.clear()
        return True


class ResultCache:
    def __init__(
        self,
        backend: BaseCache,
        versions: VersionSource,
        *,
        ttl_seconds: float,
        stores_bytes: bool,
        backend_errors: tuple[type[BaseException], ...] = (OSError, asyncio.TimeoutError),
    ) -> None:
        self.backend = backend
        self.versions = versions
        self.ttl_seconds = ttl_seconds
        self._stores_bytes = stores_bytes
        self._backend_errors = backend_errors
        self._flights: dict[str, asyncio.Task[Any]] = {}
        self.hits = self.misses = self.joined = 0

    @property
    def enabled(self) -> bool:
        return self.ttl_seconds > 0

    async def get_or_compute(
        self,
        key: str,
        compute: Callable[[], Awaitable[T]],
        codec: Codec[T],
        *,
        version: str | None = None,
    ) -> T:
        """The cached value for `key` at the current data version, else `compute()` once.

        `version`, when given, is the data version of the database `compute()` reads, already
        read by the caller (services/platform/read_your_writes.py); else `versions` is asked.
        Concurrent callers missing the same key await one computation. A failure is raised to
        every caller and nothing is stored. With the cache disabled (TTL 0) this is `compute()`.
        """
        if not self.enabled:
            return await compute()
        if version is None:
            version = await self.versions.current()
        versioned = f"v{version}:{key}"
        flight = self._flights.get(versioned)
        if flight is None:
            found = await self._lookup(versioned, codec)
            if found is not None:
                self.hits += 1
                record_cache_lookup("results", hit=True)
                return found
            # Looked up with an await in between: someone may have started meanwhile.
            flight = self._flights.get(versioned)
        record_cache_lookup("results", hit=False)
        if flight is None:
            self.misses += 1
            flight = asyncio.create_task(self._compute_and_store(versioned, compute, codec))
            self._flights[versioned] = flight
            flight.add_done_callback(lambda _: self._flights.pop(versioned, None))
        else:
            self.joined += 1
        # Shielded: a caller that disconnects must not cancel the others' computation.
        return await asyncio.shield(flight)

    async def get(self, key: str, codec: Codec[T], *, version: str, kind: str) -> T | None:
        """The value stored for `key` at `version`, or None: for callers that gather their
        misses into one batched computation (upstream answers per name,
        services/demographics/lookup.py) and `put` each result; no single-flight here.
        `kind` labels the lookup metric."""
        if not self.enabled:
            return None
        found = await self._lookup(f"v{version}:{key}", codec)
        record_cache_lookup(kind, hit=found is not None)
        return found

    async def put(self, key: str, value: T, codec: Codec[T], *, version: str) -> None:
        """Store `value` for `key` at `version` for the TTL (nothing when the cache is off)."""
        if not self.enabled:
            return
        try:
            await self.backend.set(
                f"v{version}:{key}",
                codec.dumps(value) if self._stores_bytes else value,
                ttl=self.ttl_seconds,
            )
        except self._backend_errors:
            logger.warning("cache write failed; value not kept", exc_info=True)

    async def _lookup(self, key: str, codec: Codec[T]) -> T | None:
        try:
            value = await self.backend.get(key)
        except self._backend_errors:
            logger.warning("cache read failed; computing instead", exc_info=True)
            return None
        if value is None or not self._stores_bytes:
            return value  # type: ignore[no-any-return]
        return codec.loads(value)

    async def _compute_and_store(
        self, key: str, compute: Callable[[], Awaitable[T]], codec: Codec[T]
    ) -> T:
        value = await compute()
        try:
            await self.backend.set(
                key, codec.dumps(value) if self._stores_bytes else value, ttl=self.ttl_seconds
            )
        except self._backend_errors:
            logger.warning("cache write failed; answer served uncached", exc_info=True)
        return value

    async def close(self) -> None:
        await self.backend.close()


@dataclass(frozen=True, slots=True)
class Backend:
    """An aiocache backend and what using it takes: whether values must be bytes, and which
    exceptions mean the backend (not the caller) failed."""

    cache: BaseCache
    stores_bytes: bool
    errors: tuple[type[BaseException], ...]


def build_backend(settings: Settings, *, namespace: str, max_entries: int) -> Backend:
    """Redis when `settings.redis_url` is set, else the bounded in-process backend."""
    if settings.redis_url is None:
        memory = BoundedMemoryCache(
            max_entries=max_entries,
            namespace=namespace,
            key_builder=_join_key,
            timeout=None,  # aiocache's timeout wraps every call in wait_for: a task each
        )
        return Backend(memory, stores_bytes=False, errors=(OSError, asyncio.TimeoutError))
    # The Redis backend has its own module: the memory path above needs none of it.
    from redis.exceptions import RedisError

    from services.platform.redis_cache import redis_cache

    redis = redis_cache(settings.redis_url, namespace=namespace, key_builder=_join_key)
    return Backend(redis, stores_bytes=True, errors=(OSError, asyncio.TimeoutError, RedisError))


def build_result_cache(
    settings: Settings, versions: VersionSource, *, namespace: str = NAMESPACE
) -> ResultCache:
    backend = build_backend(settings, namespace=namespace, max_entries=settings.cache_max_entries)
    return ResultCache(
        backend.cache,
        versions,
        ttl_seconds=settings.cache_ttl_seconds,
        stores_bytes=backend.stores_bytes,
        backend_errors=backend.errors,
    )
