"""DATABASE_READ_URL: profile reads go to the read pool (a replica), writes to the primary.

A second database stands in for the replica; a real streaming replica would differ only in
lagging behind, which the data-version rule below covers: answers are cached under the
version read from the same database they were computed from.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from db import profiles as profiles_db
from db.pool import create_pool
from graph.app import create_app
from services.ids import uuid7
from services.profiles.names import name_key
from services.settings import Settings
from tests.conftest import make_token
from tests.databases import fresh_database

TOTAL = '{ profiles(query: "women from Ghana") { totalCount edges { node { name } } } }'
CREATE_CANDIDATE = """
mutation { createCandidate(input: {name: "Ada Obi", email: "ada@example.com"}) { id } }
"""


def ghanaian_woman(name: str) -> tuple[object, ...]:
    return (uuid7(), name, name_key(name), "female", 0.9, 30, "GH", "Ghana", 0.8, datetime.now(UTC))


@pytest.fixture
async def replica(server_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    async with fresh_database(server_dsn, prefix="insighta_replica") as dsn:
        read_pool = await create_pool(dsn, max_size=2)
        try:
            yield read_pool
        finally:
            await read_pool.close()


@pytest.fixture
async def http(
    settings: Settings, pool: asyncpg.Pool, replica: asyncpg.Pool
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, pool=pool, read_pool=replica)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.headers["Authorization"] = f"Bearer {make_token()}"
        yield client
    await app.state.interviews.aclose()


async def test_profile_reads_come_from_the_read_pool_and_stay_fresh(
    http: httpx.AsyncClient, replica: asyncpg.Pool
) -> None:
    async with replica.acquire() as conn, conn.transaction():
        await profiles_db.insert_profiles(conn, [ghanaian_woman("Only On The Replica")])
    first = (await http.post("/graphql", json={"query": TOTAL})).json()["data"]["profiles"]
    assert first["totalCount"] == 1
    assert first["edges"][0]["node"]["name"] == "Only On The Replica"
    async with replica.acquire() as conn, conn.transaction():
        await profiles_db.insert_profiles(conn, [ghanaian_woman("Replicated Later")])
    second = (await http.post("/graphql", json={"query": TOTAL})).json()["data"]["profiles"]
    assert second["totalCount"] == 2  # the replica's own data version moved: no stale cache


async def test_writes_go_to_the_primary(
    http: httpx.AsyncClient, pool: asyncpg.Pool, replica: asyncpg.Pool
) -> None:
    body = (await http.post("/graphql", json={"query": CREATE_CANDIDATE})).json()
    candidate_id = body["data"]["createCandidate"]["id"]
    async with pool.acquire() as conn:
        assert (
            await conn.fetchval("select count(*) from candidates where id = $1::uuid", candidate_id)
            == 1
        )
    async with replica.acquire() as conn:
        assert await conn.fetchval("select count(*) from candidates") == 0
