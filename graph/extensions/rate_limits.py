"""Rate limits on GraphQL operations (services/platform/rate_limit.py does the counting).

Every operation counts against its caller (the token's subject, else the client's IP); the
account operations that take a password or a mailed token also count against the IP, with a
much smaller limit, so guessing passwords or reset tokens is slow from anywhere. A refused
operation answers HTTP 429 with `Retry-After` and the error code RATE_LIMITED.
"""

from collections.abc import AsyncIterator
from typing import Final

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from graph.core.context import Context
from graph.extensions.document_cache import root_field_count
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
        if isinstance(context, Context):
            try:
                await admit(context, root_field_count(execution, AUTH_OPERATIONS))
            except RateLimited as error:
                if context.response is not None:
                    context.response.status_code = 429
                    context.response.headers["Retry-After"] = str(error.retry_after_seconds)
                raise GraphQLError(str(error), extensions=error.extensions) from None
        yield


async def admit(context: Context, auth_operations: int) -> None:
    """Counts the request against its caller, once: raises RateLimited over a limit. A request
    another path already counted (the response cache, a prepared operation) gets that verdict
    again without being counted twice."""
    if context.rate_limiter is None:
        return
    # An HTTP request is one operation; a websocket's record is the connection's, whose every
    # operation counts.
    record = None if context.over_websocket else context.record
    if record is not None and record.admission is not None:
        if isinstance(record.admission, RateLimited):
            raise record.admission
        return
    try:
        await _check(context, auth_operations)
    except RateLimited as refusal:
        if record is not None:
            record.admission = refusal
        raise
    if record is not None:
        record.admission = True


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
