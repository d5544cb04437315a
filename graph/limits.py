"""Query limits whose validation rules are built once, so the validation cache keeps hitting.

Strawberry builds a fresh extension per request; `QueryDepthLimiter(...)` and
`MaxAliasesLimiter(...)` each create a new rule class when constructed, and the validation cache
is keyed by the rule classes, so every request would miss. Here the rule classes are made once
at import and one extension adds them. Introspection fields are not counted as depth, so
GraphiQL's schema query passes; our deepest real query (profiles -> edges -> node) is 3 levels.
"""

from collections.abc import Callable, Iterator
from typing import Final

from graphql import GraphQLError, OperationDefinitionNode
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.websockets import WebSocket
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from graph.document_cache import CachedValidation
from services.errors import ErrorCode

MAX_QUERY_DEPTH: Final = 10
MAX_ALIASES: Final = 30
MAX_TOKENS: Final = 5_000
# Distinct documents kept validated; clients send few distinct documents. (No ParserCache: it
# parses inside its hook, so a syntax error escapes the error masking and loses its code.)

_RULES: Final = (depth_rule(MAX_QUERY_DEPTH, should_ignore=None), alias_rule(MAX_ALIASES))


class DepthAndAliasLimits(AddValidationRules):
    def __init__(self) -> None:
        super().__init__(list(_RULES))


class IntrospectionSwitch(SchemaExtension):
    """Refuses introspection when `GRAPHQL_INTROSPECTION` is off (the rule set then differs by
    one fixed class, so the validation cache keeps two stable keys)."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if context is not None and not context.settings.graphql_introspection:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


class OperationNameRequired(SchemaExtension):
    """A document with several operations must say which to run (GraphQL spec, "GetOperation");
    strawberry would otherwise run the first one.

    The refusal is added to the validation errors rather than raised: a raised error escapes
    strawberry's websocket handler, which then sends a bare `complete`. It must come after
    ValidationCache in the extension list, which replaces the errors found so far."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        # `operation_name` falls back to the first operation's name; what the client sent is
        # only kept privately.
        provided = getattr(context, "_provided_operation_name", None)
        if document is not None and provided is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) > 1:
                refusal = GraphQLError(
                    "the document has several operations: name the one to run (operationName)",
                    extensions={"code": ErrorCode.BAD_USER_INPUT.value},
                )
                context.pre_execution_errors = [*(context.pre_execution_errors or []), refusal]
        yield


class SubscriptionsOverWebsocket(SchemaExtension):
    """Strawberry lets GET and POST carry a subscription and runs it as a query, which fails
    on the resolver's async generator as an INTERNAL error. Ours run over the websocket only.
    Added to the validation errors after ValidationCache, as OperationNameRequired."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if (
            context.graphql_document is not None
            and not isinstance(request, WebSocket)
            and _operation_type(context) is OperationType.SUBSCRIPTION
        ):
            refusal = GraphQLError(
                "subscriptions run over the websocket on /graphql (graphql-transport-ws), "
                "not over GET or POST",
                extensions={"code": ErrorCode.BAD_USER_INPUT.value},
            )
            context.pre_execution_errors = [*(context.pre_execution_errors or []), refusal]
        yield


def _operation_type(context: ExecutionContext) -> OperationType | None:
    try:
        return context.operation_type
    except RuntimeError:  # no such operation: validation or execution says so
        return None


def query_limits() -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        DepthAndAliasLimits,
        IntrospectionSwitch,
        CachedValidation,
        OperationNameRequired,
        SubscriptionsOverWebsocket,
    ]
