"""The plain-field fast path answers exactly what graphql-core's own path answers: values,
enums, nulls, null in a non-null field, and values that fail to coerce."""

from enum import Enum
from typing import Any

import strawberry

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

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


ITEMS: list[Any] = [
    Item(name="a", score=None, colour=Colour.RED, count=1),
    Item(name="b", score=0.5, colour=Colour.BLUE, count=2),
    Item(name=None, score=1.0, colour=Colour.RED, count=3),  # type: ignore[arg-type]
    Item(name="d", score=2.0, colour=Colour.RED, count="many"),  # type: ignore[arg-type]
]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return ITEMS


QUERY = "{ items { name score colour count shout(times: 2) alias: count } }"


async def test_fast_path_answers_like_graphql_core() -> None:
    plain = strawberry.Schema(query=Query, execution_context_class=PlainFieldExecutionContext)
    reference = strawberry.Schema(query=Query)
    ours, theirs = await plain.execute(QUERY), await reference.execute(QUERY)
    assert ours.data == theirs.data
    assert [(e.message, e.path) for e in ours.errors or []] == [
        (e.message, e.path) for e in theirs.errors or []
    ]
    assert ours.data is not None
    assert ours.data["items"][1] == {
        "name": "b", "score": 0.5, "colour": "BLUE", "count": 2, "shout": "BB", "alias": 2
    }  # fmt: skip
    # Null in a non-null field and a count that is no Int are errors on both paths.
    assert len(ours.errors or []) == 2
