"""A faster path through graphql-core for plain-attribute scalar fields.

A 20-row profiles page runs ~250 fields; graphql-core builds a path, a resolve-info object,
calls strawberry's default resolver and walks complete_value for each of them, ~28 us a row of
12 fields. For a field that is a plain attribute (strawberry's basic field: no resolver, no
arguments, no extensions) whose type is a scalar or an enum, the answer is
`coerce_output_value(getattr(source, name))`, which is what graphql-core would compute:
`execute_fields` puts it in the object's answer inline. Anything else, and every value that is
None or fails to coerce, takes graphql-core's own `execute_field`, so nulls, errors, their
messages and paths, and field order are unchanged (tests/graph/extensions/
test_scalar_fast_path.py compares the bytes on generated documents).
"""

from typing import Any, Final

from graphql import GraphQLField, GraphQLLeafType, GraphQLObjectType, get_named_type, is_leaf_type
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

_NOT_PLAIN: Final[tuple[str, GraphQLLeafType | None]] = ("", None)
# id(GraphQLField) -> (attribute name, leaf type), or _NOT_PLAIN. GraphQLField is not hashable;
# its id is stable because the schema (module level) keeps every field alive.
_plain_fields: dict[int, tuple[str, GraphQLLeafType | None]] = {}


class PlainFieldExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's execute_fields, with plain leaf fields answered inline: no resolve
        info, no path, no call per field. Everything else goes through execute_field."""
        # Strawberry hands every request a MiddlewareManager; only an empty one can be skipped.
        middleware = self.middleware_manager
        if middleware is not None and middleware.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        get_field = self.schema.get_field
        try:
            for response_name, field_details_list in grouped_field_set.items():
                node = field_details_list[0].node
                if not node.arguments:
                    field_def = get_field(parent_type, node.name.value)
                    if field_def is not None:
                        name, leaf = _plain_fields.get(id(field_def)) or _classify(field_def)
                        if leaf is not None:
                            value = getattr(source_value, name, None)
                            if value is not None:
                                try:
                                    coerced = leaf.coerce_output_value(value)
                                except Exception:  # graphql-core's own path reports it
                                    coerced = None
                                if coerced is not None and coerced is not Undefined:
                                    results[response_name] = coerced
                                    continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

    async def _gather_fields(
        self, results: dict[str, Any], awaitable_fields: list[str]
    ) -> dict[str, Any]:
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
        else:
            awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results


def _classify(field_def: GraphQLField) -> tuple[str, GraphQLLeafType | None]:
    plain: tuple[str, GraphQLLeafType | None] = _NOT_PLAIN
    definition = (field_def.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    named = get_named_type(field_def.type)
    # strawberry marks the resolver of a field with extensions (permission classes) but no
    # resolver of its own as default too: those extensions must run, so it is not plain.
    if (
        definition is not None
        and not definition.extensions
        and getattr(field_def.resolve, "_is_default", False)
        and not field_def.args
        and is_leaf_type(named)
    ):
        plain = (definition.python_name, named)
    _plain_fields[id(field_def)] = plain
    return plain
