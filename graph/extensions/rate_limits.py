"""Rate limits on GraphQL operations (services/platform/rate_limit.py does the counting).

Every operation counts against its caller (the token's subject, else the client's IP); the
account operations that take a password or a mailed token also count against the IP, with a
much smaller limit, so guessing passwords or reset tokens is slow from anywhere. A refused
operation answers HTTP 429 with `Retry-After` and the error code RATE_LIMITED.
"""

from collections.abc import AsyncIterator
from typing import Final

from graphql import GraphQLError, get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graph.core.context import Context
from graph.extensions.document_cache import documents
from services.platform.rate_limit import RateLimit, RateLimited

# The operations that check a secret a caller could guess.
AUTH_OPERATIONS: Final = frozenset(
    {
        "signUp",
        "login",
        "signInWithGitHub",
        "refreshToken",
        "requestPasswordReset",
        "resetPassword",
    }
)


class RateLimits(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        if isinstance(context, Context) and context.rate_limiter is not None:
            try:
                await _check(context, _auth_operations(execution))
            except RateLimited as error:
                if context.response is not None:
                    context.response.status_code = 429
                    context.response.headers["Retry-After"] = str(error.retry_after_seconds)
                raise GraphQLError(str(error), extensions=error.extensions) from None
        yield


async def _check(context: Context, auth_operations: int) -> None:
    limiter, settings = context.rate_limiter, context.settings
    assert limiter is not None
    await limiter.check("api", context.rate_limit_caller, RateLimit(settings.rate_limit_per_minute))
    await limiter.check(
        "auth",
        context.client_ip,
        RateLimit(settings.auth_rate_limit_per_minute),
        cost=auth_operations,
    )


def _auth_operations(execution: ExecutionContext) -> int:
    """How many account operations the operation runs: each copy (aliased, or spread from a
    fragment at any depth) checks its own secret."""
    document = execution.graphql_document
    if document is None:
        return 0
    operation = get_operation_ast(document, getattr(execution, "_provided_operation_name", None))
    if operation is None:
        return 0
    cost = documents.cost(execution.query or "", dict(execution.parse_options), document)
    return cost.root_field_count(operation, AUTH_OPERATIONS)
