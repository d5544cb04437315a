"""The API while its PostgreSQL goes away: backends terminated under load (a failover, a
PgBouncer restart), and the server stopped and started again.

Reads whose connection was cut answer as if nothing happened (db/pool.py runs them once more on
a fresh connection); what cannot be answered is UPSTREAM_UNAVAILABLE, never INTERNAL; a write
is never run twice; /healthz says the database is down while it is, and the process serves
again by itself once the database is back.
"""

import asyncio
import contextlib
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Final

import asyncpg
import httpx
import pytest

from db.embedded import EmbeddedPostgres
from db.pool import create_pool
from server.app import create_app
from services.auth.tokens import Role
from services.platform.settings import Settings
from tests.conftest import make_token
from tests.polling import eventually
from tests.servers import running_server

pytestmark = pytest.mark.timeout(240)

PROFILES: Final = """
query($first: Int!, $minAge: Int) {
  profiles(first: $first, filter: {minAge: $minAge}) { totalCount edges { node { id name } } }
}
"""
CREATE_CANDIDATE: Final = """
mutation($input: CandidateInput!) { createCandidate(input: $input) { id } }
"""
TERMINATE: Final = """
select count(pg_terminate_backend(pid)) from pg_stat_activity
 where application_name = $1 and pid <> pg_backend_pid()
"""
ADMIN: Final = make_token(Role.ADMIN)
CLIENTS: Final = 8
# Each client reads at least this often, and on until the cuts have come this often: a faster
# server must not finish its reads before the database was cut enough times.
READS_PER_CLIENT: Final = 150
ROUNDS_OF_CUTS: Final = 5
CUT_EVERY_SECONDS: Final = 0.25


def outcome(response: httpx.Response) -> str:
    """ "ok", or the first error's code ("HTTP <status>" for a non-GraphQL answer)."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    body: dict[str, Any] = response.json()
    if body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code"))
    return "ok"


async def read_profiles(http: httpx.AsyncClient, n: int) -> str:
    variables = {"first": 1 + n % 20, "minAge": n % 60}
    response = await http.post(
        "/graphql",
        json={"query": PROFILES, "variables": variables},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    return outcome(response)


@pytest.fixture
def app_name() -> str:
    return f"insighta-outage-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def app_pool(database_dsn: str, app_name: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_dsn, max_size=5, application_name=app_name)
    yield pool
    await pool.close()


@pytest.fixture
async def http(settings: Settings, app_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    # No result cache: every read goes to the database.
    app = create_app(replace(settings, cache_ttl_seconds=0), pool=app_pool)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await app.state.interviews.aclose()


@pytest.fixture
async def admin(database_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_dsn)
    yield conn
    await conn.close()


@pytest.mark.usefixtures("demo_profiles")
async def test_reads_answer_while_backends_are_terminated_under_load(
    http: httpx.AsyncClient,
    admin: asyncpg.Connection,
    app_name: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    outcomes: Counter[str] = Counter()
    cuts = 0  # rounds of pg_terminate_backend that terminated something
    reading = True

    async def client(index: int) -> None:
        n = 0
        while n < READS_PER_CLIENT or cuts < ROUNDS_OF_CUTS:
            outcomes[await read_profiles(http, index * 1_000_000 + n)] += 1
            n += 1

    async def terminate_repeatedly() -> None:
        nonlocal cuts
        while reading:
            if await admin.fetchval(TERMINATE, app_name):
                cuts += 1
            # The pace of the cuts, not a wait for an event: far more often than failovers
            # happen, and still far apart from one another next to a read's retry.
            await asyncio.sleep(CUT_EVERY_SECONDS)

    terminator = asyncio.create_task(terminate_repeatedly())
    try:
        async with asyncio.timeout(180):
            await asyncio.gather(*(client(i) for i in range(CLIENTS)))
    finally:
        reading = False
        await terminator
    retried = sum("reading again" in record.getMessage() for record in caplog.records)
    assert sum(outcomes.values()) >= CLIENTS * READS_PER_CLIENT
    assert outcomes["INTERNAL"] == 0, outcomes
    assert set(outcomes) <= {"ok", "UPSTREAM_UNAVAILABLE"}, outcomes
    assert cuts >= ROUNDS_OF_CUTS
    assert retried >= 5, f"only {retried} reads were run again: the cuts missed the load"
    # Only a read cut on its first and then on its fresh second connection fails: rare with
    # the cuts this far apart, even when the retry waits long for a connection (a busy CPU).
    assert outcomes["ok"] >= 0.98 * CLIENTS * READS_PER_CLIENT, (outcomes, cuts, retried)


async def test_a_write_whose_connection_is_terminated_fails_coded_and_is_not_run_again(
    http: httpx.AsyncClient,
    admin: asyncpg.Connection,
    app_name: str,
) -> None:
    organisation = f"org-{uuid.uuid4().hex[:10]}"
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    token = make_token(Role.RECRUITER, organisation=organisation)
    # The insert waits for this lock: its backend is then terminated mid-write.
    async with admin.transaction():
        await admin.execute("lock table candidates in share mode")
        writing = asyncio.create_task(
            http.post(
                "/graphql",
                json={"query": CREATE_CANDIDATE, "variables": {"input": {
                    "name": "Ada Obi", "email": email}}},
                headers={"Authorization": f"Bearer {token}"},
            )
        )  # fmt: skip

        pid = await eventually(
            lambda: waiting_for_lock(admin, app_name),
            lambda pid: pid is not None,
            message="the insert to wait for the lock",
        )
        assert pid is not None
        assert await admin.fetchval("select pg_terminate_backend($1)", pid)
        # Answered while the lock is still held: a second run would be waiting for it still.
        response = await asyncio.wait_for(writing, 30)
        assert await waiting_for_lock(admin, app_name, not_pid=pid) is None
    body = response.json()
    assert outcome(response) == "UPSTREAM_UNAVAILABLE", body
    assert "may or may not have been saved" in body["errors"][0]["message"]
    assert await admin.fetchval("select count(*) from candidates where email = $1", email) == 0


async def waiting_for_lock(
    admin: asyncpg.Connection, app_name: str, *, not_pid: int = 0
) -> int | None:
    """The backend of `app_name` waiting for a lock (its statement may still be in Parse, where
    pg_stat_activity shows the previous statement, so it is found by its wait alone); not
    `not_pid`, terminated already and maybe listed for a moment as it exits."""
    pid: int | None = await admin.fetchval(
        "select pid from pg_stat_activity"
        " where application_name = $1 and wait_event_type = 'Lock' and pid <> $2",
        app_name,
        not_pid,
    )
    return pid


@pytest.fixture
def own_postgres() -> Iterator[EmbeddedPostgres]:
    """An embedded PostgreSQL of this test's own, which it stops and starts."""
    directory = Path(tempfile.mkdtemp(prefix="insighta-outage-"))
    server = EmbeddedPostgres(directory)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


async def test_a_server_rides_out_its_database_stopping_and_starting_again(
    own_postgres: EmbeddedPostgres, tmp_path: Path
) -> None:
    dsn = await asyncio.to_thread(own_postgres.start)
    log = tmp_path / "serve.log"
    async with (
        running_server(
            dsn, tmp_path / "data", log, CACHE_TTL_SECONDS="0", RATE_LIMIT_PER_MINUTE="0"
        ) as server,
        httpx.AsyncClient(base_url=server.url.removesuffix("/graphql"), timeout=30) as http,
    ):
        outcomes: Counter[str] = Counter()
        loading = True

        async def client(index: int) -> None:
            n = index
            while loading:
                outcomes[await read_profiles(http, n)] += 1
                n += CLIENTS

        async def health() -> tuple[int, Any]:
            response = await http.get("/healthz")
            return response.status_code, response.json()

        async def outcomes_so_far() -> Counter[str]:
            return Counter(outcomes)

        clients = [asyncio.create_task(client(i)) for i in range(4)]
        try:
            await eventually(outcomes_so_far, lambda seen: seen["ok"] >= 20, within=60,
                             message="reads before the outage")  # fmt: skip

            await asyncio.to_thread(own_postgres.stop)
            down = await eventually(health, lambda answer: answer[0] == 503, within=30,
                                    message="/healthz to report the database down")  # fmt: skip
            assert down[1] == {"status": "unavailable", "database": "unreachable"}
            before = Counter(outcomes)
            await eventually(
                outcomes_so_far,
                lambda seen: seen["UPSTREAM_UNAVAILABLE"] > before["UPSTREAM_UNAVAILABLE"] + 20,
                within=30,
                message="reads answered UPSTREAM_UNAVAILABLE during the outage",
            )

            await asyncio.to_thread(own_postgres.start)
            started = time.monotonic()
            await eventually(health, lambda answer: answer[0] == 200, within=30,
                             message="/healthz to report the database up again")  # fmt: skip
            back = Counter(outcomes)
            await eventually(outcomes_so_far, lambda seen: seen["ok"] >= back["ok"] + 50,
                             within=30, message="reads answered again")  # fmt: skip
            recovered_in = time.monotonic() - started
        finally:
            loading = False
            await asyncio.gather(*clients)
        assert server.process.poll() is None, "the server exited"
    assert outcomes["INTERNAL"] == 0, outcomes
    assert set(outcomes) <= {"ok", "UPSTREAM_UNAVAILABLE"}, outcomes
    assert recovered_in < 30
    with contextlib.suppress(FileNotFoundError):
        assert "Task exception was never retrieved" not in log.read_text()
