"""Prepared operations: a query's plan made once, then answered without graphql-core's executor.

graphql-core completes every field of every row the same general way: a path, a resolve info,
the field's resolver, `complete_value` and its checks. For a 20-row profiles page that was
most of the Python time of an uncached request (docs/performance.md, "The lean path"). A query
whose every field below its root fields is a plain attribute (strawberry's basic field: no
resolver, arguments or extensions) of an object type, a list of them, a scalar or an enum has
a fixed shape, known once its document is validated: `prepare` turns it into a tree of small
completers, and `PreparedOperation.execute` calls the root fields' own resolvers (strawberry's
argument conversion and permission classes included, with the resolve info graphql-core would
build) and completes their results along that tree.

It answers only what it answers exactly as graphql-core would: every value is serialised by
the same scalar or enum, in the same field order. Anything else raises `Unprepared` before an
answer exists: a null where the schema says non-null, a value a scalar will not serialise, a
resolver raising (a permission refusal, bad input), a variable that does not coerce. The
caller then runs the request the ordinary way, where graphql-core reports it with its usual
errors, nulls and paths (a query reads and writes nothing, so running it twice changes
nothing). Documents with directives (`@include`, `@skip`), abstract types, or fields that
resolve, take arguments or carry extensions below the root are not prepared at all.
tests/graph/extensions/test_prepared.py compares both paths' bytes on generated documents.
"""

import asyncio
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from operator import methodcaller
from typing import Any, Final
from uuid import UUID

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    TokenKind,
    Visitor,
    get_operation_ast,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
    parse,
    type_from_ast,
    visit,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.pyutils import Path, Undefined, gather_with_cancel
from graphql.pyutils import is_awaitable as default_is_awaitable
from strawberry.schema.schema import _OperationContextAwareGraphQLResolveInfo as ResolveInfo
from strawberry.schema.schema_converter import GraphQLCoreConverter

from graph.extensions.query_load import PROFILE_READS

# Root fields a prepared operation may call: the cacheable reads (graph/extensions/
# response_cache.py) whose answers are plain data. Introspection is left to graphql-core.
PREPARABLE_ROOT_FIELDS: Final = frozenset(
    {"__typename", "profiles", "profile", "profileStats", "interpretQuery"}
)
# Deeper selections are left to graphql-core: a plan's size stays that of ordinary documents.
MAX_PLAN_FIELDS: Final = 2_000
# A plan keeps its document, parsed again without locations (no token chain, no source text:
# comments and padding cost nothing); tracemalloc measured ~190 bytes per token of a profiles
# page that way (370 with locations). Estimated per token, bounded per plan; the response
# cache bounds the sum (server/response_cache.py).
PLAN_BYTES_PER_TOKEN: Final = 256
MAX_PLAN_BYTES: Final = 1 << 20
# The resolve info is built as strawberry's executor builds it, field by field in this order;
# a strawberry release that changes it must fail here, not answer with misplaced fields.
assert ResolveInfo._fields == (
    "field_name",
    "field_nodes",
    "return_type",
    "parent_type",
    "path",
    "schema",
    "fragments",
    "root_value",
    "operation",
    "variable_values",
    "context",
    "is_awaitable",
    "abort_signal",
    "async_helpers",
    "operation_extensions",
), ResolveInfo._fields
# As graphql-core's Executor.build: at most this many variable errors are gathered.
MAX_COERCION_ERRORS: Final = 50

Completer = Callable[[Any], Any]


class Unprepared(Exception):
    """This answer departs from the plain case: the caller runs the ordinary path."""


# Leaf types whose values of this exact Python type serialise to themselves.
_EXACT_TYPES: Final[dict[GraphQLLeafType, type]] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
}
_ISOFORMAT: Final = methodcaller("isoformat")
_INT_MIN: Final = -(2**31)
_INT_MAX: Final = 2**31 - 1


@dataclass(frozen=True, slots=True)
class _RootField:
    response_name: str
    field: GraphQLField | None  # None: __typename
    nodes: list[FieldNode]
    complete: Completer
    # The field's arguments, coerced once, when the document writes them out in full (no
    # variables) and every value in them is immutable: shared by every request, no resolver
    # can change them. None: coerced for each request.
    arguments: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    schema: GraphQLSchema
    root_fields: tuple[_RootField, ...]
    # What keeping it costs, estimated (PLAN_BYTES_PER_TOKEN).
    cost: int
    # Whether it reads the profiles: ingestion yields to such reads (graph/extensions/
    # query_load.py).
    reads_profiles: bool
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    # The coerced variables of an operation that declares none, made once.
    no_variables: VariableValues | None

    async def execute(self, context: Any, variables: Mapping[str, Any] | None) -> dict[str, Any]:
        """The operation's `data` as graphql-core would answer it, or `Unprepared`."""
        variable_values = self.no_variables
        # What the resolver sees: its own dict for each request, as from the view.
        coerced_values: dict[str, Any] = {}
        if variable_values is None:
            coerced = get_variable_values(
                self.schema,
                self.operation.variable_definitions or (),
                dict(variables) if variables else {},
                max_errors=MAX_COERCION_ERRORS,
            )
            if isinstance(coerced, list):  # they do not coerce: graphql-core says so
                raise Unprepared
            variable_values, coerced_values = coerced, coerced.coerced
        root_type = self.schema.query_type
        assert root_type is not None
        values: list[Any] = []
        awaited: list[int] = []
        try:
            for root in self.root_fields:
                if root.field is None:
                    values.append(root_type.name)
                    continue
                # As strawberry's executor builds it (build_resolve_info), without building
                # an executor for each request. No async helpers: a resolver that would use
                # them fails here, and the ordinary path answers.
                info = ResolveInfo(
                    root.nodes[0].name.value,
                    root.nodes,
                    root.field.type,
                    root_type,
                    Path(None, root.response_name, root_type.name),
                    self.schema,
                    self.fragments,
                    None,
                    self.operation,
                    coerced_values,
                    context,
                    default_is_awaitable,
                    None,
                    None,
                    None,  # type: ignore[arg-type]  # no extensions, as the view for most requests
                )
                arguments = root.arguments
                if arguments is None:
                    arguments = get_argument_values(root.field, root.nodes[0], variable_values)
                value = root.field.resolve(None, info, **arguments)  # type: ignore[misc]
                if default_is_awaitable(value):
                    awaited.append(len(values))
                values.append(value)
            if len(awaited) == 1:
                values[awaited[0]] = await values[awaited[0]]
            elif awaited:
                results = await gather_with_cancel(*(values[index] for index in awaited))
                for index, result in zip(awaited, results, strict=True):
                    values[index] = result
            return {
                root.response_name: root.complete(value)
                for root, value in zip(self.root_fields, values, strict=True)
            }
        except Exception:
            # A resolver refused (permission, bad input) or a value is not plain: the
            # ordinary path answers with graphql-core's own error. Coroutines never awaited
            # are closed, not left to warn.
            for index in awaited:
                if asyncio.iscoroutine(values[index]):
                    values[index].close()
            raise Unprepared from None


def prepare(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    root_fields: frozenset[str] = PREPARABLE_ROOT_FIELDS,
) -> PreparedOperation | None:
    """The plan of a validated query whose root fields are all among `root_fields`, or None
    when it must run the ordinary way."""
    tokens = _tokens(document)
    if tokens * PLAN_BYTES_PER_TOKEN > MAX_PLAN_BYTES:
        return None
    if document.loc is not None:  # kept without its locations, token chain and source text
        document = parse(document.loc.source, no_location=True)
    operation = get_operation_ast(document, operation_name)
    root_type = schema.query_type
    if (
        operation is None
        or operation.operation is not OperationType.QUERY
        or root_type is None
        or _has_directives(document)
    ):
        return None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    planner = _Planner(schema, fragments)
    try:
        grouped = planner.collect(root_type, [operation.selection_set])
        roots = []
        for response_name, nodes in grouped.items():
            name = nodes[0].name.value
            if name not in root_fields:
                return None
            if name == "__typename":
                roots.append(_RootField(response_name, None, nodes, _identity))
                continue
            field = root_type.fields[name]
            complete = planner.completer(field.type, nodes)
            roots.append(
                _RootField(response_name, field, nodes, complete, _literal_arguments(field, nodes))
            )
    except _NotPreparable:
        return None
    reads_profiles = any(root.nodes[0].name.value in PROFILE_READS for root in roots)
    cost = tokens * PLAN_BYTES_PER_TOKEN
    no_variables = None
    if not operation.variable_definitions:
        coerced = get_variable_values(schema, (), {})
        assert not isinstance(coerced, list)
        no_variables = coerced
    return PreparedOperation(
        schema,
        tuple(roots),
        cost,
        reads_profiles,
        operation,
        fragments,
        no_variables,
    )


# What a coerced argument may hold to be shared between requests: values nobody can change.
_IMMUTABLE: Final = (str, int, float, bool, UUID, datetime, Enum, type(None))


def _literal_arguments(field: GraphQLField, nodes: list[FieldNode]) -> dict[str, Any] | None:
    """The field's coerced arguments when they cannot differ between requests, else None."""
    if _has_variables(nodes[0]):
        return None
    try:
        arguments = get_argument_values(field, nodes[0], None)
        frozen = all(_frozen(value, field.args[name].type) for name, value in arguments.items())
    except Exception:  # the ordinary path reports it, with graphql-core's error
        return None
    return arguments if frozen else None


def _has_variables(node: FieldNode) -> bool:
    found = False

    class Finder(Visitor):
        def enter_variable(self, *_: Any) -> None:
            nonlocal found
            found = True

    for argument in node.arguments or ():
        visit(argument, Finder())
    return found


def _frozen(value: Any, type_: GraphQLInputType) -> bool:
    """Whether `value` holds only immutable leaves. Input objects and lists are rebuilt by
    strawberry's argument conversion for each call; a scalar's value (a JSON object) is handed
    on as it is, so it must be immutable itself."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if value is None:
        return True
    if isinstance(type_, GraphQLList):
        return isinstance(value, list) and all(_frozen(item, type_.of_type) for item in value)
    if isinstance(type_, GraphQLInputObjectType):
        return isinstance(value, dict) and all(
            _frozen(item, type_.fields[name].type) for name, item in value.items()
        )
    return isinstance(value, _IMMUTABLE)


def _tokens(document: DocumentNode) -> int:
    """The document's tokens, comments left out (a document made without locations: its
    nodes, a close enough count)."""
    if document.loc is None:
        counter = _NodeCounter()
        visit(document, counter)
        return counter.nodes
    count, token = 0, document.loc.start_token
    while True:
        if token.kind is not TokenKind.COMMENT:
            count += 1
        if token.next is None:
            return count
        token = token.next


class _NodeCounter(Visitor):
    nodes = 0

    def enter(self, *_: Any) -> None:
        self.nodes += 1


class _NotPreparable(Exception):
    pass


class _Planner:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]):
        self.schema = schema
        self.fragments = fragments
        self.fields = 0

    def collect(
        self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        """graphql-core's field collection for a document without directives: response names
        in first-seen order, each with its field nodes."""
        grouped: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def visit_set(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    name = selection.alias.value if selection.alias else selection.name.value
                    grouped.setdefault(name, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self._applies(selection.type_condition, type_):
                        visit_set(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if name in visited or fragment is None:
                        continue
                    visited.add(name)
                    if self._applies(fragment.type_condition, type_):
                        visit_set(fragment.selection_set)

        for selection_set in selection_sets:
            visit_set(selection_set)
        self.fields += len(grouped)
        if self.fields > MAX_PLAN_FIELDS:
            raise _NotPreparable
        return grouped

    def _applies(self, condition: Any, type_: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        conditional = type_from_ast(self.schema, condition)
        if conditional is type_:
            return True
        return is_abstract_type(conditional) and self.schema.is_sub_type(conditional, type_)

    def completer(self, type_: GraphQLOutputType, nodes: list[FieldNode]) -> Completer:
        """Completes a value of `type_`: None where the type allows it, else Unprepared."""
        if isinstance(type_, GraphQLNonNull):
            return _non_null(self._core(type_.of_type, nodes))
        return _nullable(self._core(type_, nodes))

    def _core(self, type_: GraphQLOutputType, nodes: list[FieldNode]) -> Completer:
        """Completes a value of `type_` that is not None."""
        if isinstance(type_, GraphQLList):
            return _list(self.completer(type_.of_type, nodes))
        if is_leaf_type(type_):
            return _leaf(type_)
        if is_object_type(type_):
            return self._object(type_, nodes)
        raise _NotPreparable  # interfaces and unions: the runtime type decides

    def _object(self, type_: GraphQLObjectType, nodes: list[FieldNode]) -> Completer:
        """One function per selection, written out (as graphql-jit does): a loop over the
        fields with a call per field cost about as much again. What it reads are attribute
        names from strawberry's definitions (Python identifiers) and response names from the
        validated document (GraphQL names), each written as a literal."""
        grouped = self.collect(type_, [node.selection_set for node in nodes if node.selection_set])
        namespace: dict[str, Any] = {}
        lines = ["def complete_object(source):"]
        items = []
        for index, (response_name, field_nodes) in enumerate(grouped.items()):
            name = field_nodes[0].name.value
            items.append(f"{response_name!r}: v{index}")
            if name == "__typename":
                lines.append(f"    v{index} = {type_.name!r}")
                continue
            field = type_.fields[name]
            attribute = _plain_attribute(field)
            if (
                attribute is None
                or not attribute.isidentifier()
                or any(node.arguments for node in field_nodes)
            ):
                raise _NotPreparable
            namespace[f"complete{index}"] = self.completer(field.type, field_nodes)
            # strawberry's default resolver is getattr: a missing attribute raises, and
            # execute() sends the request down the ordinary path.
            lines.append(f"    v{index} = source.{attribute}")
            exact = (
                _EXACT_TYPES.get(field.type.of_type)
                if isinstance(field.type, GraphQLNonNull)
                else None
            )
            if exact is not None:  # a non-null String, ID or Boolean that already is one
                namespace[f"exact{index}"] = exact
                lines.append(f"    if type(v{index}) is not exact{index}:")
                lines.append(f"        v{index} = complete{index}(v{index})")
            else:
                lines.append(f"    v{index} = complete{index}(v{index})")
        lines.append("    return {" + ", ".join(items) + "}")
        exec(compile("\n".join(lines), f"<prepared {type_.name}>", "exec"), namespace)
        complete_object: Completer = namespace["complete_object"]
        return complete_object


def _plain_attribute(field: GraphQLField) -> str | None:
    """The Python attribute a basic strawberry field reads (no resolver, arguments or
    extensions), else None."""
    definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        definition is None
        or definition.extensions
        or not getattr(field.resolve, "_is_default", False)
        or field.args
    ):
        return None
    return str(definition.python_name)


def _has_directives(document: DocumentNode) -> bool:
    class Finder(Visitor):
        found = False

        def enter_directive(self, node: DirectiveNode, *_: Any) -> Any:
            self.found = True
            return Visitor.BREAK

    finder = Finder()
    visit(document, finder)
    return finder.found


def _identity(value: Any) -> Any:
    return value


def _constant(value: str) -> Completer:
    return lambda _: value


def _non_null(core: Completer) -> Completer:
    def complete_non_null(value: Any) -> Any:
        if value is None:
            raise Unprepared
        return core(value)

    return complete_non_null


def _nullable(core: Completer) -> Completer:
    return lambda value: None if value is None else core(value)


def _list(item: Completer) -> Completer:
    def complete_list(value: Any) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise Unprepared
        return [item(element) for element in value]

    return complete_list


def _leaf(type_: GraphQLLeafType) -> Completer:
    """The type's own serialisation, with the common exact-type case answered first; a value
    it would refuse, or serialise to nothing, is Unprepared (graphql-core reports it)."""
    coerce = type_.coerce_output_value

    def serialise(value: Any) -> Any:
        serialised = coerce(value)
        if serialised is None or serialised is Undefined:
            raise Unprepared
        return serialised

    if type_ is GraphQLString:
        return lambda value: value if type(value) is str else serialise(value)
    if type_ is GraphQLID:
        # graphql-core serialises an ID that is no builtin type, such as a UUID, as its str().
        return lambda value: (
            value
            if type(value) is str
            else str(value)
            if isinstance(value, UUID)
            else serialise(value)
        )
    if type_ is GraphQLInt:
        return lambda value: (
            value if type(value) is int and _INT_MIN <= value <= _INT_MAX else serialise(value)
        )
    if type_ is GraphQLFloat:
        return lambda value: (
            value if type(value) is float and math.isfinite(value) else serialise(value)
        )
    if type_ is GraphQLBoolean:
        return lambda value: value if type(value) is bool else serialise(value)
    if repr(coerce) == repr(_ISOFORMAT):  # strawberry's DateTime, Date and Time
        # A UTC datetime (what asyncpg gives for timestamptz) is left to orjson, which writes
        # the isoformat() text, in a third of the time (tests/graph/extensions/
        # test_prepared.py compares them).
        return lambda value: (
            value if type(value) is datetime and value.tzinfo is UTC else serialise(value)
        )
    wrapped = getattr(type_, "wrapped_cls", None)  # a strawberry enum: its Python enum
    if isinstance(type_, GraphQLEnumType) and wrapped is not None:
        # The GraphQL name strawberry's coerce_output_value finds for each member, looked up.
        names = {member: coerce(member) for member in wrapped}
        return lambda value: names[value] if type(value) is wrapped else serialise(value)
    return serialise
