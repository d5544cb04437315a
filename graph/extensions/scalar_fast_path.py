"""A faster path through graphql-core for plain-attribute scalar fields.

A 20-row profiles page runs ~250 fields; graphql-core builds a resolve-info object, calls
strawberry's default resolver and walks complete_value for each of them, ~28 us a row of 12
fields (server CPU per cached page: 1.32 ms for 20 rows, 0.79 ms for 1). For a field that is a
plain attribute (strawberry's basic field: no resolver, no arguments, no extensions) whose type
is a scalar or an enum, the answer is `coerce_output_value(getattr(source, name))`, which is what
graphql-core would compute. Anything else, and every value that is None or fails to coerce,
takes graphql-core's own path, so nulls, errors and their messages are unchanged.
"""

from typing import Any, Final

from graphql import GraphQLField, GraphQLLeafType, GraphQLObjectType, get_named_type, is_leaf_type
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

_NOT_PLAIN: Final[tuple[str, GraphQLLeafType | None]] = ("", None)
# id(GraphQLField) -> (attribute name, leaf type), or _NOT_PLAIN. GraphQLField is not hashable;
# its id is stable because the schema (module level) keeps every field alive.
_plain_fields: dict[int, tuple[str, GraphQLLeafType | None]] = {}


class PlainFieldExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        field_def = self.schema.get_field(parent_type, node.name.value)
        # Strawberry hands every request a MiddlewareManager; only an empty one can be skipped.
        middleware = self.middleware_manager
        if (
            field_def is not None
            and not node.arguments
            and (middleware is None or not middleware.middlewares)
        ):
            name, leaf = _plain_fields.get(id(field_def)) or _classify(field_def)
            if leaf is not None:
                value = getattr(source, name, None)
                if value is not None:
                    try:
                        coerced = leaf.coerce_output_value(value)
                    except Exception:  # graphql-core's own path reports it properly
                        coerced = None
                    if coerced is not None and coerced is not Undefined:
                        return coerced
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


def _classify(field_def: GraphQLField) -> tuple[str, GraphQLLeafType | None]:
    plain: tuple[str, GraphQLLeafType | None] = _NOT_PLAIN
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    named = get_named_type(field_def.type)
    if (
        definition is not None
        and getattr(field_def.resolve, "_is_default", False)
        and not field_def.args
        and is_leaf_type(named)
    ):
        plain = (definition.python_name, named)
    _plain_fields[id(field_def)] = plain
    return plain
