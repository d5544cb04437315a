"""A prepared operation answers exactly what graphql-core answers, or steps aside.

On a toy schema: generated documents (aliases, fragments, `__typename`, nested objects, lists,
nulls, values that do not serialise) either give graphql-core's own `data` byte for byte, or
raise Unprepared where graphql-core reports an error. Through the app: generated documents on
the real profile fields answer the same bytes prepared as through the view, and what departs
from the plain case (bad input, no token, variables that do not coerce) is answered by the view
with its usual errors, counted once against the rate limit.
"""

import random
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from typing import Any, Final, cast
from unittest.mock import patch

import httpx
import orjson
import pytest
import strawberry
from graphql import parse, validate
from strawberry.scalars import JSON
from strawberry.types import Info

from graph.extensions.prepared import Unprepared, prepare
from graph.extensions.scalar_fast_path import PlainFieldExecutionContext
from services.auth.tokens import Role
from tests.conftest import make_token


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
    moment: datetime
    child: "Item | None" = None

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times


# Datetimes as asyncpg gives them (UTC, with and without microseconds), with an offset, naive.
MOMENTS: Final = [
    datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 1, 2),
]


def _item(index: int, name: Any, score: Any, colour: Any, count: Any) -> Any:
    moment = MOMENTS[index % len(MOMENTS)]
    return Item(
        name=name, score=score, colour=colour, count=count, tags=[f"t{index}"], moment=moment
    )


GOOD: list[Any] = [_item(0, "a", None, Colour.RED, 1), _item(1, "b", 0.5, Colour.BLUE, 2)]
GOOD[1].child = GOOD[0]
BAD: list[Any] = [
    _item(2, None, 1.0, Colour.RED, 3),  # null in a non-null field
    _item(3, "d", 2.0, Colour.RED, "many"),  # a value that is no Int
    _item(4, "e", "high", "green", 2**40),  # no Float, no Colour, an Int out of range
    _item(5, "f", float("inf"), Colour.BLUE, 1),  # a Float JSON cannot carry
]


@strawberry.input
class Pick:
    index: int = 0
    names: list[str] | None = None


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return GOOD

    @strawberry.field
    def bad(self) -> list[Item]:
        return BAD

    @strawberry.field
    async def first(self, index: int = 0) -> Item | None:
        return (GOOD + BAD)[index] if index >= 0 else None

    @strawberry.field
    def picked(self, pick: Pick) -> Item | None:
        return GOOD[pick.index] if pick.names != ["none"] else None

    @strawberry.field
    def counted(self, info: Info) -> int:
        # A resolver that writes to what it is given of the request: never shared.
        values = info.variable_values
        values["_seen"] = values.get("_seen", 0) + 1
        return int(values["_seen"])

    @strawberry.field
    def extensions(self, info: Info) -> str:
        return repr(info.input_extensions)

    @strawberry.field
    def noted(self, note: JSON) -> int:
        # A resolver that changes its argument: what it is given must be its own.
        given = cast(dict[str, Any], note)
        given["seen"] = given.get("seen", 0) + 1
        return int(given["seen"])


SCHEMA = strawberry.Schema(query=Query, execution_context_class=PlainFieldExecutionContext)
ROOTS: Final = frozenset(
    {"items", "bad", "first", "picked", "noted", "counted", "extensions", "__typename"}
)
LEAVES: Final = ["name", "score", "colour", "count", "tags", "moment", "__typename"]


def _selection(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for index in range(rng.randint(1, 6)):
        alias = rng.choice(["", "", f"x{index}: "])
        parts.append(alias + rng.choice(LEAVES))
    if depth < 2 and rng.random() < 0.5:
        parts.append("child { " + _selection(rng, depth + 1) + " }")
    if rng.random() < 0.4:
        parts.append("... on Item { " + rng.choice(LEAVES) + " }")
    if rng.random() < 0.3:
        parts.append("...Parts")
    return " ".join(parts)


def _toy_document(rng: random.Random) -> str:
    roots = []
    for _ in range(rng.randint(1, 3)):
        root = rng.choice(["items", "bad", "first", "first(index: 1)", "first(index: -1)"])
        alias = rng.choice(["", "a: ", "b: "])
        roots.append(f"{alias}{root} {{ {_selection(rng)} }}")
    if rng.random() < 0.2:
        roots.append("__typename")
    document = "{ " + " ".join(roots) + " }"
    if "...Parts" in document:
        document += " fragment Parts on Item { name child { count } }"
    return document


async def test_generated_documents_answer_graphql_cores_data_or_step_aside() -> None:
    rng = random.Random(20261207)
    answered = stepped_aside = 0
    for _ in range(300):
        query = _toy_document(rng)
        document = parse(query)
        if validate(SCHEMA._schema, document):
            continue  # only validated documents are ever prepared
        reference = await SCHEMA.execute(query)
        prepared = prepare(SCHEMA._schema, document, None, ROOTS)
        assert prepared is not None, query
        try:
            data = await prepared.execute(None, None)
        except Unprepared:
            assert reference.errors, f"stepped aside from an answer without errors: {query}"
            stepped_aside += 1
            continue
        assert not reference.errors, query
        assert orjson.dumps(data) == orjson.dumps(reference.data), query
        answered += 1
    assert answered > 50
    assert stepped_aside > 50


async def test_arguments_written_out_are_coerced_once_and_mutable_ones_each_time() -> None:
    def plan(query: str) -> Any:
        prepared = prepare(SCHEMA._schema, parse(query), None, ROOTS)
        assert prepared is not None
        return prepared

    written_out = plan('{ picked(pick: {index: 1, names: ["a", "b"]}) { name } }')
    assert written_out.root_fields[0].arguments == {"pick": {"index": 1, "names": ["a", "b"]}}
    defaulted = plan("{ first { name } }")
    assert defaulted.root_fields[0].arguments == {"index": 0}
    for prepared, name in ((written_out, "b"), (defaulted, "a")):
        for _ in range(2):
            (data,) = (await prepared.execute(None, None)).values()
            assert data == {"name": name}
    with_variable = plan("query ($i: Int!) { picked(pick: {index: $i}) { name } }")
    assert with_variable.root_fields[0].arguments is None
    for index, name in ((0, "a"), (1, "b")):
        assert await with_variable.execute(None, {"i": index}) == {"picked": {"name": name}}
    # A JSON object is handed to the resolver as it is: never shared between requests.
    mutable = plan("{ noted(note: {seen: 0}) }")
    assert mutable.root_fields[0].arguments is None
    for _ in range(3):
        assert await mutable.execute(None, None) == {"noted": 1}
    reference = await SCHEMA.execute("{ noted(note: {seen: 0}) }")
    assert reference.data == {"noted": 1}


@pytest.mark.parametrize(
    "query", ["{ counted extensions }", "query ($x: Int) { counted first(index: $x) { name } }"]
)
async def test_the_resolver_gets_the_request_as_the_view_gives_it(query: str) -> None:
    prepared = prepare(SCHEMA._schema, parse(query), None, ROOTS)
    assert prepared is not None
    for _ in range(3):
        reference = await SCHEMA.execute(query, variable_values={"x": 1})
        assert not reference.errors
        assert await prepared.execute(None, {"x": 1}) == reference.data


@pytest.mark.parametrize(
    "query",
    [
        "mutation { __typename }",
        "{ items { name @include(if: true) } }",
        "{ items { shout } }",  # a field with a resolver below the root
        "{ items { shout(times: 2) } }",
    ],
)
def test_what_is_not_plain_is_not_prepared(query: str) -> None:
    assert prepare(SCHEMA._schema, parse(query), None, ROOTS) is None


# Through the app: the real profile fields.

CONNECTION_LEAVES: Final = ["totalCount", "unmatched", "__typename"]
PROFILE_LEAVES: Final = [
    "id", "name", "gender", "genderProbability", "age", "ageGroup", "countryId", "countryName",
    "countryProbability", "createdAt", "sampleSize", "__typename",
]  # fmt: skip
PAGE_INFO: Final = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
FILTER: Final = (
    "filter { gender ageGroup countryId minAge maxAge minGenderProbability"
    " minCountryProbability cacheKey }"
)


def _pick(rng: random.Random, names: list[str], most: int) -> str:
    return " ".join(
        rng.choice(["", "", "alias: "]).replace("alias", f"a{index}") + name
        for index, name in enumerate(rng.sample(names, rng.randint(1, min(most, len(names)))))
    )


def _connection(rng: random.Random) -> str:
    parts = [_pick(rng, CONNECTION_LEAVES, 2)]
    node = _pick(rng, PROFILE_LEAVES, 12)
    if rng.random() < 0.3:
        node += " ...ProfileParts"
    parts.append(f"edges {{ {rng.choice(['cursor', ''])} node {{ {node} }} }}")
    if rng.random() < 0.5:
        parts.append(PAGE_INFO)
    if rng.random() < 0.5:
        parts.append(FILTER)
    rng.shuffle(parts)
    return " ".join(parts)


def _profile_document(rng: random.Random) -> tuple[str, dict[str, Any]]:
    variables: dict[str, Any] = {}
    roots = []
    for index in range(rng.randint(1, 3)):
        kind = rng.choice(["profiles", "profiles", "stats", "interpret", "one", "typename"])
        if kind == "profiles":
            first = rng.choice([1, 5, 20, 100])
            arguments = rng.choice(
                [
                    f"first: {first}",
                    f'first: {first}, query: "women in Kenya"',
                    f"first: {first}, sort: {{field: AGE, order: ASC}}",
                    f"first: $first{index}, filter: {{gender: FEMALE, minAge: 20}}",
                ]
            )
            if "$first" in arguments:
                variables[f"first{index}"] = first
            roots.append(f"p{index}: profiles({arguments}) {{ {_connection(rng)} }}")
        elif kind == "stats":
            group = rng.choice(["[GENDER]", "[COUNTRY, AGE_GROUP]", "[]"])
            roots.append(f"s{index}: profileStats(groupBy: {group}) {{ key count }}")
        elif kind == "interpret":
            roots.append(
                f'i{index}: interpretQuery(text: "young men from nigeria") {{ text unmatched'
                f" {FILTER} }}"
            )
        elif kind == "one":
            roots.append(
                f'o{index}: profile(id: "0190a0b0-0000-7000-8000-000000000000") {{ name }}'
            )
        else:
            roots.append("__typename")
    declared = ", ".join(f"${name}: Int" for name in variables)
    operation = f"query Generated({declared})" if declared else "query Generated"
    fragment = "fragment ProfileParts on Profile { name age country: countryId }"
    uses_fragment = "...ProfileParts" in " ".join(roots)
    return (
        f"{operation} {{ {' '.join(roots)} }}" + (f" {fragment}" if uses_fragment else ""),
        variables,
    )


async def _post(client: httpx.AsyncClient, body: dict[str, Any], token: str | None) -> bytes:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def _prepared_answers(client: httpx.AsyncClient) -> int:
    app: Any = client._transport.app  # type: ignore[attr-defined]
    return int(app.state.response_cache.prepared_answers)


@pytest.mark.usefixtures("demo_profiles")
async def test_generated_profile_documents_answer_the_same_bytes_prepared(
    client: httpx.AsyncClient,
) -> None:
    token = make_token(Role.ANALYST)
    rng = random.Random(7)
    for index in range(60):
        query, variables = _profile_document(rng)
        # A text of its own (a repeated one would be prepared already), as clients send it.
        body = {"query": f"# {index}\n{query}", "variables": variables}
        before = _prepared_answers(client)
        through_the_view = await _post(client, body, token)  # learns the operation
        assert b'"errors"' not in through_the_view, (query, through_the_view)
        prepared = await _post(client, body, token)
        assert _prepared_answers(client) == before + 1, query
        assert prepared == through_the_view, query


@pytest.mark.usefixtures("demo_profiles")
async def test_what_departs_from_the_plain_case_is_answered_by_the_view(
    client: httpx.AsyncClient,
) -> None:
    query = "query Paged($after: String) { profiles(first: 2, after: $after) { totalCount } }"
    token = make_token(Role.ANALYST)
    await _post(client, {"query": query}, token)
    before = _prepared_answers(client)
    bad_cursor = orjson.loads(
        await _post(client, {"query": query, "variables": {"after": "nope"}}, token)
    )
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    no_token = orjson.loads(await _post(client, {"query": query}, None))
    assert no_token["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    wrong_type = orjson.loads(
        await _post(client, {"query": query, "variables": {"after": 5}}, token)
    )
    assert wrong_type["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _prepared_answers(client) == before
    assert orjson.loads(await _post(client, {"query": query}, token))["data"]["profiles"]
    assert _prepared_answers(client) == before + 1


async def test_each_step_aside_is_its_own_exception() -> None:
    """One exception object raised again would gather every frame it passed through, and with
    them every request's context, for good."""
    prepared = prepare(SCHEMA._schema, parse("{ bad { name } }"), None, ROOTS)
    assert prepared is not None
    raised = []
    for _ in range(3):
        with pytest.raises(Unprepared) as caught:
            await prepared.execute(None, None)
        raised.append(caught.value)
    assert len({id(error) for error in raised}) == 3


def test_a_plan_keeps_no_text_and_costs_its_tokens_not_its_comments() -> None:
    query = "{ items { name count } }"
    plain = prepare(SCHEMA._schema, parse(query), None, ROOTS)
    padded = prepare(SCHEMA._schema, parse("#" + "x" * 50_000 + "\n" + query), None, ROOTS)
    assert plain is not None
    assert padded is not None
    assert padded.operation.loc is None
    assert all(node.loc is None for root in padded.root_fields for node in root.nodes)
    assert padded.cost == plain.cost < 10_000


@pytest.mark.usefixtures("demo_profiles")
async def test_a_plan_is_made_once_and_never_for_an_answer_with_errors(
    client: httpx.AsyncClient,
) -> None:
    body = {"query": "query OncePlanned { profiles(first: 1) { totalCount } }"}
    with patch("graph.extensions.response_cache.prepare", wraps=prepare) as planned:
        for _ in range(3):
            refused = orjson.loads(await _post(client, body, None))
            assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert planned.call_count == 0
        for _ in range(3):
            await _post(client, body, make_token(Role.ANALYST))
        assert planned.call_count == 1
