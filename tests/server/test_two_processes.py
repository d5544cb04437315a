"""Two real `insighta serve` processes on one database (and one Redis when it is reachable):
nothing correct depends on which of them a request lands on.

- a job ingested through A is followed to its end by a subscriber on B (LISTEN/NOTIFY);
- a write through A makes B's next answer fresh, though B had it cached; with Redis, an
  answer A computed is a cache hit on B, and a caller's rate limit counts on both;
- a process killed in the middle of an ingestion job, or of an assessment, has its job
  finished by the other one; A and B have data dirs of their own, as on two hosts, so the
  survivor restores the upload from the database.

The tests on the shared pair run without Redis, and again with it when Redis is reachable (the
suite's header and summary say whether it was); the takeover tests use Redis when it is.
"""

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from services.auth.tokens import Role, issue_token
from tests.conftest import TEST_SECRET
from tests.databases import fresh_database
from tests.fakes.gemini import API_KEY, FakeGemini
from tests.fakes.server import Fault
from tests.graph.ingestion.support import unique_prefix
from tests.graph.ingestion.test_server import http_upload, make_file, subscription
from tests.graph.interviews.documents import COMPLETE, INTERVIEW
from tests.graph.interviews.test_live_transcript import new_interview
from tests.polling import eventually
from tests.redis_server import REDIS_URL, redis_is_reachable
from tests.servers import Server, running_server

BACKENDS = ["postgres-only", *(["redis"] if redis_is_reachable() else [])]
RATE_LIMIT = 30  # operations per caller per minute, on each server
TOTAL = "query { profiles(first: 1) { totalCount } }"
WOMEN = "query { profiles(filter: {gender: FEMALE}, first: 1) { totalCount } }"
JOB_STATE = """
select status, attempt, total_rows, inserted, skipped from ingestion_jobs where id = $1::uuid
"""
ASSESSMENT_JOB = """
select status, claims, lease_owner from background_jobs
 where kind = 'assessment' and key = $1 order by created_at desc limit 1
"""
DROP_LISTENERS = """
select count(pg_terminate_backend(pid)) from pg_stat_activity
 where application_name = 'insighta-listener' and datname = current_database()
"""
# A repeat is answered by the response cache (stored bytes) or, below it, the result cache.
CACHE_HITS = re.compile(
    r'^insighta_cache_lookups_total\{cache="(?:results|responses)",result="hit"\} (\S+)$', re.M
)


@dataclass(frozen=True, slots=True)
class Pair:
    a: Server
    b: Server
    dsn: str
    redis: bool


def caller(role: Role = Role.ADMIN, *, organisation: str | None = None) -> str:
    """A token for a caller no other test, nor an earlier run on the same Redis, has used."""
    return issue_token(
        TEST_SECRET,
        role=role,
        subject=f"two-processes-{uuid.uuid4().hex}",
        organisation=organisation,
        ttl=timedelta(hours=1),
    )


@asynccontextmanager
async def pair_of_servers(
    server_dsn: str, directory: Path, *, redis: bool, **env: str
) -> AsyncIterator[Pair]:
    """A and B on one fresh database (and Redis), each with its own data dir as if on its own
    host: an upload spooled by one is restored from the database by the other."""
    shared = {"RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT), **env}
    if redis:
        shared["REDIS_URL"] = REDIS_URL
    async with AsyncExitStack() as stack:
        dsn = await stack.enter_async_context(fresh_database(server_dsn))
        a = await stack.enter_async_context(
            running_server(dsn, directory / "data-a", directory / "a.log", **shared)
        )
        b = await stack.enter_async_context(
            running_server(dsn, directory / "data-b", directory / "b.log", **shared)
        )
        yield Pair(a, b, dsn, redis)


@pytest.fixture(scope="module", params=BACKENDS)
async def pair(
    request: pytest.FixtureRequest, server_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Pair]:
    directory = tmp_path_factory.mktemp(f"pair-{request.param}")
    async with pair_of_servers(
        server_dsn, directory, redis=request.param == "redis", INGESTION_BATCH_ROWS="200"
    ) as running:
        yield running


async def post(server: Server, query: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(
            server.url, json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )


async def data(server: Server, query: str, token: str, variables: Any = None) -> Any:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            server.url,
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token}"},
        )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def total(server: Server, token: str, query: str = TOTAL) -> int:
    count: int = (await data(server, query, token))["profiles"]["totalCount"]
    return count


async def cache_hits(server: Server) -> float:
    async with httpx.AsyncClient(timeout=30) as http:
        text = (await http.get(server.url.replace("/graphql", "/metrics"))).text
    return sum(float(found) for found in CACHE_HITS.findall(text))


async def ingest_through(server: Server, rows: int, token: str) -> dict[str, Any]:
    job = await http_upload(server.url, make_file(unique_prefix(), rows), token=token)
    assert job["status"] == "QUEUED", job
    return job


async def test_a_job_ingested_through_a_is_followed_to_its_end_on_b(pair: Pair) -> None:
    token = caller()
    job = await ingest_through(pair.a, 6000, token)
    messages = await subscription(pair.b.url, job["id"], token=token)
    assert messages[-1] == {"id": "1", "type": "complete"}
    states = [message["payload"]["data"]["ingestionProgress"] for message in messages[:-1]]
    final = states[-1]
    assert final["status"] == "COMPLETED"
    assert (final["totalRows"], final["inserted"], final["skipped"]) == (6000, 5760, 240)
    rows = [state["totalRows"] for state in states]
    assert rows == sorted(rows), "progress never goes backwards"


async def test_a_subscriber_sees_the_end_though_its_listener_connection_dropped(
    pair: Pair,
) -> None:
    token = caller()
    job = await ingest_through(pair.a, 20_000, token)
    followed = asyncio.create_task(subscription(pair.b.url, job["id"], token=token))
    conn = await asyncpg.connect(pair.dsn)
    try:
        # Every process's LISTEN connection, while the job runs: notifications sent until they
        # are back are lost, and the subscriber must not depend on them.
        dropped = await conn.fetchval(DROP_LISTENERS)
        assert dropped == 2
        state = await conn.fetchval("select status from ingestion_jobs where id = $1", job["id"])
        assert state != "COMPLETED", "the job ended before the listeners dropped"
    finally:
        await conn.close()
    messages = await followed
    assert messages[-1] == {"id": "1", "type": "complete"}, messages
    assert all("errors" not in message.get("payload", {}) for message in messages), messages
    final = messages[-2]["payload"]["data"]["ingestionProgress"]
    assert (final["status"], final["totalRows"]) == ("COMPLETED", 20_000)


async def test_a_write_through_a_makes_b_fresh_though_b_had_it_cached(pair: Pair) -> None:
    token = caller()
    before = await total(pair.b, token)
    hits = await cache_hits(pair.b)
    assert await total(pair.b, token) == before
    assert await cache_hits(pair.b) == hits + 1, "B answered the repeat from its cache"

    job = await ingest_through(pair.a, 300, token)
    done = await subscription(pair.a.url, job["id"], token=token)
    inserted = done[-2]["payload"]["data"]["ingestionProgress"]["inserted"]
    assert inserted == 288

    assert await total(pair.b, token) == before + inserted, "B's first read after the write"
    assert await total(pair.a, token) == before + inserted


async def test_an_answer_computed_on_a_is_shared_with_b_only_through_redis(pair: Pair) -> None:
    token = caller()
    # A query no other test asks, at the current data version: a miss on A, computed there.
    query = WOMEN.replace("first: 1", f"first: {uuid.uuid4().int % 50 + 2}")
    on_a = await total(pair.a, token, query)
    hits = await cache_hits(pair.b)
    assert await total(pair.b, token, query) == on_a
    expected = hits + 1 if pair.redis else hits
    assert await cache_hits(pair.b) == expected


async def test_a_callers_rate_limit_counts_on_both_processes_only_through_redis(
    pair: Pair,
) -> None:
    # The limit is per fixed minute; start well inside one so the count cannot straddle two.
    into_minute = time.time() % 60
    if into_minute > 45:
        await asyncio.sleep(60.5 - into_minute)
    token = caller()
    for index in range(RATE_LIMIT):
        server = pair.a if index % 2 else pair.b
        assert (await post(server, TOTAL, token)).status_code == 200
    over = await post(pair.a, TOTAL, token)
    if pair.redis:
        assert over.status_code == 429
        assert over.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    else:
        assert over.status_code == 200  # A has seen only half of them


def owner_of(servers: tuple[Server, ...], job_id: str) -> Server | None:
    """The server whose log says it started the job (each logs one JSON line per start)."""
    started = [
        server
        for server in servers
        if any(
            "ingestion job started" in line and job_id in line
            for line in server.log.read_text().splitlines()
        )
    ]
    return started[0] if len(started) == 1 else None


async def test_a_process_killed_mid_ingestion_has_its_job_finished_by_the_other(
    server_dsn: str, tmp_path: Path
) -> None:
    rows = 20_000
    token = caller()
    async with pair_of_servers(
        server_dsn, tmp_path, redis=redis_is_reachable(), INGESTION_BATCH_ROWS="100"
    ) as pair:
        conn = await asyncpg.connect(pair.dsn)
        try:
            job = await ingest_through(pair.a, rows, token)

            async def state() -> asyncpg.Record:
                record = await conn.fetchrow(JOB_STATE, job["id"])
                assert record is not None
                return record

            await eventually(
                state, lambda r: r["total_rows"] > 0, message="a first batch", interval=0.005
            )
            owner = owner_of((pair.a, pair.b), job["id"])
            assert owner is not None, "exactly one process started the job"
            survivor = pair.b if owner is pair.a else pair.a
            owner.kill()
            at_kill = await state()
            assert at_kill["status"] == "RUNNING", "the job ended before the kill"
            assert at_kill["total_rows"] < rows

            # A subscriber on the survivor, joined after the kill, sees the job to its end.
            messages = await subscription(survivor.url, job["id"], token=token)
            final = messages[-2]["payload"]["data"]["ingestionProgress"]
            assert final["status"] == "COMPLETED"
            done = await state()
            assert done["attempt"] == 2, "resumed by the survivor, not started again"
            skipped = rows // 25  # make_file: two bad rows in every 50
            assert (done["total_rows"], done["inserted"], done["skipped"]) == (
                rows,
                rows - skipped,
                skipped,
            )
            assert await total(survivor, token) == rows - skipped
        finally:
            await conn.close()


async def test_a_process_killed_mid_assessment_has_it_finished_by_the_other(
    server_dsn: str, tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    upstream = {
        "GEMINI_API_KEY": API_KEY,
        "GEMINI_BASE_URL": fake_gemini.url,
        "JOB_LEASE_SECONDS": "2",
        "JOB_POLL_SECONDS": "0.1",
    }
    organisation = f"org-{uuid.uuid4().hex[:10]}"
    token = caller(Role.RECRUITER, organisation=organisation)
    async with pair_of_servers(server_dsn, tmp_path, redis=False, **upstream) as pair:
        conn = await asyncpg.connect(pair.dsn)
        try:
            interview_id, _ = await new_interview(pair.a, token)
            # Whichever process claims the assessment hangs in its call to Gemini.
            fake_gemini.script(Fault.slow(60))
            transcript = [
                {"speaker": "ai", "content": "Why Python?", "timestamp_sec": 0},
                {"speaker": "candidate", "text": "Its ecosystem.", "timestamp_sec": 4},
            ]
            await data(pair.a, COMPLETE, token, {"id": interview_id, "json": transcript})

            async def job() -> asyncpg.Record | None:
                return await conn.fetchrow(ASSESSMENT_JOB, interview_id)

            claimed = await eventually(
                job,
                lambda r: r is not None and r["status"] == "RUNNING",
                message="a worker to claim the assessment",
            )
            assert claimed is not None
            owner_pid = int(claimed["lease_owner"].split("-")[0])
            owner = next(s for s in (pair.a, pair.b) if s.process.pid == owner_pid)
            survivor = pair.b if owner is pair.a else pair.a
            owner.kill()

            finished = await eventually(
                job,
                lambda r: r is not None and r["status"] == "COMPLETED",
                message="the survivor to take the assessment over once the lease ran out",
                within=60,
            )
            assert finished is not None
            assert (finished["claims"], finished["lease_owner"]) == (2, None)
            interview = (await data(survivor, INTERVIEW, token, {"id": interview_id}))["interview"]
            assert interview["assessment"]["status"] == "COMPLETED"
            assert interview["assessment"]["summary"]
        finally:
            await conn.close()
