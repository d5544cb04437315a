"""Rate limits on GraphQL operations (services/rate_limit.py does the counting).

Every operation counts against its caller (the token's subject, else the client's IP); the
account operations that take a password or a mailed token also count against the IP, with a
much smaller limit, so guessing passwords or reset tokens is slow from anywhere. A refused
operation answers HTTP 429 with `Retry-After` and the error code RATE_LIMITED.
"""

from collections.abc import AsyncIterator, Iterable
from typing import Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    SelectionSetNode,
    get_operation_ast,
)
from starlette.responses import Response
from strawberry.extensions import SchemaExtension

from graph.context import Context
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


async def _check(context: Context, root_fields: list[str]) -> None:
    limiter, settings = context.rate_limiter, context.settings
    assert limiter is not None
    client = context.request.client
    ip = f"ip:{client.host if client else 'unknown'}"
    caller = f"sub:{context.principal.subject}" if context.principal else ip
    await limiter.check("api", caller, RateLimit(settings.rate_limit_per_minute))
    # Each aliased copy checks its own secret, so each one counts.
    auth_fields = sum(1 for name in root_fields if name in AUTH_OPERATIONS)
    await limiter.check(
        "auth", ip, RateLimit(settings.auth_rate_limit_per_minute), cost=auth_fields
    )


def _root_fields(document: DocumentNode | None, execution: object) -> list[str]:
    """The root field names the operation selects, once per selection (aliases included)."""
    if document is None:
        return []
    operation = get_operation_ast(document, getattr(execution, "_provided_operation_name", None))
    if operation is None:
        return []
    fragments = {
        definition.name.value: definition.selection_set
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    return list(_field_names(operation.selection_set, fragments, depth=0))


def _field_names(
    selections: SelectionSetNode, fragments: dict[str, SelectionSetNode], *, depth: int
) -> Iterable[str]:
    if depth > 10:  # fragments spreading each other are refused by validation anyway
        return
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _field_names(selection.selection_set, fragments, depth=depth + 1)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            yield from _field_names(fragments[selection.name.value], fragments, depth=depth + 1)
