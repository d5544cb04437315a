"""Cached answers over GraphQL: hits cost one statement, and every committed write is seen by
the very next read, whoever wrote it (another connection, another process).

Each test runs on the bounded memory cache and, when a Redis answers on 127.0.0.1:6379, on
Redis too (the second parameter exists only then; nothing is skipped without it).
"""

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from db.rollups import written_then_applied
from server.app import create_app
from services.auth.tokens import Role
from services.platform.cache import ResultCache
from services.platform.ids import uuid7
from services.platform.settings import Settings
from services.profiles.names import name_key
from tests.conftest import GraphQLCall, StatementLog, make_token
from tests.demo_data import count_where, matches
from tests.redis_server import REDIS_URL, redis_is_reachable

pytestmark = pytest.mark.usefixtures("demo_profiles")

BACKENDS = ["memory", *(["redis"] if redis_is_reachable() else [])]
TOTAL = """
query Total($filter: ProfileFilter, $first: Int) {
  profiles(filter: $filter, first: $first) { totalCount edges { node { name } } }
}
"""
STATS = """
query Stats($groupBy: [ProfileDimension!]!) { profileStats(groupBy: $groupBy) { key count } }
"""
# A write through the write path (db/rollups.py): the profile, its rollups, the data version.
INSERT = written_then_applied(
    """
insert into profiles (name, name_key, gender, gender_probability, age, country_id, country_name,
                      country_probability, created_at)
values ($1, $2, 'female', 0.9, 30, 'NG', 'Nigeria', 0.5, $3)
""",
    sign=1,
)


@pytest.fixture(params=BACKENDS)
async def cached_gql(
    request: pytest.FixtureRequest, settings: Settings, pool: asyncpg.Pool
) -> AsyncIterator[tuple[GraphQLCall, ResultCache]]:
    """A fresh app whose cache is empty; the Redis variant uses its own database number."""
    redis_url = REDIS_URL if request.param == "redis" else None
    app = create_app(Settings(**{**_fields(settings), "redis_url": redis_url}), pool=pool)
    cache: ResultCache = app.state.cache
    token = make_token(Role.ANALYST)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:

        async def call(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
            response = await http.post(
                "/graphql",
                json={"query": query, "variables": variables or {}},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            assert "errors" not in body, body
            return body

        yield call, cache
    await cache.close()


def _fields(settings: Settings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}


async def test_a_repeated_query_is_served_from_the_cache_with_one_statement(
    cached_gql: tuple[GraphQLCall, ResultCache], sql_log: StatementLog
) -> None:
    gql, cache = cached_gql
    variables = {"filter": {"countryId": "KE"}, "first": 50}
    with sql_log.counting() as miss:
        first = await gql(TOTAL, variables)
    with sql_log.counting() as hit:
        second = await gql(TOTAL, variables)
    assert first == second
    assert first["data"]["profiles"]["totalCount"] == count_where(
        lambda r: matches(r, country="KE")
    )
    # A miss reads the data version, then page and total in one statement; a hit only the
    # version.
    assert (miss.statements, hit.statements) == (2, 1)
    assert (cache.misses, cache.hits) == (1, 1)


async def test_stats_are_cached_too(
    cached_gql: tuple[GraphQLCall, ResultCache], sql_log: StatementLog
) -> None:
    gql, cache = cached_gql
    first = await gql(STATS, {"groupBy": ["COUNTRY"]})
    with sql_log.counting() as hit:
        second = await gql(STATS, {"groupBy": ["COUNTRY"]})
    assert first == second
    assert hit.statements == 1
    assert cache.hits == 1


async def test_a_write_from_another_connection_is_seen_by_the_next_read(
    cached_gql: tuple[GraphQLCall, ResultCache], database_dsn: str
) -> None:
    """The other connection stands for another process (an ingestion worker); its commit
    returns, and the very next read, with no pause, has the new total. Twenty rounds, because
    a notification-based design fails this most of the time, not always."""
    gql, _ = cached_gql
    variables = {"filter": {"countryId": "NG", "gender": "FEMALE"}}
    before = (await gql(TOTAL, variables))["data"]["profiles"]["totalCount"]
    writer = await asyncpg.connect(database_dsn)
    try:
        for round_number in range(1, 21):
            assert (await gql(TOTAL, variables))["data"]["profiles"]["totalCount"] == (
                before + round_number - 1
            )
            name = f"Fresh Writer {uuid.uuid4().hex[:10]}"
            await writer.execute(INSERT, name, name_key(name), datetime.now(UTC))
            after = (await gql(TOTAL, variables))["data"]["profiles"]["totalCount"]
            assert after == before + round_number
    finally:
        await writer.close()


async def test_a_seed_run_by_another_process_is_seen_at_once(
    cached_gql: tuple[GraphQLCall, ResultCache], database_dsn: str
) -> None:
    gql, _ = cached_gql
    before = (await gql(TOTAL))["data"]["profiles"]["totalCount"]
    environment = {**os.environ, "DATABASE_URL": database_dsn}
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("insighta")),
        "seed",
        "--synthetic",
        "40",
        "--seed",
        str(uuid7().int % 1_000_000),
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    output, errors = await process.communicate()
    assert process.returncode == 0, errors.decode()
    assert b"40 inserted" in output, output.decode()
    assert (await gql(TOTAL))["data"]["profiles"]["totalCount"] == before + 40


async def test_a_profile_written_through_the_pool_appears_in_the_next_page(
    cached_gql: tuple[GraphQLCall, ResultCache], pool: asyncpg.Pool
) -> None:
    gql, _ = cached_gql
    variables = {"filter": {"countryId": "NG"}, "first": 100}
    page = (await gql(TOTAL, variables))["data"]["profiles"]
    names_before = {edge["node"]["name"] for edge in page["edges"]}
    name = f"Newest Person {uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn:
        await conn.execute(INSERT, name, name_key(name), datetime.now(UTC))
    page = (await gql(TOTAL, variables))["data"]["profiles"]
    names_after = {edge["node"]["name"] for edge in page["edges"]}
    # The default sort is newest first: the new profile leads the page.
    assert page["edges"][0]["node"]["name"] == name
    assert names_after - names_before == {name}
