"""Where persisted query texts live, bounded by bytes: in this process, or in Redis (shared by
every process) when REDIS_URL is set.

An entry costs its text's UTF-8 bytes, rounded up as the allocator rounds them, plus
`ENTRY_OVERHEAD_BYTES` (the key, the bookkeeping), so a flood of tiny texts is bounded as well
as a few huge ones. An entry lives `ttl_seconds` after its last use; when a new text would take
the store over `max_bytes`, the least recently used entries go first, and a text that cannot
fit even in an empty store is not kept. A store that fails (Redis down) keeps nothing and
finds nothing: the client sends the text again.
"""

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Protocol

logger = logging.getLogger(__name__)

# A Python dict entry with its 64-character key and a (deadline, text, cost) tuple is about
# 350 bytes beyond the text; a Redis hash field plus a sorted set member, less.
ENTRY_OVERHEAD_BYTES: Final = 512


class QueryStore(Protocol):
    async def get(self, digest: str) -> str | None: ...

    async def put(self, digest: str, text: str, *, size: int) -> bool:
        """Keep `text` (`size` bytes in UTF-8) under `digest`; False when it was not kept."""
        ...

    async def held_bytes(self) -> int: ...

    async def close(self) -> None: ...


def entry_cost(size: int) -> int:
    """What keeping a text of `size` bytes costs. Above 64 bytes the size is rounded up to a
    quarter of the power of two below it, as jemalloc (Redis's allocator) rounds: Redis's
    MEMORY USAGE showed a 60 KiB text taking 64 KiB. `cost` in the Redis scripts below is the
    same function. 100 -> 112 + 512; 61,440 -> 65,536 + 512."""
    if size > 64:
        step = 1 << ((size - 1).bit_length() - 3)
        size = -(-size // step) * step
    return size + ENTRY_OVERHEAD_BYTES


class MemoryQueryStore:
    def __init__(
        self, *, max_bytes: int, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._max_bytes = max_bytes
        self._ttl = ttl_seconds
        self._clock = clock
        self._held = 0
        # digest -> (deadline, UTF-8 text, cost); order is recency of use. Kept encoded: a str
        # with one character outside the Basic Multilingual Plane holds 4 bytes a character,
        # three times what `entry_cost` counts.
        self._entries: OrderedDict[str, tuple[float, bytes, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, digest: str) -> str | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        now = self._clock()
        deadline, text, cost = entry
        if deadline <= now:
            self._drop(digest)
            return None
        self._entries[digest] = (now + self._ttl, text, cost)
        self._entries.move_to_end(digest)
        return text.decode()

    async def put(self, digest: str, text: str, *, size: int) -> bool:
        encoded = text.encode()
        cost = entry_cost(len(encoded))
        if digest in self._entries:
            self._drop(digest)
        if cost > self._max_bytes:
            return False
        while self._held + cost > self._max_bytes:
            self._drop(next(iter(self._entries)))
        self._entries[digest] = (self._clock() + self._ttl, encoded, cost)
        self._held += cost
        return True

    async def held_bytes(self) -> int:
        return self._held

    def _drop(self, digest: str) -> None:
        self._held -= self._entries.pop(digest)[2]

    async def close(self) -> None:
        self._entries.clear()
        self._held = 0


# KEYS[1]: hash digest -> text, plus the field "bytes" (the total cost held); KEYS[2]: sorted
# set digest -> deadline (ms). One script per call, so processes sharing the store never see
# the total and the entries disagree. A digest is 64 hex digits: it is never "bytes".
_DROP: Final = """
local function cost(size)
  if size > 64 then
    local power = 1
    while power < size do power = power * 2 end
    local step = power / 8
    size = math.ceil(size / step) * step
  end
  return size + tonumber(ARGV[1])
end
local function drop(digest)
  local size = redis.call('HSTRLEN', KEYS[1], digest)
  if size > 0 then
    redis.call('HDEL', KEYS[1], digest)
    redis.call('HINCRBY', KEYS[1], 'bytes', -cost(size))
  end
  redis.call('ZREM', KEYS[2], digest)
end
local function held()
  return tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0')
end
"""
# ARGV: overhead, now (ms), ttl (ms), max bytes, digest, text. Answers 1 when kept.
_PUT: Final = (
    _DROP
    + """
local now, ttl, max = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local digest, text = ARGV[5], ARGV[6]
-- Expired entries go first; a bounded sweep per call keeps each call short.
for _, old in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)) do
  drop(old)
end
-- With no live entry, anything left in the hash (evicted by Redis's own maxmemory policy,
-- say) can never be found: start over so the total is true again.
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[1]) end
drop(digest)
local needed = cost(#text)
if needed > max then return 0 end
while held() + needed > max do
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not oldest then break end
  drop(oldest)
end
if held() + needed > max then return 0 end
redis.call('HSET', KEYS[1], digest, text)
redis.call('HINCRBY', KEYS[1], 'bytes', needed)
redis.call('ZADD', KEYS[2], now + ttl, digest)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
"""
)
# ARGV: now (ms), ttl (ms), digest. A hit moves the entry's deadline (and its LRU place).
_GET: Final = """
local deadline = redis.call('ZSCORE', KEYS[2], ARGV[3])
if not deadline or tonumber(deadline) <= tonumber(ARGV[1]) then return false end
redis.call('ZADD', KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[2]), ARGV[3])
return redis.call('HGET', KEYS[1], ARGV[3])
"""


class RedisQueryStore:
    def __init__(
        self,
        url: str,
        *,
        namespace: str,
        max_bytes: int,
        ttl_seconds: float,
        label: str = "persisted query",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._label = label
        # Imported here: a server without REDIS_URL needs none of it.
        from redis.asyncio import Redis
        from redis.exceptions import RedisError

        # One-second timeouts, as the result cache's (services/platform/redis_cache.py): slow is
        # a miss.
        self._redis = Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._errors: tuple[type[BaseException], ...] = (
            OSError,
            asyncio.TimeoutError,
            RedisError,
        )
        # A hash tag, so both keys sit in one slot of a Redis cluster.
        self.keys: Final = [f"{{{namespace}}}:texts", f"{{{namespace}}}:recency"]
        self._max_bytes = max_bytes
        self._ttl_ms = int(ttl_seconds * 1000)
        self._clock = clock
        self._put = self._redis.register_script(_PUT)
        self._get = self._redis.register_script(_GET)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    async def get(self, digest: str) -> str | None:
        try:
            value = await self._get(keys=self.keys, args=[self._now_ms(), self._ttl_ms, digest])
        except self._errors:
            logger.warning("%s lookup failed; treated as unknown", self._label, exc_info=True)
            return None
        return value.decode() if isinstance(value, bytes) else None

    async def put(self, digest: str, text: str, *, size: int) -> bool:
        args: list[int | str] = [
            ENTRY_OVERHEAD_BYTES,
            self._now_ms(),
            self._ttl_ms,
            self._max_bytes,
            digest,
            text,
        ]
        try:
            return bool(await self._put(keys=self.keys, args=args))
        except self._errors:
            logger.warning("%s not stored: Redis failed", self._label, exc_info=True)
            return False

    async def held_bytes(self) -> int:
        return int(await self._redis.hget(self.keys[0], "bytes") or 0)

    async def close(self) -> None:
        await self._redis.aclose()


def build_query_store(
    redis_url: str | None,
    *,
    namespace: str,
    max_bytes: int,
    ttl_seconds: float,
    label: str = "persisted query",
) -> QueryStore:
    """Texts by digest, bounded by bytes: persisted queries, and stored responses
    (services/platform/response_cache.py) under their own namespace."""
    if redis_url is None:
        return MemoryQueryStore(max_bytes=max_bytes, ttl_seconds=ttl_seconds)
    return RedisQueryStore(
        redis_url, namespace=namespace, max_bytes=max_bytes, ttl_seconds=ttl_seconds, label=label
    )
