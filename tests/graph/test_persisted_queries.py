"""Automatic persisted queries: hash first, text once, then the hash alone."""

import hashlib
from typing import Any

import httpx
import orjson

from tests.conftest import make_token

QUERY = "{ profileStats(groupBy: []) { count } }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()


async def post(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await client.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {make_token()}"}
    )


def persisted(digest: str = DIGEST) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def test_an_unknown_hash_asks_for_the_text_then_the_hash_alone_works(
    client: httpx.AsyncClient,
) -> None:
    unknown_query = "{ viewer { role } }"
    digest = hashlib.sha256(unknown_query.encode()).hexdigest()
    first = await post(client, {"extensions": persisted(digest)})
    assert first.status_code == 200
    assert first.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert first.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    registered = await post(client, {"query": unknown_query, "extensions": persisted(digest)})
    assert registered.json()["data"]["viewer"]["role"] == "admin"
    by_hash = await post(client, {"extensions": persisted(digest)})
    assert by_hash.json() == registered.json()


async def test_a_hash_that_does_not_match_the_text_is_refused(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, {"query": QUERY, "extensions": persisted("0" * 64)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    still_unknown = await post(client, {"extensions": persisted("0" * 64)})
    assert still_unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_malformed_persisted_query_is_bad_user_input(client: httpx.AsyncClient) -> None:
    for extensions in (
        {"persistedQuery": {"version": 2, "sha256Hash": DIGEST}},
        {"persistedQuery": {"version": 1, "sha256Hash": "short"}},
        # 64 characters but not hex: it was looked up, answered PERSISTED_QUERY_NOT_FOUND,
        # and the client was sent round the loop for a hash that can never match.
        {"persistedQuery": {"version": 1, "sha256Hash": "z" * 64}},
        {"persistedQuery": "yes"},
    ):
        response = await post(client, {"extensions": extensions})
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_persisted_queries_work_over_get(client: httpx.AsyncClient) -> None:
    await post(client, {"query": QUERY, "extensions": persisted()})
    response = await client.get(
        "/graphql",
        params={"extensions": orjson.dumps(persisted()).decode()},
        headers={"Authorization": f"Bearer {make_token()}"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["profileStats"][0]["count"] >= 0
