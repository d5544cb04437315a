"""Hostile documents are refused with BAD_USER_INPUT before they cost anything."""

from dataclasses import replace

import asyncpg
import httpx
import strawberry

from graph.app import create_app
from graph.document_cache import documents
from graph.limits import (
    MAX_ALIASES,
    MAX_QUERY_DEPTH,
    MAX_TOKENS,
    query_limits,
)
from services.settings import Settings
from tests.conftest import GraphQLCall, make_token


async def test_alias_flood_is_refused(gql: GraphQLCall) -> None:
    aliases = " ".join(
        f"a{i}: profileStats(groupBy: []) {{ count }}" for i in range(MAX_ALIASES + 1)
    )
    body = await gql(f"{{ {aliases} }}")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "aliases" in body["errors"][0]["message"]


async def test_aliases_within_the_limit_are_answered(gql: GraphQLCall) -> None:
    aliases = " ".join(f"a{i}: profileStats(groupBy: []) {{ count }}" for i in range(3))
    body = await gql(f"{{ {aliases} }}")
    assert set(body["data"]) == {"a0", "a1", "a2"}


async def test_too_many_tokens_is_refused(gql: GraphQLCall) -> None:
    fields = " ".join(["count"] * (MAX_TOKENS + 1))
    body = await gql(f"{{ profileStats(groupBy: []) {{ {fields} }} }}")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@strawberry.type
class Node:
    @strawberry.field
    def child(self) -> "Node":
        return Node()

    name: str = "n"


@strawberry.type
class RecursiveQuery:
    @strawberry.field
    def root(self) -> Node:
        return Node()


# Our own types do not nest, so the depth rule is proved on a schema whose type does.
recursive_schema = strawberry.Schema(query=RecursiveQuery, extensions=query_limits())


def nested(depth: int) -> str:
    inner = "name"
    for _ in range(depth - 1):
        inner = f"child {{ {inner} }}"
    return f"{{ root {{ {inner} }} }}"


async def test_document_at_the_depth_limit_is_answered() -> None:
    result = await recursive_schema.execute(nested(MAX_QUERY_DEPTH))
    assert result.errors is None


async def test_deeper_document_is_refused() -> None:
    result = await recursive_schema.execute(nested(MAX_QUERY_DEPTH + 1))
    assert result.errors is not None
    assert "exceeds maximum operation depth" in result.errors[0].message


async def test_introspection_is_not_counted_as_depth(gql: GraphQLCall) -> None:
    body = await gql(
        "{ __schema { types { fields { type { ofType { ofType { ofType { ofType "
        "{ ofType { ofType { name } } } } } } } } } } }"
    )
    assert "errors" not in body


async def test_validation_cache_hits_for_a_repeated_document(gql: GraphQLCall) -> None:
    """Rules built once keep the validation cache keyed the same across requests."""
    document = "{ profileStats(groupBy: [GENDER]) { count } }"
    await gql(document)
    validations = documents.validations
    await gql(document)
    assert documents.validations == validations


async def test_introspection_can_be_switched_off(settings: Settings, pool: asyncpg.Pool) -> None:
    closed = replace(settings, graphql_introspection=False)
    transport = httpx.ASGITransport(app=create_app(closed, pool=pool))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        headers = {"Authorization": f"Bearer {make_token()}"}
        refused = await http.post(
            "/graphql", json={"query": "{ __schema { types { name } } }"}, headers=headers
        )
        answered = await http.post(
            "/graphql", json={"query": "{ profileStats(groupBy: []) { count } }"}, headers=headers
        )
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "introspection" in refused.json()["errors"][0]["message"]
    assert answered.json()["data"]["profileStats"][0]["count"] >= 0


async def test_several_operations_need_an_operation_name(gql: GraphQLCall) -> None:
    document = "query A { profileStats(groupBy: []) { count } } query B { viewer { role } }"
    body = await gql(document)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "operationName" in body["errors"][0]["message"]
    assert body.get("data") is None
