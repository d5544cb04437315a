"""Which operations the response cache (server/response_cache.py) may answer from stored bytes.

A query is cacheable when every field it selects at its root is declared below: fields whose
answer depends only on their arguments and the profiles' data version. `PUBLIC` answers are the
same for everyone (the type name, the schema); `SHARED` ones for every caller the permission
table lets in (graph/core/authorization.py), so they are stored per role. Fields under
`@include`/`@skip` count as selected, whatever the variables say. Everything else (mutations,
subscriptions, the caller's own account, interviews, export links) always executes.
"""

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from graph.core.context import Context
from graph.extensions.prepared import PreparedOperation, prepare


class Reach(Enum):
    PUBLIC = "public"  # the same answer for every caller, with or without a token
    SHARED = "shared"  # the same answer for every caller allowed in: stored per role


CACHEABLE_FIELDS: Final = MappingProxyType(
    {
        "__typename": Reach.PUBLIC,
        "__schema": Reach.PUBLIC,
        "__type": Reach.PUBLIC,
        "profiles": Reach.SHARED,
        "profile": Reach.SHARED,
        "profileStats": Reach.SHARED,
        "interpretQuery": Reach.SHARED,
    }
)


@dataclass(slots=True)
class ResponseSlot:
    """What one HTTP request's execution tells the response cache, set during execution."""

    # The operation's reach when it is cacheable, else None.
    reach: Reach | None = None
    # "public", or "role:<role>" of the caller: the part of the key that says for whom.
    audience: str | None = None
    # The operation's name as the metrics and the access log know it (from the document).
    operation_name: str | None = None
    # Data versions the profile reads were answered at (a replica may trail the primary).
    read_versions: list[str] = field(default_factory=list)
    # Set by the response cache when it does not know the operation yet: a cacheable one is
    # then prepared (graph/extensions/prepared.py) for its next requests.
    learning: bool = False
    prepared: PreparedOperation | None = None
    # When the request's body was in (time.monotonic()): profile reads are timed from then,
    # waiting included (services/ingestion/pacing.py).
    arrived: float | None = None
    # Set when the execution read the profiles: the operation's answers from the cache then
    # count as profile reads too.
    reads_profiles: bool = False


def operation_reach(document: DocumentNode, operation_name: str | None) -> Reach | None:
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    reach = Reach.PUBLIC
    for name in _root_field_names(operation, fragments):
        declared = CACHEABLE_FIELDS.get(name)
        if declared is None:
            return None
        if declared is Reach.SHARED:
            reach = Reach.SHARED
    return reach


def _root_field_names(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> Iterator[str]:
    # Validation ran first: fragments exist and do not cycle; each is walked once.
    seen: set[str] = set()
    pending: list[SelectionSetNode] = [operation.selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection.name.value
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    pending.append(fragments[name].selection_set)


class CacheableOperations(SchemaExtension):
    """Tells the request's ResponseSlot whether the validated operation may be stored."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        slot = context.response_slot if isinstance(context, Context) else None
        if slot is not None and execution.graphql_document is not None:
            name = getattr(execution, "_provided_operation_name", None)
            slot.reach = operation_reach(execution.graphql_document, name)
            slot.operation_name = execution.operation_name
            if slot.reach is Reach.PUBLIC:
                slot.audience = "public"
            elif slot.reach is Reach.SHARED and context.principal is not None:
                slot.audience = f"role:{context.principal.role.value}"
        yield
        if slot is None:
            return
        if execution.result is None or execution.result.errors:
            slot.reach = None  # an answer with errors is never stored, nor its plan made
        elif slot.learning and slot.reach is not None and execution.graphql_document is not None:
            # Once, for an operation answered cleanly: the response cache then knows it.
            name = getattr(execution, "_provided_operation_name", None)
            slot.prepared = prepare(execution.schema._schema, execution.graphql_document, name)
