"""Every root operation of the schema as a runnable document, with sample or generated
variables: what the permission matrix and the input fuzzing walk over.

Documents declare one variable per argument (`$a_<name>`) and select every field of the
result that takes no required argument, a few levels deep, so the nested resolvers run too.
"""

import functools
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, cast

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    get_named_type,
)
from hypothesis import strategies as st

from graph.schema import schema

GRAPHQL_SCHEMA: Final = schema._schema
MISSING_ID: Final = "0190a3b4-0000-7000-8000-000000000000"
SELECTION_DEPTH: Final = 3

# Valid-looking values for arguments and input fields by name, where a plain "sample" would be
# refused as bad input before the operation gets to its real work (or its NOT_FOUND).
SAMPLE_BY_NAME: Final[dict[str, Any]] = {
    "email": "sample.person@example.com",
    "password": "a sample passphrase",
    "newPassword": "a sample passphrase",
    "speaker": "ai",
    "text": "Hello there",
    "timestampSec": 0,
    "sequenceNo": 1,
    "first": 1,
    "questionCount": 1,
    "groupBy": ["GENDER"],
}
SAMPLE_BY_TYPE: Final[dict[str, Any]] = {
    "ID": MISSING_ID,
    "String": "sample",
    "Int": 1,
    "Float": 0.5,
    "Boolean": True,
    "DateTime": "2026-01-01T00:00:00+00:00",
    "JSON": {"sample": 1},
}


@dataclass(frozen=True, slots=True)
class Operation:
    kind: str  # query | mutation | subscription
    name: str
    field: GraphQLField

    @property
    def arguments(self) -> dict[str, GraphQLArgument]:
        return dict(self.field.args)

    def document(self) -> str:
        declarations = ", ".join(f"$a_{name}: {arg.type}" for name, arg in self.arguments.items())
        arguments = ", ".join(f"{name}: $a_{name}" for name in self.arguments)
        header = f"{self.kind} Probe({declarations})" if declarations else f"{self.kind} Probe"
        call = f"{self.name}({arguments})" if arguments else self.name
        return f"{header} {{ {call}{_selection(self.field.type, SELECTION_DEPTH)} }}"

    def variables(self, arguments: dict[str, Any]) -> dict[str, Any]:
        return {f"a_{name}": value for name, value in arguments.items()}


def operations() -> list[Operation]:
    found: list[Operation] = []
    for kind, root in (
        ("query", GRAPHQL_SCHEMA.query_type),
        ("mutation", GRAPHQL_SCHEMA.mutation_type),
        ("subscription", GRAPHQL_SCHEMA.subscription_type),
    ):
        if root is not None:
            found.extend(Operation(kind, name, field) for name, field in root.fields.items())
    return found


def _selection(output: GraphQLOutputType, depth: int) -> str:
    named = get_named_type(output)
    if not isinstance(named, GraphQLObjectType):
        return "" if isinstance(named, GraphQLScalarType | GraphQLEnumType) else " { __typename }"
    fields = []
    for name, field in named.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        inner = get_named_type(field.type)
        if isinstance(inner, GraphQLObjectType):
            if depth > 1:
                fields.append(f"{name}{_selection(field.type, depth - 1)}")
        else:
            fields.append(name)
    return " { " + " ".join(fields or ["__typename"]) + " }"


# ---------------------------------------------------------------- sample values


def sample_arguments(operation: Operation) -> dict[str, Any]:
    """Required arguments with plausible values; optional ones left out."""
    return {
        name: _sample(name, arg.type)
        for name, arg in operation.arguments.items()
        if isinstance(arg.type, GraphQLNonNull)
    }


def _sample(name: str, input_type: GraphQLInputType) -> Any:
    if name in SAMPLE_BY_NAME:
        return SAMPLE_BY_NAME[name]
    if isinstance(input_type, GraphQLNonNull):
        return _sample(name, input_type.of_type)
    if isinstance(input_type, GraphQLList):
        return [_sample(name, input_type.of_type)]
    if isinstance(input_type, GraphQLEnumType):
        return next(iter(input_type.values))
    if isinstance(input_type, GraphQLInputObjectType):
        return {
            field_name: _sample(field_name, field.type)
            for field_name, field in input_type.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
    assert isinstance(input_type, GraphQLScalarType)
    return SAMPLE_BY_TYPE.get(input_type.name, "sample")


def with_value_at(arguments: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `arguments` with `value` at a dotted path ("input.candidateId")."""
    head, _, rest = path.partition(".")
    copied = dict(arguments)
    copied[head] = with_value_at(copied.get(head) or {}, rest, value) if rest else value
    return copied


def type_at(operation: Operation, path: str) -> GraphQLInputType | None:
    """The type of the argument or input field a dotted path names, if there is one."""
    head, _, rest = path.partition(".")
    argument = operation.arguments.get(head)
    current: GraphQLInputType | None = argument.type if argument else None
    for part in rest.split(".") if rest else []:
        named = get_named_type(current) if current is not None else None
        if not isinstance(named, GraphQLInputObjectType) or part not in named.fields:
            return None
        current = named.fields[part].type
    return current


def required_id_paths(operation: Operation) -> Iterator[str]:
    """Dotted paths of the required ID arguments, inside required input objects too."""
    for name, argument in operation.arguments.items():
        yield from _required_ids(name, argument.type)


def _required_ids(path: str, input_type: GraphQLInputType) -> Iterator[str]:
    if not isinstance(input_type, GraphQLNonNull):
        return
    inner = input_type.of_type
    if isinstance(inner, GraphQLScalarType) and inner.name == "ID":
        yield path
    elif isinstance(inner, GraphQLInputObjectType):
        for name, field in inner.fields.items():
            yield from _required_ids(f"{path}.{name}", field.type)


# ---------------------------------------------------------------- generated values

# Text that has broken servers before: SQL, NULs, surrogate-free odd Unicode, format strings,
# huge and empty values, numbers as text.
HOSTILE_TEXT: Final = (
    "",
    " ",
    "' OR '1'='1' --",
    "'; drop table users; --",
    "\x00",
    "a\x00b",
    "%s%s%n",
    "{0}{1}",
    "\u202e\u200b\ufeff",
    "🙂" * 50,
    "x" * 5_000,
    "-1",
    "1e309",
    "NaN",
    MISSING_ID,
    "00000000-0000-0000-0000-000000000000",
    "user:" + MISSING_ID,
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "=cmd|' /C calc'!A0",
    # plausible values, so the generated requests also get past the first checks
    "fuzz.person@example.com",
    "FUZZ.Person@Example.COM ",
    "a long enough passphrase",
    "ai",
)
_TEXT: Final = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),
    st.text(alphabet=string.printable, max_size=300),
)
_INT32: Final = st.integers(min_value=-(2**31), max_value=2**31 - 1)
_JSON_LEAF: Final = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
# Nested past what orjson (the jsonb codec) encodes, and integers it reads back as floats.
_HOSTILE_JSON: Final = (
    functools.reduce(lambda inner, _: [inner], range(300), cast(Any, "deep")),
    [{"speaker": "ai", "text": "x", "timestamp_sec": 10**30}],
    [{"speaker": "ai", "text": "x", "sequence_no": -(10**25)}],
)
_JSON: Final = st.one_of(
    st.recursive(
        _JSON_LEAF,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.text(max_size=10), children, max_size=4),
        ),
        max_leaves=12,
    ),
    st.sampled_from(_HOSTILE_JSON),
)
_SCALARS: Final[dict[str, st.SearchStrategy[Any]]] = {
    "ID": st.one_of(st.uuids().map(str), _TEXT),
    "String": _TEXT,
    "Int": st.one_of(
        _INT32, st.sampled_from([0, -1, 1, 100, 101, 2**31 - 1]), st.integers(min_value=2**31)
    ),
    "Float": st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0, 1])),
    "Boolean": st.booleans(),
    "DateTime": st.one_of(st.datetimes().map(lambda value: value.isoformat()), _TEXT),
    "JSON": _JSON,
}


# Values that pass the first checks of fields with these names, mixed with anything at all, so
# the generated requests reach the code behind those checks too.
_PLAUSIBLE_BY_NAME: Final[dict[str, st.SearchStrategy[Any]]] = {
    "email": st.emails(),
    "password": st.text(min_size=10, max_size=300),
    "newPassword": st.text(min_size=10, max_size=300),
    "speaker": st.sampled_from(["ai", "candidate", "interviewer", "unknown", " AI "]),
    "first": st.integers(min_value=1, max_value=100),
    "timestampSec": st.integers(min_value=0, max_value=100_000),
    # The last int4 once made every later automatic number overflow.
    "sequenceNo": st.one_of(
        st.integers(min_value=1, max_value=1_000), st.sampled_from([1_000_000, 2**31 - 1])
    ),
    "questionCount": st.integers(min_value=1, max_value=20),
    # A question that gets past the empty and length checks, NUL or not.
    "message": st.sampled_from(["What about caching?", "caching\x00", "\x00"]),
}


@dataclass(frozen=True, slots=True)
class Generator:
    """Builds argument strategies; `known_ids` are ids of rows that exist, drawn often."""

    known_ids: tuple[str, ...] = ()

    def arguments(self, operation: Operation) -> st.SearchStrategy[dict[str, Any]]:
        """Arguments of the right shape mostly; now and then a missing, null or junk value."""
        required = {
            name: self._argument(name, arg.type)
            for name, arg in operation.arguments.items()
            if isinstance(arg.type, GraphQLNonNull)
        }
        optional = {
            name: self._argument(name, arg.type)
            for name, arg in operation.arguments.items()
            if not isinstance(arg.type, GraphQLNonNull)
        }
        return st.fixed_dictionaries(required, optional=optional)

    def _argument(self, name: str, input_type: GraphQLInputType) -> st.SearchStrategy[Any]:
        # One draw in 16 is any JSON value at all: the wrong type must be bad input too.
        shaped = self._shaped(name, input_type)
        return st.integers(0, 15).flatmap(lambda n: _JSON if n == 0 else shaped)

    def _shaped(self, name: str, input_type: GraphQLInputType) -> st.SearchStrategy[Any]:
        if isinstance(input_type, GraphQLNonNull):
            return self._non_null(name, input_type.of_type)
        return st.one_of(st.none(), self._non_null(name, input_type))

    def _non_null(self, name: str, input_type: GraphQLInputType) -> st.SearchStrategy[Any]:
        if isinstance(input_type, GraphQLList):
            items = self._shaped(name, input_type.of_type)
            return st.one_of(
                st.lists(items, max_size=4), st.lists(items, min_size=101, max_size=120)
            )
        if isinstance(input_type, GraphQLEnumType):
            return st.one_of(st.sampled_from(list(input_type.values)), _TEXT)
        if isinstance(input_type, GraphQLInputObjectType):
            return self._input_object(input_type)
        assert isinstance(input_type, GraphQLScalarType)
        scalar = _SCALARS.get(input_type.name, _TEXT)
        if input_type.name == "ID" and self.known_ids:
            scalar = st.one_of(st.sampled_from(self.known_ids), scalar)
        if name in _PLAUSIBLE_BY_NAME:
            scalar = st.one_of(_PLAUSIBLE_BY_NAME[name], scalar)
        return scalar

    def _input_object(self, input_type: GraphQLInputObjectType) -> st.SearchStrategy[Any]:
        required: dict[str, st.SearchStrategy[Any]] = {}
        optional: dict[str, st.SearchStrategy[Any]] = {}
        for name, field in input_type.fields.items():
            strategy = self._deferred(name, field.type)
            (required if isinstance(field.type, GraphQLNonNull) else optional)[name] = strategy
        anything = {**required, **optional, "notAField": _TEXT}
        return st.one_of(
            st.fixed_dictionaries(required, optional=optional),
            st.fixed_dictionaries({}, optional=anything),
        )

    def _deferred(self, name: str, input_type: GraphQLInputType) -> st.SearchStrategy[Any]:
        # Deferred, so an input type that contains itself does not recurse at build time.
        return st.deferred(lambda: self._shaped(name, input_type))
