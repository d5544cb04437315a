"""The exported schema is current, and it keeps every promise of the client contract.

`tests/contract.graphql` is our copy of the shared contract. Parts that belong to issues not
built yet are listed in PENDING and must be absent, so the list can only shrink honestly.
"""

from pathlib import Path
from typing import Final

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    Undefined,
    ast_from_value,
    build_schema,
    print_ast,
)
from strawberry.printer import print_schema

from graph.schema import schema

ROOT: Final = Path(__file__).resolve().parents[2]
CONTRACT: Final = build_schema((ROOT / "tests" / "contract.graphql").read_text())
OURS: Final = schema._schema

# Contract parts not built yet (none today); a new contract field goes here until it is.
PENDING_TYPES: Final = frozenset[str]()
PENDING_QUERY_FIELDS: Final = frozenset[str]()
PENDING_MUTATION_FIELDS: Final = frozenset[str]()
PENDING_SUBSCRIPTION_FIELDS: Final = frozenset[str]()
# Fields of built types not built yet, and the root fields above, by type.
PENDING_FIELDS: Final = {
    "Query": PENDING_QUERY_FIELDS,
    "Mutation": PENDING_MUTATION_FIELDS,
    "Subscription": PENDING_SUBSCRIPTION_FIELDS,
    "Interview": frozenset[str](),
}


def test_committed_schema_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == print_schema(schema) + "\n", (
        "schema.graphql is stale: run `uv run strawberry export-schema graph:schema "
        "--output schema.graphql`"
    )


def _contract_types() -> list[GraphQLNamedType]:
    return [
        named
        for name, named in CONTRACT.type_map.items()
        if not name.startswith("__") and name not in PENDING_TYPES
    ]


@pytest.mark.parametrize("contract_type", _contract_types(), ids=lambda t: t.name)
def test_contract_type_is_in_the_schema(contract_type: GraphQLNamedType) -> None:
    ours = OURS.get_type(contract_type.name)
    assert ours is not None, f"type {contract_type.name} is missing"
    assert isinstance(ours, type(contract_type)), f"{contract_type.name} has another kind"
    if isinstance(contract_type, GraphQLEnumType):
        assert isinstance(ours, GraphQLEnumType)
        assert set(contract_type.values) <= set(ours.values)
    elif isinstance(contract_type, GraphQLInputObjectType):
        assert isinstance(ours, GraphQLInputObjectType)
        for name, contract_field in contract_type.fields.items():
            assert name in ours.fields, f"{contract_type.name}.{name} is missing"
            assert str(ours.fields[name].type) == str(contract_field.type), name
            assert _default_text(ours.fields[name]) == _default_text(contract_field), name
    elif isinstance(contract_type, GraphQLObjectType | GraphQLInterfaceType):
        assert isinstance(ours, GraphQLObjectType | GraphQLInterfaceType)
        pending = PENDING_FIELDS.get(contract_type.name, frozenset())
        for name, contract_field in contract_type.fields.items():
            if name in pending:
                continue
            assert name in ours.fields, f"{contract_type.name}.{name} is missing"
            _assert_field_keeps_promise(
                f"{contract_type.name}.{name}", contract_field, ours.fields[name]
            )


def _assert_field_keeps_promise(path: str, contract: GraphQLField, ours: GraphQLField) -> None:
    assert _at_least_as_strict(ours.type, contract.type), (
        f"{path}: {ours.type} does not keep the promise of {contract.type}"
    )
    for name, contract_arg in contract.args.items():
        assert name in ours.args, f"{path}({name}) is missing"
        assert str(ours.args[name].type) == str(contract_arg.type), f"{path}({name})"
        assert _default_text(ours.args[name]) == _default_text(contract_arg), f"{path}({name})"
    for name, our_arg in ours.args.items():
        if name not in contract.args:
            assert not isinstance(our_arg.type, GraphQLNonNull), (
                f"{path}({name}) is a new required arg"
            )


def _default_text(value: GraphQLArgument | GraphQLInputField) -> str | None:
    """A default as SDL text, whether it came from SDL (AST) or from code (a Python value)."""
    node = value.ast_node
    if node is not None and node.default_value is not None:
        return print_ast(node.default_value)
    if value.default_value is Undefined:
        return None
    default = ast_from_value(value.default_value, value.type)
    text = print_ast(default) if default is not None else None
    return None if text == "null" else text  # "= null" on a nullable input says nothing more


def _at_least_as_strict(ours: object, contract: object) -> bool:
    """An output type keeps its promise: the same type, non-null wherever the contract is."""
    if isinstance(contract, GraphQLNonNull):
        return isinstance(ours, GraphQLNonNull) and _at_least_as_strict(
            ours.of_type, contract.of_type
        )
    if isinstance(ours, GraphQLNonNull):
        ours = ours.of_type
    contract_inner = getattr(contract, "of_type", None)
    if contract_inner is not None:
        our_inner = getattr(ours, "of_type", None)
        return our_inner is not None and _at_least_as_strict(our_inner, contract_inner)
    return str(ours) == str(contract)


def test_pending_contract_parts_are_not_half_built() -> None:
    """Whoever builds a pending part removes it from PENDING, and the checks above take over."""
    built = {name for name in PENDING_TYPES if OURS.get_type(name) is not None}
    assert built == set(), f"built now, remove from PENDING_TYPES: {sorted(built)}"
    for type_name, pending in PENDING_FIELDS.items():
        ours = OURS.get_type(type_name)
        assert isinstance(ours, GraphQLObjectType), f"{type_name} is missing"
        assert pending.isdisjoint(ours.fields), f"built now, remove from PENDING: {type_name}"
