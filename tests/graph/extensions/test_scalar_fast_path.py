"""The plain-field fast path answers exactly what graphql-core's own path answers: values,
enums, nulls, null in a non-null field, values that fail to coerce, aliases, `__typename`,
fragments and `@include`/`@skip`, checked byte for byte on generated documents."""

import asyncio
from enum import Enum
from typing import Any

import orjson
import strawberry
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.extensions.scalar_fast_path import PlainFieldExecutionContext


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str
    score: float | None
    colour: Colour
    count: int
    tags: list[str]
    child: "Item | None" = None

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times

    @strawberry.field
    async def later(self) -> int:
        return self.count


def _item(index: int, name: Any, score: Any, colour: Any, count: Any) -> Any:
    return Item(name=name, score=score, colour=colour, count=count, tags=[f"t{index}"])


ITEMS: list[Any] = [
    _item(0, "a", None, Colour.RED, 1),
    _item(1, "b", 0.5, Colour.BLUE, 2),
    _item(2, None, 1.0, Colour.RED, 3),  # null in a non-null field
    _item(3, "d", 2.0, Colour.RED, "many"),  # a value that is no Int
    _item(4, "e", "high", "green", 2**40),  # no Float, no Colour, an Int out of range
]
ITEMS[1].child = ITEMS[0]
ITEMS[3].child = ITEMS[2]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return ITEMS

    @strawberry.field
    def first(self) -> Item:
        item: Item = ITEMS[0]
        return item


PLAIN = strawberry.Schema(query=Query, execution_context_class=PlainFieldExecutionContext)
REFERENCE = strawberry.Schema(query=Query)
LEAVES = ["name", "score", "colour", "count", "tags", "__typename", "shout(times: 2)", "later"]


def _answer(result: Any) -> bytes:
    errors = [
        {
            "message": e.message,
            "path": e.path,
            "locations": [(x.line, x.column) for x in e.locations or []],
        }
        for e in result.errors or []
    ]
    return orjson.dumps({"data": result.data, "errors": errors})


async def test_fast_path_answers_like_graphql_core() -> None:
    query = "{ items { name score colour count shout(times: 2) alias: count } }"
    ours, theirs = await PLAIN.execute(query), await REFERENCE.execute(query)
    assert _answer(ours) == _answer(theirs)
    assert ours.data is not None
    assert ours.data["items"][1] == {
        "name": "b", "score": 0.5, "colour": "BLUE", "count": 2, "shout": "BB", "alias": 2
    }  # fmt: skip
    # Null in a non-null field, a count that is no Int, item 4's values: errors on both paths.
    assert len(ours.errors or []) == len(theirs.errors or []) >= 3


@st.composite
def selections(draw: st.DrawFn, depth: int = 0) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 6))):
        leaf = draw(st.sampled_from(LEAVES))
        alias = draw(st.sampled_from(["", "", "x: ", "y: "]))
        directive = draw(st.sampled_from(["", "", " @include(if: $on)", " @skip(if: $on)"]))
        parts.append(f"{alias}{leaf}{directive}")
    if depth < 2 and draw(st.booleans()):
        parts.append("child { " + draw(selections(depth + 1)) + " }")
    if draw(st.booleans()):
        parts.append("... on Item { " + draw(st.sampled_from(LEAVES)) + " }")
    return " ".join(parts)


@settings(max_examples=60, deadline=None)
@given(body=selections(), on=st.booleans(), root=st.sampled_from(["items", "first"]))
def test_generated_documents_answer_the_same_bytes(body: str, on: bool, root: str) -> None:
    query = f"query($on: Boolean!) {{ {root} {{ {body} }} }}"
    variables = {"on": on}
    ours = asyncio.run(PLAIN.execute(query, variable_values=variables))
    theirs = asyncio.run(REFERENCE.execute(query, variable_values=variables))
    assert _answer(ours) == _answer(theirs), query


class _Refused(strawberry.BasePermission):
    message = "refused"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Guarded:
    open: str
    # A plain attribute behind a permission class: strawberry marks its resolver as default too.
    secret: str | None = strawberry.field(permission_classes=[_Refused], default=None)


@strawberry.type
class GuardedQuery:
    @strawberry.field
    def guarded(self) -> Guarded:
        return Guarded(open="o", secret="s")


# Module level, as the fast path's classification (keyed by the field's id) needs its schema
# alive: a schema collected after a test could lend its fields' ids to another's.
GUARDED_PLAIN = strawberry.Schema(
    query=GuardedQuery, execution_context_class=PlainFieldExecutionContext
)
GUARDED_REFERENCE = strawberry.Schema(query=GuardedQuery)


async def test_a_leaf_field_with_an_extension_is_never_answered_inline() -> None:
    """A field without a resolver but with a permission class (any field extension) runs its
    extension on graphql-core's path: the fast path must not read the attribute past it."""
    query = "{ guarded { open secret } }"
    ours = await GUARDED_PLAIN.execute(query)
    theirs = await GUARDED_REFERENCE.execute(query)
    assert theirs.data == {"guarded": {"open": "o", "secret": None}}
    assert [e.message for e in theirs.errors or []] == ["refused"]
    assert _answer(ours) == _answer(theirs)
