"""aiocache's Redis backend as the result cache, rate limiter and persisted queries use it.

Kept apart from services/platform/cache.py: one module per backend, the memory one beside the cache.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiocache.backends.redis import RedisCache
from aiocache.serializers import BaseSerializer


def redis_cache(url: str, *, namespace: str, key_builder: Callable[..., str]) -> RedisCache:
    """A backend storing bytes as they are, with one-second timeouts (a slow Redis is a miss)."""
    parts = urlsplit(url)
    return _RedisCache(
        serializer=_BytesSerializer(),
        namespace=namespace,
        key_builder=key_builder,
        endpoint=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        db=int(parts.path.lstrip("/") or 0),
        password=parts.password,
        timeout=1,
        create_connection_timeout=1,
    )


class _BytesSerializer(BaseSerializer):  # type: ignore[misc]  # aiocache is untyped
    """Values reach Redis already encoded by a Codec; store and return the bytes as they are."""

    DEFAULT_ENCODING = None

    def dumps(self, value: bytes) -> bytes:
        return value

    def loads(self, value: bytes | None) -> bytes | None:
        return value


class _RedisCache(RedisCache):  # type: ignore[misc]  # aiocache is untyped
    """aiocache's Redis backend without the calls redis-py 5+ deprecates (`setex`, `close`)."""

    async def _set(
        self,
        key: str,
        value: bytes,
        ttl: float | None = None,
        _cas_token: Any = None,
        _conn: Any = None,
    ) -> Any:
        if _cas_token is not None:
            return await super()._set(key, value, ttl=ttl, _cas_token=_cas_token, _conn=_conn)
        return await self.client.set(key, value, px=int(ttl * 1000) if ttl else None)

    async def _close(self, *args: Any, _conn: Any = None, **kwargs: Any) -> None:
        await self.client.aclose()
