"""Automatic persisted queries: hash first, text once, then the hash alone."""

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from graph.extensions.persisted_queries import PersistedQueries
from server.app import create_app
from services.platform.settings import Settings
from tests.conftest import make_token
from tests.redis_server import REDIS_URL, redis_is_reachable

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


# Hostile registrations: every one of these kept a text (up to 1 MiB) for 24 h before the
# text was parsed, validated or counted.
BACKENDS = ["memory", *(["redis"] if redis_is_reachable() else [])]


@asynccontextmanager
async def app_client(
    settings: Settings, pool: asyncpg.Pool
) -> AsyncIterator[tuple[httpx.AsyncClient, PersistedQueries]]:
    app = create_app(settings, pool=pool)
    persisted_queries: PersistedQueries = app.state.persisted_queries
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        try:
            yield http, persisted_queries
        finally:
            await persisted_queries.close()


def backend_settings(settings: Settings, backend: str, **changes: Any) -> Settings:
    return replace(settings, redis_url=REDIS_URL if backend == "redis" else None, **changes)


def padded(query: str, size: int) -> str:
    """A distinct text of about `size` characters: a unique comment line, then `query`."""
    head = f"# {uuid.uuid4().hex} "
    return head + "x" * max(0, size - len(head) - len(query) - 1) + "\n" + query


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_text_that_does_not_parse_or_validate_is_never_registered(
    backend: str, settings: Settings, pool: asyncpg.Pool
) -> None:
    async with app_client(backend_settings(settings, backend), pool) as (http, _):
        for invalid in (
            "{ profiles(",  # syntax error
            "{ noSuchField }",  # not in the schema
            "{ viewer { role } } { viewer { role } }",  # anonymous operations, several
            "{ " + " ".join(f"a{i}: viewer {{ role }}" for i in range(31)) + " }",  # aliases
        ):
            text = padded(invalid, 0)
            digest = sha(text)
            refused = await post(http, {"query": text, "extensions": persisted(digest)})
            assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", invalid
            by_hash = await post(http, {"extensions": persisted(digest)})
            code = by_hash.json()["errors"][0]["extensions"]["code"]
            assert code == "PERSISTED_QUERY_NOT_FOUND", invalid


@pytest.mark.parametrize("backend", BACKENDS)
async def test_registered_texts_stay_under_the_byte_bound_oldest_out_first(
    backend: str, settings: Settings, pool: asyncpg.Pool
) -> None:
    bound = 256 * 1024
    limited = backend_settings(settings, backend, persisted_query_max_bytes=bound)
    texts = [padded("{ viewer { role } }", 16 * 1024) for _ in range(40)]  # 640 KiB in all
    async with app_client(limited, pool) as (http, persisted_queries):
        for text in texts:
            answer = await post(http, {"query": text, "extensions": persisted(sha(text))})
            assert answer.json()["data"]["viewer"]["role"] == "admin"
        assert 0 < await persisted_queries.store.held_bytes() <= bound
        newest = await post(http, {"extensions": persisted(sha(texts[-1]))})
        assert newest.json()["data"]["viewer"]["role"] == "admin"
        oldest = await post(http, {"extensions": persisted(sha(texts[0]))})
        assert oldest.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_text_larger_than_the_whole_store_is_answered_but_not_kept(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    async with app_client(replace(settings, persisted_query_max_bytes=32 * 1024), pool) as (
        http,
        _,
    ):
        text = padded("{ viewer { role } }", 64 * 1024)
        answer = await post(http, {"query": text, "extensions": persisted(sha(text))})
        assert answer.json()["data"]["viewer"]["role"] == "admin"
        by_hash = await post(http, {"extensions": persisted(sha(text))})
        code = by_hash.json()["errors"][0]["extensions"]["code"]
        assert code == "PERSISTED_QUERY_NOT_FOUND"


async def test_registrations_count_against_the_callers_rate_limit_even_when_refused(
    settings: Settings, pool: asyncpg.Pool
) -> None:
    async with app_client(replace(settings, rate_limit_per_minute=5), pool) as (http, _):
        answers = []
        for _ in range(6):
            text = padded("{ noSuchField }", 0)
            answers.append(await post(http, {"query": text, "extensions": persisted(sha(text))}))
    codes = [answer.json()["errors"][0]["extensions"]["code"] for answer in answers]
    assert codes == ["BAD_USER_INPUT"] * 5 + ["RATE_LIMITED"]
    assert answers[5].status_code == 429
    assert 1 <= int(answers[5].headers["Retry-After"]) <= 60
