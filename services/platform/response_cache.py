"""Encoded GraphQL responses, stored whole under a key that says everything they depend on.

server/response_cache.py decides what may be stored and builds the keys; this module keeps the
bytes in a store bounded by bytes (services/platform/persisted_query_store.py's, which prices
every entry with its overhead and drops the least recently used): in the process, or in Redis
when REDIS_URL is set, so every server process shares the answers and a flood of distinct
answers (anonymous introspection with a new comment each time) can never hold more than
RESPONSE_CACHE_MAX_BYTES anywhere.
"""

import hashlib
from dataclasses import dataclass
from typing import Final

from services.platform.metrics import record_cache_lookup
from services.platform.persisted_query_store import QueryStore, build_query_store
from services.platform.settings import Settings

NAMESPACE: Final = "insighta-responses"
# An ETag is a quoted 32-digit hex digest: 34 characters, stored in front of the body.
_ETAG_LENGTH: Final = 34


def etag_of(body: bytes) -> str:
    """A strong validator of the body itself: equal bodies have equal ETags in every process
    and at every data version, so a revalidation after a write that changed nothing is a 304."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


@dataclass(frozen=True, slots=True)
class StoredResponse:
    body: bytes
    etag: str


class ResponseStore:
    def __init__(self, store: QueryStore, *, max_body_bytes: int) -> None:
        self._store = store
        self.max_body_bytes = max_body_bytes

    async def get(self, key: str) -> StoredResponse | None:
        value = await self._store.get(key)  # a failing store finds nothing (logged there)
        record_cache_lookup("responses", hit=value is not None)
        if value is None or len(value) < _ETAG_LENGTH:
            return None
        return StoredResponse(body=value[_ETAG_LENGTH:].encode(), etag=value[:_ETAG_LENGTH])

    async def put(self, key: str, response: StoredResponse) -> None:
        if len(response.body) > self.max_body_bytes:
            return
        # A JSON answer is UTF-8: as text it is the same bytes.
        text = response.etag + response.body.decode()
        await self._store.put(key, text, size=len(response.body) + _ETAG_LENGTH)

    async def held_bytes(self) -> int:
        return await self._store.held_bytes()

    async def close(self) -> None:
        await self._store.close()


def build_response_store(settings: Settings) -> ResponseStore | None:
    """None when response caching is off (RESPONSE_CACHE=false or CACHE_TTL_SECONDS=0)."""
    if not settings.response_cache or settings.cache_ttl_seconds <= 0:
        return None
    store = build_query_store(
        settings.redis_url,
        namespace=NAMESPACE,
        max_bytes=settings.response_cache_max_bytes,
        ttl_seconds=settings.cache_ttl_seconds,
        label="stored response",
    )
    # One answer takes at most a sixteenth of the budget.
    return ResponseStore(store, max_body_bytes=settings.response_cache_max_bytes // 16)
