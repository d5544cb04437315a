"""DATABASE_READ_URL against a real streaming replica (pg_basebackup -R, tests/replication.py).

Profile reads go to the replica, everything that writes goes to the primary; the replica's
lag is made deterministic by pausing its WAL replay. The app runs with its lifespan services
(ingestion runner, LISTEN connection) on the primary and its profile reads on the replica.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from db import profiles as profiles_db
from db.migrations import apply_migrations
from db.pool import create_pool
from server.app import create_app
from services.auth.tokens import Role, issue_token
from services.platform.ids import uuid7
from services.platform.read_your_writes import ReadRouting
from services.platform.settings import Settings
from services.profiles.names import name_key
from tests.conftest import TEST_SECRET, GraphQLCall
from tests.graph.ingestion.support import HEADER, finished_job, submit, unique_prefix
from tests.graph.interviews.documents import CREATE_CANDIDATE, CREATE_INTERVIEW, INTERVIEW, JOB
from tests.polling import eventually
from tests.replication import ReplicaPair, streaming_replica_pair
from tests.servers import running_server

GHANAIAN_WOMEN = '{ profiles(query: "women from Ghana", first: 100) { totalCount } }'
DATABASE = "insighta"


def token(subject: str) -> str:
    return issue_token(
        TEST_SECRET, role=Role.ADMIN, subject=subject, organisation=None, ttl=timedelta(hours=1)
    )


WRITER, READER = token("writer"), token("reader")


def ghanaian_woman(name: str) -> tuple[object, ...]:
    return (uuid7(), name, name_key(name), "female", 0.9, 30, "GH", "Ghana", 0.8, datetime.now(UTC))


@pytest.fixture(scope="module")
def servers() -> Iterator[ReplicaPair]:
    with streaming_replica_pair() as pair:
        yield pair


@pytest.fixture(scope="module")
async def pair(servers: ReplicaPair) -> ReplicaPair:
    """The app's database, made and migrated on the primary and replicated."""
    admin = await asyncpg.connect(servers.primary_dsn)
    try:
        await admin.execute(f"create database {DATABASE}")
    finally:
        await admin.close()
    pair = servers.on_database(DATABASE)
    conn = await asyncpg.connect(pair.primary_dsn)
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    await pair.caught_up()
    return pair


@pytest.fixture(scope="module")
async def primary(pair: ReplicaPair) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(pair.primary_dsn, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def replica(pair: ReplicaPair) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(pair.replica_dsn, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def app(
    settings: Settings, pair: ReplicaPair, primary: asyncpg.Pool, replica: asyncpg.Pool
) -> AsyncIterator[Starlette]:
    app = create_app(settings, pool=primary, read_pool=replica, dsn=pair.primary_dsn)
    async with app.router.lifespan_context(app):
        yield app
    await app.state.reads.close()
    await app.state.interviews.aclose()


@pytest.fixture(scope="module")
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def caught_up(pair: ReplicaPair) -> None:
    """Each test starts with the replica replaying and level with the primary."""
    await pair.resume_replay()
    await pair.caught_up()


async def data(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, *, as_: str
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {as_}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


def as_caller(http: httpx.AsyncClient, caller: str) -> GraphQLCall:
    """The `gql` shape tests/graph/ingestion/support.py polls jobs with, for one caller."""

    async def call(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"data": await data(http, query, variables, as_=caller)}

    return call


async def ghanaian_women(http: httpx.AsyncClient, *, as_: str) -> int:
    return int((await data(http, GHANAIAN_WOMEN, as_=as_))["profiles"]["totalCount"])


async def write_on_primary(primary: asyncpg.Pool, *names: str) -> None:
    async with primary.acquire() as conn, conn.transaction():
        await profiles_db.insert_profiles(conn, [ghanaian_woman(name) for name in names])


async def count_on(pool: asyncpg.Pool, prefix: str) -> int:
    return int(
        await pool.fetchval("select count(*) from profiles where name like $1", prefix + "%")
    )


async def test_the_read_pool_is_a_read_only_streaming_replica(
    app: Starlette, primary: asyncpg.Pool, caught_up: None
) -> None:
    read_pool = app.state.reads.replica
    assert read_pool is not app.state.pool
    assert await read_pool.fetchval("select pg_is_in_recovery()") is True
    assert await primary.fetchval("select pg_is_in_recovery()") is False
    senders = await primary.fetch("select state from pg_stat_replication")
    assert [row["state"] for row in senders] == ["streaming"]
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        async with read_pool.acquire() as conn, conn.transaction():
            await profiles_db.insert_profiles(conn, [ghanaian_woman("Never Written")])


async def test_profiles_written_on_the_primary_reach_the_api_through_replication(
    http: httpx.AsyncClient, primary: asyncpg.Pool, caught_up: None
) -> None:
    before = await ghanaian_women(http, as_=READER)
    p = unique_prefix()
    await write_on_primary(primary, f"{p}Ama", f"{p}Esi")
    await eventually(
        lambda: ghanaian_women(http, as_=READER),
        lambda total: total == before + 2,
        message="the replicated profiles in the API's answer",
    )


async def test_reads_hit_the_replica_and_the_cache_follows_its_lag(
    http: httpx.AsyncClient,
    app: Starlette,
    pair: ReplicaPair,
    primary: asyncpg.Pool,
    caught_up: None,
) -> None:
    before = await ghanaian_women(http, as_=READER)
    p = unique_prefix()
    async with pair.replay_paused():
        await write_on_primary(primary, f"{p}Abena")
        assert await count_on(primary, p) == 1
        # The replica has not replayed the write: the API answers what the replica holds,
        # so the read went there; asked twice, the cached answer is the replica's too.
        hits = app.state.cache.hits
        assert await ghanaian_women(http, as_=READER) == before
        assert await ghanaian_women(http, as_=READER) == before
        assert app.state.cache.hits > hits
    # Replay resumed: the replica's data version moves on, so its cached answer is not reused.
    await eventually(
        lambda: ghanaian_women(http, as_=READER),
        lambda total: total == before + 1,
        message="the answer after the replica caught up",
    )


async def test_ingestion_and_interview_mutations_write_to_the_primary(
    http: httpx.AsyncClient,
    pair: ReplicaPair,
    primary: asyncpg.Pool,
    replica: asyncpg.Pool,
    caught_up: None,
) -> None:
    p = unique_prefix()
    csv = f"{HEADER}{p}Kofi,m,40,GH\n{p}Yaa,f,35,GH\n".encode()
    # Replay paused: whatever the API writes and reads back here can only be on the primary.
    async with pair.replay_paused():
        job = await submit(http, csv, token=WRITER)
        finished = await finished_job(as_caller(http, WRITER), job["id"])
        assert (finished["status"], finished["inserted"]) == ("COMPLETED", 2), finished
        assert (await count_on(primary, p), await count_on(replica, p)) == (2, 0)

        candidate = await data(
            http,
            CREATE_CANDIDATE,
            {"input": {"name": "Ada Obi", "email": "ada@example.com"}},
            as_=WRITER,
        )
        created = await data(
            http,
            CREATE_INTERVIEW,
            {
                "input": {
                    "candidateId": candidate["createCandidate"]["id"],
                    "roleTitle": "Backend Engineer",
                    "jobDescription": JOB,
                }
            },
            as_=WRITER,
        )
        interview_id = created["createInterview"]["id"]
        interview = (await data(http, INTERVIEW, {"id": interview_id}, as_=WRITER))["interview"]
        assert interview["candidate"]["name"] == "Ada Obi"
    await pair.caught_up()
    assert await count_on(replica, p) == 2
    interviews = "select count(*) from interviews where id = $1::uuid"
    assert await replica.fetchval(interviews, interview_id) == 1


async def test_a_writer_reads_its_own_ingested_rows_while_the_replica_lags(
    http: httpx.AsyncClient,
    app: Starlette,
    pair: ReplicaPair,
    replica: asyncpg.Pool,
    caught_up: None,
) -> None:
    before = await ghanaian_women(http, as_=READER)
    assert await ghanaian_women(http, as_=WRITER) == before
    reads: ReadRouting = app.state.reads
    p = unique_prefix()
    csv = f"{HEADER}{p}Akosua,f,28,GH\n{p}Afua,f,33,GH\n{p}Kwame,m,30,GH\n".encode()
    async with pair.replay_paused():
        job = await submit(http, csv, token=WRITER)
        finished = await finished_job(as_caller(http, WRITER), job["id"])
        assert (finished["status"], finished["inserted"]) == ("COMPLETED", 3), finished
        assert await count_on(replica, p) == 0, "replay is paused: the replica lags"
        to_primary = reads.to_primary
        # The writer saw its job complete: its next read goes to the primary.
        assert await ghanaian_women(http, as_=WRITER) == before + 2
        assert reads.to_primary == to_primary + 1
        # Another caller, who wrote nothing, still reads the replica's older answer.
        assert await ghanaian_women(http, as_=READER) == before
        assert reads.to_primary == to_primary + 1
    await eventually(
        lambda: ghanaian_women(http, as_=READER),
        lambda total: total == before + 2,
        message="the reader's answer after the replica caught up",
    )
    # Level again: the writer's reads return to the replica.
    to_primary = reads.to_primary
    assert await ghanaian_women(http, as_=WRITER) == before + 2
    assert reads.to_primary == to_primary


async def test_any_mutation_raises_the_callers_floor(
    http: httpx.AsyncClient,
    app: Starlette,
    pair: ReplicaPair,
    primary: asyncpg.Pool,
    caught_up: None,
) -> None:
    before = await ghanaian_women(http, as_=READER)
    p = unique_prefix()
    writer = token(f"mutating-{p.strip()}")
    async with pair.replay_paused():
        # Written by another process (a seed, another server); not yet on the replica.
        await write_on_primary(primary, f"{p}Adjoa")
        assert await ghanaian_women(http, as_=writer) == before
        await data(
            http,
            CREATE_CANDIDATE,
            {"input": {"name": "Kojo Mensah", "email": "kojo@example.com"}},
            as_=writer,
        )
        # After its mutation the caller reads data at least as new as the primary was then.
        assert await ghanaian_women(http, as_=writer) == before + 1
        assert await ghanaian_women(http, as_=READER) == before


async def test_insighta_serve_routes_reads_by_its_environment(
    pair: ReplicaPair, primary: asyncpg.Pool, tmp_path: Path, caught_up: None
) -> None:
    """The production path: `serve` opens both pools from DATABASE_URL and DATABASE_READ_URL."""
    # Where each read goes is what this test watches: with the response cache on, the reader
    # would be answered with the writer's newer page, stored at the primary's version.
    env = {"DATABASE_READ_URL": pair.replica_dsn, "RESPONSE_CACHE": "false"}
    async with (
        running_server(
            pair.primary_dsn, tmp_path / "data", tmp_path / "serve.log", **env
        ) as server,
        httpx.AsyncClient(base_url=server.url.removesuffix("/graphql")) as http,
    ):
        writer = token(f"serve-writer-{uuid7().hex[:8]}")
        before = await ghanaian_women(http, as_=READER)
        p = unique_prefix()
        async with pair.replay_paused():
            await write_on_primary(primary, f"{p}Efua")
            assert await ghanaian_women(http, as_=READER) == before
            await data(
                http,
                CREATE_CANDIDATE,
                {"input": {"name": "Esi Boateng", "email": "esi@example.com"}},
                as_=writer,
            )
            assert await ghanaian_women(http, as_=writer) == before + 1
            assert await ghanaian_women(http, as_=READER) == before
        await eventually(
            lambda: ghanaian_women(http, as_=READER),
            lambda total: total == before + 1,
            message="the served answer after the replica caught up",
        )


async def test_an_answer_read_on_a_lagging_replica_is_not_stored_under_the_newer_version(
    pair: ReplicaPair, primary: asyncpg.Pool, tmp_path: Path, caught_up: None
) -> None:
    """The process hears the primary's new version at once, while the replica still answers
    with the older data: that answer goes out but is not stored, so once the replica catches
    up the reader gets the new total, not the old one kept under the new version."""
    env = {"DATABASE_READ_URL": pair.replica_dsn, "RESPONSE_CACHE": "true"}
    async with (
        running_server(
            pair.primary_dsn, tmp_path / "data", tmp_path / "serve.log", **env
        ) as server,
        httpx.AsyncClient(base_url=server.url.removesuffix("/graphql")) as http,
    ):
        before = await ghanaian_women(http, as_=READER)
        async with pair.replay_paused():
            await write_on_primary(primary, f"{unique_prefix()}Ama")
            await asyncio.sleep(0.5)  # the notification reaches the server; the replica waits
            for _ in range(3):
                assert await ghanaian_women(http, as_=READER) == before
        await eventually(
            lambda: ghanaian_women(http, as_=READER),
            lambda total: total == before + 1,
            message="the new total once the replica caught up",
        )
