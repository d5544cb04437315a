"""Hostile documents are refused with BAD_USER_INPUT before they cost anything."""

import asyncio
import json
import time
from dataclasses import replace
from typing import Any, Final

import asyncpg
import httpx
import pytest
import strawberry
from graphql import parse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect

from cli.subscriptions import GRAPHQL_TRANSPORT_WS
from graph.extensions.document_cache import documents
from graph.extensions.limits import (
    MAX_ALIASES,
    MAX_DOCUMENT_CHARS,
    MAX_OPERATIONS,
    MAX_QUERY_DEPTH,
    MAX_TOKENS,
    query_limits,
)
from graph.schema import schema
from server.app import create_app
from services.platform.settings import Settings
from tests.conftest import GraphQLCall, make_token
from tests.live_server import LiveServer


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


# Fragment bombs: documents of a few hundred bytes whose fragments, expanded, are 2^n or k^n
# fields. Each rule that walks selections must visit every fragment once, so each is refused
# at a cost that grows with the document's length, not with its expansion.
BOMB_BUDGET_SECONDS: Final = 0.050


def fragment_bomb(
    *,
    links: int,
    fan_out: int,
    root: str = "query",
    on: str = "Query",
    style: str = "spread",
    leaf: str = "__typename",
) -> str:
    """`links` fragments, each selecting the next one `fan_out` times, in the given style."""

    def select_next(i: int, copy: int) -> str:
        spread = f"...F{i + 1}"
        if style == "inline":
            return f"... on {on} {{ {spread} }}"
        if style == "aliased":
            return f"a{copy}: __typename {spread}"
        return spread

    chain = " ".join(
        f"fragment F{i} on {on} {{ {' '.join(select_next(i, c) for c in range(fan_out))} }}"
        for i in range(links)
    )
    return f"{root} {{ ...F0 }} {chain} fragment F{links} on {on} {{ {leaf} }}"


async def _refusal_cost(schema: strawberry.Schema, document: str) -> tuple[float, Any]:
    """The CPU time of this thread to refuse `document`, the least of three tries: a bomb costs
    its work every time, while a collection or another task run in between costs one try."""
    costs, result = [], None
    for _ in range(3):
        started = time.thread_time()
        result = await schema.execute(document)
        costs.append(time.thread_time() - started)
        if costs[-1] < BOMB_BUDGET_SECONDS:
            break
    return min(costs), result


def _budget(document: str) -> float:
    """BOMB_BUDGET_SECONDS, or three times what parsing the text alone costs on this machine
    now (the least of three tries), if that is more: refusing must stay linear in the text,
    however fast or busy the machine is. A document that expands costs seconds to forever."""
    costs = []
    for _ in range(3):
        started = time.thread_time()
        parse(document)
        costs.append(time.thread_time() - started)
    return max(BOMB_BUDGET_SECONDS, 3 * min(costs))


@hypothesis_settings(max_examples=60, deadline=None)
@given(
    links=st.integers(min_value=12, max_value=60),
    fan_out=st.integers(min_value=2, max_value=8),
    root=st.sampled_from(["query", "mutation", "subscription"]),
    style=st.sampled_from(["spread", "inline", "aliased"]),
    # Profile cannot be spread into a root type: validation would refuse it anyway, but
    # only after walking it.
    on=st.sampled_from(["Query", "Mutation", "Subscription", "Profile"]),
)
async def test_every_fragment_bomb_is_refused_within_its_budget(
    links: int, fan_out: int, root: str, style: str, on: str
) -> None:
    document = fragment_bomb(links=links, fan_out=fan_out, root=root, on=on, style=style)
    # One retry absorbs a garbage-collector pause; a bomb that expands costs seconds to
    # forever on every try.
    cost, result = await _refusal_cost(schema, document)
    assert result.errors, document
    assert {error.extensions["code"] for error in result.errors} == {"BAD_USER_INPUT"}
    assert cost < _budget(document), f"{cost * 1000:.0f} ms for {document}"


@pytest.mark.parametrize(
    "document",
    [
        # The same field over and over: comparing every pair for overlap is quadratic.
        "{" + " profileStats(groupBy: []) { count }" * 600 + "}",
        "{" + " __typename" * 4_000 + "}",
        # Pairs of the same field at every level: each pair compares its subtrees.
        fragment_bomb(links=9, fan_out=2, style="spread", leaf="viewer { role }"),
        # One argument repeated: its error locates every copy by scanning the text.
        '{ __type(name: "a" ' + 'name: "a" ' * 1_600 + ") { name } }",
        # A chain ending in a spread of no fragment selects no field, yet is 2^40 spreads.
        fragment_bomb(links=40, fan_out=2, leaf="...Nowhere"),
        # Validation walks unused fragments too.
        "{ __typename } fragment U on Query {" + " profileStats(groupBy: []) { count }" * 600 + "}",
        # A second operation of the same name must not hide the first one's cost.
        fragment_bomb(links=40, fan_out=2).replace("query {", "query Q {", 1)
        + " query Q { __typename }",
        # Nor a second fragment of the same name.
        fragment_bomb(links=40, fan_out=2) + " fragment F0 on Query { __typename }",
        # Many small fragments, each expanding the same large one.
        "{ __typename } fragment G on Query {"
        + " ".join(f"g{i}" for i in range(900))
        + "} "
        + " ".join(f"fragment H{i} on Query {{ ...G }}" for i in range(300)),
    ],
    ids=[
        "repeated-field",
        "repeated-leaf",
        "repeated-subtrees",
        "repeated-argument",
        "bare-spreads",
        "repeated-in-unused-fragment",
        "duplicate-operation-name",
        "duplicate-fragment-name",
        "one-fragment-spread-everywhere",
    ],
)
async def test_documents_costly_to_validate_are_refused_within_the_budget(document: str) -> None:
    cost, result = await _refusal_cost(schema, document)
    assert result.errors
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
    budget = _budget(document)
    assert cost < budget, f"{cost * 1000:.0f} ms, budget {budget * 1000:.0f} ms"


async def test_the_server_answers_at_once_after_a_two_to_the_forty_document(
    client: httpx.AsyncClient, gql: GraphQLCall
) -> None:
    bomb = fragment_bomb(links=40, fan_out=2)
    refused = await client.get("/graphql", params={"query": bomb})
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    started = time.perf_counter()
    body = await gql("{ profileStats(groupBy: []) { count } }")
    assert time.perf_counter() - started < 0.100
    assert body["data"]["profileStats"][0]["count"] >= 0


async def test_fragments_in_a_cycle_are_refused_before_validation_walks_them() -> None:
    document = (
        "{ ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A ...A __typename }"
    )
    result = await schema.execute(document)
    assert result.errors is not None
    assert (result.errors[0].extensions or {})["code"] == "BAD_USER_INPUT"
    assert "cycle" in result.errors[0].message


async def test_too_many_operations_in_one_document_is_refused(gql: GraphQLCall) -> None:
    document = " ".join(f"query Q{i} {{ __typename }}" for i in range(MAX_OPERATIONS + 1))
    body = await gql(document)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert f"limit is {MAX_OPERATIONS}" in body["errors"][0]["message"]


async def test_a_long_query_text_is_refused_before_it_is_parsed(
    client: httpx.AsyncClient,
) -> None:
    # A comment costs the lexer as much as a document: 1 MiB of it held the loop 0.1 s.
    text = "{ __typename } #" + "x" * MAX_DOCUMENT_CHARS
    headers = {"Authorization": f"Bearer {make_token()}"}
    posted = await client.post("/graphql", json={"query": text}, headers=headers)
    assert posted.status_code == 400
    assert posted.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "variables" in posted.json()["errors"][0]["message"]


async def test_a_long_query_text_over_the_websocket_is_refused(live_server: LiveServer) -> None:
    url = live_server.graphql_url.replace("http", "ws", 1)
    async with connect(url, subprotocols=[GRAPHQL_TRANSPORT_WS]) as socket:
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {make_token()}"}}
        await socket.send(json.dumps(init))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        payload = {"query": "subscription { __typename } #" + "x" * MAX_DOCUMENT_CHARS}
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        message = json.loads(await asyncio.wait_for(socket.recv(), 30))
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        # the socket stays open for the next operation
        await socket.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 30))["type"] == "pong"


async def test_a_served_process_stays_responsive_after_a_two_to_the_forty_document(
    live_server: LiveServer,
) -> None:
    """The attack as sent: a GET (an <img src> can send one) to `insighta serve`."""
    headers = {"Authorization": f"Bearer {live_server.admin_token}"}
    async with httpx.AsyncClient(timeout=30) as http:
        refused = await http.get(
            live_server.graphql_url, params={"query": fragment_bomb(links=40, fan_out=2)}
        )
        started = time.perf_counter()
        health = await http.get(f"{live_server.base_url}/healthz")
        answered = await http.post(
            live_server.graphql_url, json={"query": "{ viewer { role } }"}, headers=headers
        )
        elapsed = time.perf_counter() - started
    assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert health.status_code == 200
    assert answered.json()["data"]["viewer"]["role"] == "admin"
    assert elapsed < 0.200  # two requests
