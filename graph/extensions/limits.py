"""Query limits: each is checked at a cost that grows with the document, never its expansion.

Before any rule walks a document, graph/extensions/document_cost.py measures it with every fragment
visited once: depth, aliases and fields of each operation as if its fragments were expanded,
and the pairs of same-named fields the "fields can merge" rule would compare. A document over
a limit is refused with BAD_USER_INPUT there, and graphql-core's validation rules never see
it (its overlap rule is quadratic in repeated fields: 600 copies of one field took 0.8 s).
strawberry's QueryDepthLimiter and MaxAliasesLimiter are not used: they expand a fragment at
every spread, 2^n for a chain where each fragment spreads the next twice.

A document's cost and validation results are kept beside it in graph/extensions/document_cache.py.
"""

from collections.abc import Callable, Iterator
from typing import Final

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.validation import (
    MaxIntrospectionDepthRule,
    NoSchemaIntrospectionCustomRule,
    validate,
)
from strawberry.extensions import MaxTokensLimiter, SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from graph.extensions.document_cache import Rules, documents
from graph.extensions.document_cost import DocumentCost, SelectionCost, overlapping_pairs
from services.errors import ErrorCode, ServiceError, bad_input

MAX_QUERY_DEPTH: Final = 10
MAX_ALIASES: Final = 30
MAX_TOKENS: Final = 5_000
# Characters of query text. graphql-core's lexer reads about 10 MB/s: a 1 MiB document (a
# long comment, a long string) held the event loop 0.1-0.16 s before any token limit. Long
# values belong in variables, which are decoded by orjson.
MAX_DOCUMENT_CHARS: Final = 100_000
# Selections (fields, inline fragments, spreads) of one operation or fragment with its
# fragments expanded. GraphiQL's schema query makes 260; a page of profiles with every field
# about 20. Validation costs about 25 µs a field.
MAX_SELECTIONS: Final = 1_000
# Each error locates itself by scanning the text from its start: a thousand errors in a long
# document cost more than the rest of validation.
MAX_VALIDATION_ERRORS: Final = 10
# The same, summed over every operation and fragment of the document (each is walked).
MAX_DOCUMENT_SELECTIONS: Final = 5_000
# Arguments, or directives, on one field or fragment spread: ours take at most 5.
MAX_ARGUMENTS: Final = 50
# Operations in one document (only one runs; each is validated).
MAX_OPERATIONS: Final = 20
# Pairs of same-named fields compared for merging, in the whole document (about 5 µs each
# when they have arguments and sub-selections). Overlapping fragments in real clients make a
# few dozen.
MAX_OVERLAPPING_PAIRS: Final = 1_000

# Strawberry's own two (as strawberry.schema.schema.validate_document adds them) and
# graphql-core's recommended one: `__type { fields { type { fields ... } } }` multiplies the
# work of introspection, which the depth limit does not count.
_EXTRA_RULES: Final[Rules] = (
    MaybeNullValidationRule,
    OneOfInputValidationRule,
    MaxIntrospectionDepthRule,
)


def _refusal(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": ErrorCode.BAD_USER_INPUT.value})


def document_too_long(query: object) -> ServiceError | None:
    """Checked by each transport before the text reaches the parser."""
    if isinstance(query, str) and len(query) > MAX_DOCUMENT_CHARS:
        return bad_input(
            f"the query text is {len(query):,} characters; the limit is "
            f"{MAX_DOCUMENT_CHARS:,} (send long values as variables)",
            field="query",
        )
    return None


def over_limits(document: DocumentNode, cost: DocumentCost) -> GraphQLError | None:
    """Why the document costs too much to validate or run, or None.

    Validation walks every definition, fragments included (used or not), so the selection
    and overlap bounds hold for each definition and for the document in all.
    """
    if cost.has_cycle:
        return _refusal("fragments spread each other in a cycle")
    if cost.has_duplicate_names:
        return _refusal("operation and fragment names must be unique (one anonymous operation)")
    if cost.widest > MAX_ARGUMENTS:
        return _refusal(
            f"a field or fragment has {cost.widest} arguments or directives; "
            f"the limit is {MAX_ARGUMENTS}"
        )
    if len(cost.operations) > MAX_OPERATIONS:
        return _refusal(
            f"the document holds {len(cost.operations)} operations; the limit is {MAX_OPERATIONS}"
        )
    definitions: list[tuple[str, SelectionCost, SelectionSetNode]] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            operation = cost.of(definition)
            name = definition.name.value if definition.name else "anonymous"
            if operation.depth > MAX_QUERY_DEPTH:
                return _refusal(f"'{name}' exceeds maximum operation depth of {MAX_QUERY_DEPTH}")
            if operation.aliases > MAX_ALIASES:
                return _refusal(f"{operation.aliases} aliases found. Allowed: {MAX_ALIASES}")
            definitions.append((name, operation, definition.selection_set))
        elif isinstance(definition, FragmentDefinitionNode):
            fragment = cost.fragment_costs[definition.name.value]
            definitions.append((definition.name.value, fragment, definition.selection_set))
    total = 0
    for name, selected, _ in definitions:
        total += selected.selections
        if selected.selections > MAX_SELECTIONS:
            return _refusal(
                f"'{name}' makes {selected.selections} selections with its fragments expanded; "
                f"the limit is {MAX_SELECTIONS}"
            )
    if total > MAX_DOCUMENT_SELECTIONS:
        return _refusal(
            f"the document's definitions make {total} selections with their fragments "
            f"expanded; the limit is {MAX_DOCUMENT_SELECTIONS}"
        )
    pairs = 0
    for _, _, selection_set in definitions:
        pairs += overlapping_pairs(cost, selection_set, limit=MAX_OVERLAPPING_PAIRS - pairs)
        if pairs > MAX_OVERLAPPING_PAIRS:
            return _refusal(
                "the document selects the same fields too many times over "
                f"(more than {MAX_OVERLAPPING_PAIRS} pairs to compare)"
            )
    return None


def _checked_validation(
    schema: GraphQLSchema, document: DocumentNode, rules: Rules, cost: DocumentCost
) -> list[GraphQLError]:
    refusal = over_limits(document, cost)
    if refusal is not None:
        return [refusal]
    return validate(schema, document, rules, max_errors=MAX_VALIDATION_ERRORS)


class BoundedValidation(SchemaExtension):
    """Measures the document, then validates it only when it is within every limit; both
    answers are kept on the document's entry in graph/extensions/document_cache.py."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            schema = context.schema._schema
            query, options = context.query or "", dict(context.parse_options)
            cost = documents.cost(query, options, document)
            context.pre_execution_errors = documents.validate(
                query,
                options,
                document,
                lambda doc, rules: _checked_validation(schema, doc, rules, cost),
                (*context.validation_rules, *_EXTRA_RULES),
            )
        yield


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
    BoundedValidation in the extension list, which replaces the errors found so far."""

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
    Added to the validation errors after BoundedValidation, as OperationNameRequired."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if (
            context.graphql_document is not None
            and not getattr(context.context, "over_websocket", False)
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
        IntrospectionSwitch,
        BoundedValidation,
        OperationNameRequired,
        SubscriptionsOverWebsocket,
    ]
