"""Automatic persisted queries (Apollo's APQ protocol, version 1).

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` with no query text;
if the server knows the hash it runs that query, else it answers PERSISTED_QUERY_NOT_FOUND and
the client sends the hash again with the text, which is checked against the hash and stored.
Texts live in the result cache's backend (bounded in-process, or Redis shared by every
process), so a query registered through one process is known to all of them.
"""

import contextlib
import hashlib
import re
from dataclasses import replace
from typing import Any, Final

from strawberry.http import GraphQLRequestData

from services.cache import Backend, build_backend
from services.errors import ErrorCode, ServiceError, bad_input
from services.settings import Settings

NAMESPACE: Final = "insighta-apq"
MAX_QUERIES: Final = 10_000
TTL_SECONDS: Final = 24 * 3600
_SHA256_HEX: Final = re.compile(r"[0-9a-fA-F]{64}")


class PersistedQueries:
    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    async def resolve(self, request: GraphQLRequestData) -> GraphQLRequestData:
        """The request with its query text filled in from (or registered under) its hash."""
        persisted = _persisted_query(request.extensions)
        if persisted is None:
            return request
        digest = persisted
        if request.query is None:
            stored = await self._get(digest)
            if stored is None:
                raise ServiceError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
            return replace(request, query=stored)
        if hashlib.sha256(request.query.encode()).hexdigest() != digest:
            raise bad_input("provided sha does not match query", field="persistedQuery")
        await self._set(digest, request.query)
        return request

    async def _get(self, digest: str) -> str | None:
        try:
            value = await self._backend.cache.get(digest)
        except self._backend.errors:
            return None  # the client sends the text again; nothing is lost
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def _set(self, digest: str, query: str) -> None:
        value: Any = query.encode() if self._backend.stores_bytes else query
        # On a backend failure the query is served unregistered; the client resends the text.
        with contextlib.suppress(*self._backend.errors):
            await self._backend.cache.set(digest, value, ttl=TTL_SECONDS)

    async def close(self) -> None:
        await self._backend.cache.close()


def _persisted_query(extensions: dict[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise bad_input("persistedQuery must be {version: 1, sha256Hash}", field="persistedQuery")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
        raise bad_input("persistedQuery.sha256Hash must be 64 hex digits", field="persistedQuery")
    return digest.lower()


def build_persisted_queries(settings: Settings) -> PersistedQueries:
    return PersistedQueries(build_backend(settings, namespace=NAMESPACE, max_entries=MAX_QUERIES))
