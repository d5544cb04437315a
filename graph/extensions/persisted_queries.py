"""Automatic persisted queries (Apollo's APQ protocol, version 1).

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` with no query text;
if the server knows the hash it runs that query, else it answers PERSISTED_QUERY_NOT_FOUND and
the client sends the hash again with the text, which is checked against the hash.

A text sent with its hash is a registration, and is hostile until proven otherwise:
- it counts against the caller's rate limit at once (before it is parsed), on top of the
  operation itself, so a flood of registrations is refused with RATE_LIMITED even when every
  one of them then fails;
- it is stored only once its document has parsed and validated (`RegisterValidated`, after
  every validation rule of the schema ran), so a text no one could run is never kept;
- the store is bounded by bytes (services/platform/persisted_query_store.py: in this process, or in
  Redis shared by every process when REDIS_URL is set).
"""

import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any, Final

from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData

from graph.core.context import Context
from services.errors import ErrorCode, ServiceError, bad_input
from services.platform.persisted_query_store import QueryStore, build_query_store
from services.platform.rate_limit import RateLimit
from services.platform.settings import Settings

NAMESPACE: Final = "insighta-apq"
TTL_SECONDS: Final = 24 * 3600
_SHA256_HEX: Final = re.compile(r"[0-9a-fA-F]{64}")


class PersistedQueries:
    def __init__(self, store: QueryStore) -> None:
        self.store = store

    async def resolve(self, request: GraphQLRequestData, context: Context) -> GraphQLRequestData:
        """The request with its query text filled in from its hash; a text sent with its hash
        is counted against the caller and left on `context` to register once it validated."""
        digest = _persisted_query(request.extensions)
        if digest is None:
            return request
        if request.query is None:
            stored = await self.store.get(digest)
            if stored is None:
                raise ServiceError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
            return replace(request, query=stored)
        encoded = request.query.encode()
        if hashlib.sha256(encoded).hexdigest() != digest:
            raise bad_input("provided sha does not match query", field="persistedQuery")
        await _count_registration(context)
        text, size, store = request.query, len(encoded), self.store

        async def register() -> None:
            await store.put(digest, text, size=size)

        context.register_persisted_query = register
        return request

    async def close(self) -> None:
        await self.store.close()


async def _count_registration(context: Context) -> None:
    """One request against the caller's limit, as graph/extensions/rate_limits.py counts an
    operation."""
    limiter = context.rate_limiter
    if limiter is not None:
        limit = RateLimit(context.settings.rate_limit_per_minute)
        await limiter.check("api", context.rate_limit_caller, limit)


class RegisterValidated(SchemaExtension):
    """Stores the text of a registration whose document parsed and passed every validation
    rule. Validation rules (ours in graph/extensions/limits.py included) add their errors on
    entering the validation step, so on leaving it every refusal is known."""

    async def on_validate(self) -> AsyncIterator[None]:
        yield
        execution = self.execution_context
        context = execution.context
        if not isinstance(context, Context) or context.register_persisted_query is None:
            return
        register, context.register_persisted_query = context.register_persisted_query, None
        if execution.graphql_document is not None and not execution.pre_execution_errors:
            await register()


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
    return PersistedQueries(
        build_query_store(
            settings.redis_url,
            namespace=NAMESPACE,
            max_bytes=settings.persisted_query_max_bytes,
            ttl_seconds=TTL_SECONDS,
        )
    )
