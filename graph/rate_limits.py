"""Rate limits on GraphQL operations (services/rate_limit.py does the counting).

Every operation counts against its caller (the token's subject, else the client's IP); the
account operations that take a password or a mailed token also count against the IP, with a
much smaller limit, so guessing passwords or reset tokens is slow from anywhere. A refused
operation answers HTTP 429 with `Retry-After` and the error code RATE_LIMITED.
"""

from collections.abc import AsyncIterator, Mapping
from typing import Final

from graphql import DocumentNode, GraphQLError, get_operation_ast
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from graph.context import Context
from graph.limits import CHECKED_DOCUMENTS
from services.rate_limit import RateLimit, RateLimited

# The operations that check a secret a caller could guess.
AUTH_OPERATIONS: Final = frozenset(
    {"signUp", "login", "refreshToken", "requestPasswordReset", "resetPassword"}
)


class RateLimits(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if isinstance(context, Context) and context.rate_limiter is not None:
            try:
                await _check(context, _root_fields(execution.graphql_document, execution))
            except RateLimited as error:
                if isinstance(context.response, Response):
                    context.response.status_code = 429
                    context.response.headers["Retry-After"] = str(error.retry_after_seconds)
                raise GraphQLError(str(error), extensions=error.extensions) from None
        yield


async def _check(context: Context, root_fields: Mapping[str, int]) -> None:
    limiter, settings = context.rate_limiter, context.settings
    assert limiter is not None
    client = context.request.client
    ip = f"ip:{client.host if client else 'unknown'}"
    caller = f"sub:{context.principal.subject}" if context.principal else ip
    await limiter.check("api", caller, RateLimit(settings.rate_limit_per_minute))
    # Each copy (aliased, or spread from a fragment at any depth) checks its own secret.
    auth_fields = sum(root_fields.get(name, 0) for name in AUTH_OPERATIONS)
    await limiter.check(
        "auth", ip, RateLimit(settings.auth_rate_limit_per_minute), cost=auth_fields
    )


def _root_fields(document: DocumentNode | None, execution: object) -> Mapping[str, int]:
    """How many times the operation selects each root field, every fragment expanded."""
    if document is None:
        return {}
    operation = get_operation_ast(document, getattr(execution, "_provided_operation_name", None))
    if operation is None:
        return {}
    return CHECKED_DOCUMENTS.cost(document).of(operation).root_fields
