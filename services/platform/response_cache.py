"""Encoded GraphQL responses, stored whole under a key that says everything they depend on.

server/response_cache.py decides what may be stored and builds the keys; this module keeps the
bytes in the one cache layer (services/platform/cache.py): a byte-bounded LRU in the process,
or Redis when REDIS_URL is set, so every server process shares the answers.
"""

import hashlib
import logging
from dataclasses import dataclass
from typing import Final

from services.platform.cache import Backend, build_backend
from services.platform.metrics import record_cache_lookup
from services.platform.settings import Settings

logger = logging.getLogger(__name__)

NAMESPACE: Final = "insighta-responses"
# An ETag is a quoted 32-digit hex digest: 34 bytes, stored in front of the body.
_ETAG_BYTES: Final = 34


def etag_of(body: bytes) -> str:
    """A strong validator of the body itself: equal bodies have equal ETags in every process
    and at every data version, so a revalidation after a write that changed nothing is a 304."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


@dataclass(frozen=True, slots=True)
class StoredResponse:
    body: bytes
    etag: str


class ResponseStore:
    def __init__(self, backend: Backend, *, ttl_seconds: float, max_body_bytes: int) -> None:
        self._backend = backend
        self.ttl_seconds = ttl_seconds
        self.max_body_bytes = max_body_bytes

    async def get(self, key: str) -> StoredResponse | None:
        try:
            value = await self._backend.cache.get(key)
        except self._backend.errors:
            logger.warning("response cache read failed; executing instead", exc_info=True)
            return None
        record_cache_lookup("responses", hit=value is not None)
        if not isinstance(value, bytes) or len(value) < _ETAG_BYTES:
            return None
        return StoredResponse(body=value[_ETAG_BYTES:], etag=value[:_ETAG_BYTES].decode())

    async def put(self, key: str, response: StoredResponse) -> None:
        if len(response.body) > self.max_body_bytes:
            return
        try:
            await self._backend.cache.set(
                key, response.etag.encode() + response.body, ttl=self.ttl_seconds
            )
        except self._backend.errors:
            logger.warning("response cache write failed; answer not kept", exc_info=True)

    async def close(self) -> None:
        await self._backend.cache.close()


def build_response_store(settings: Settings) -> ResponseStore | None:
    """None when response caching is off (RESPONSE_CACHE=false or CACHE_TTL_SECONDS=0)."""
    if not settings.response_cache or settings.cache_ttl_seconds <= 0:
        return None
    backend = build_backend(
        settings,
        namespace=NAMESPACE,
        max_entries=settings.cache_max_entries,
        max_bytes=settings.response_cache_max_bytes,
    )
    return ResponseStore(
        backend,
        ttl_seconds=settings.cache_ttl_seconds,
        # One answer takes at most a sixteenth of the memory budget.
        max_body_bytes=settings.response_cache_max_bytes // 16,
    )
