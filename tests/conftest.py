"""Shared fixtures: a real PostgreSQL (embedded, or the one INSIGHTA_TEST_DATABASE_URL names),
a fresh database per test run, the app behind an in-process HTTP client, and a statement counter.
"""

import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from db import rollups as rollups_db
from db.embedded import EmbeddedPostgres
from db.pool import create_pool
from server.app import create_app
from services.auth.tokens import Role, issue_token
from services.platform.settings import Secret, Settings
from services.profiles.seed import seed_demo_profiles
from tests.databases import fresh_database
from tests.live_server import LiveServer, start_live_server, stop_live_server
from tests.redis_server import REDIS_HOST, REDIS_PORT, redis_is_reachable

TEST_SECRET = Secret("insighta-test-secret-key-0123456789abcdef")

# Fake Gemini, Resend and LiveKit servers (tests/fakes/) as fixtures.
pytest_plugins = ["tests.fakes.fixtures"]


def _redis_status() -> str:
    if redis_is_reachable():
        return f"redis: reachable at {REDIS_HOST}:{REDIS_PORT}; the Redis variants run"
    return (
        f"redis: NOT reachable at {REDIS_HOST}:{REDIS_PORT}; the Redis variants of the result "
        "cache, rate-limit, read-your-writes and two-process tests did not run (their "
        "in-process variants did)"
    )


def pytest_report_header() -> str:
    return _redis_status()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Said again at the end, where it cannot scroll away unseen.
    if redis_is_reachable():
        terminalreporter.write_line(_redis_status())
    else:
        terminalreporter.write_sep("=", _redis_status(), yellow=True, bold=True)


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    """A PostgreSQL server: INSIGHTA_TEST_DATABASE_URL if set, else an embedded one."""
    external = os.environ.get("INSIGHTA_TEST_DATABASE_URL")
    if external:
        yield external
        return
    directory = Path(tempfile.mkdtemp(prefix="insighta-test-"))
    server = EmbeddedPostgres(directory)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
async def database_dsn(server_dsn: str) -> AsyncIterator[str]:
    """A database created for this run and dropped after it, with migrations applied."""
    async with fresh_database(server_dsn) as dsn:
        yield dsn


_POOL_RESET = "SELECT pg_advisory_unlock_all()"


@dataclass
class StatementLog:
    """Counts statements sent by the test pool (asyncpg query logger)."""

    statements: list[str] = field(default_factory=list)
    recording: bool = False

    def record(self, query: Any) -> None:
        # The pool's own reset on release is housekeeping, not a statement a resolver sent.
        if self.recording and not query.query.startswith(_POOL_RESET):
            self.statements.append(query.query)

    @contextlib.contextmanager
    def counting(self) -> Iterator["Counted"]:
        counted = Counted()
        self.recording, self.statements = True, []
        try:
            yield counted
        finally:
            self.recording = False
            counted.statements = len(self.statements)


@dataclass
class Counted:
    statements: int = 0


@pytest.fixture(scope="session")
def sql_log() -> StatementLog:
    return StatementLog()


@pytest.fixture(scope="session")
async def pool(database_dsn: str, sql_log: StatementLog) -> AsyncIterator[asyncpg.Pool]:
    async def log_statements(conn: asyncpg.Connection) -> None:
        conn.add_query_logger(sql_log.record)

    test_pool = await create_pool(database_dsn, max_size=5, on_connect=log_statements)
    yield test_pool
    await test_pool.close()


@pytest.fixture
async def empty_profiles(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await rollups_db.delete_all_profiles(conn)


_seeded_version: list[int] = []


@pytest.fixture
async def demo_profiles(pool: asyncpg.Pool) -> None:
    """The 2026 demo profiles and nothing else (reloaded only if a test changed the table)."""
    async with pool.acquire() as conn:
        version = await conn.fetchval("select version from data_version")
        if _seeded_version and _seeded_version[0] == version:
            return
        await rollups_db.delete_all_profiles(conn)
    await seed_demo_profiles(pool)
    async with pool.acquire() as conn:
        _seeded_version[:] = [await conn.fetchval("select version from data_version")]


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # No rate limits: the suite sends thousands of requests with one token within a minute;
    # tests/graph/extensions/test_rate_limits.py turns them on for itself.
    return Settings(
        secret_key=TEST_SECRET,
        data_dir=tmp_path_factory.mktemp("data"),
        rate_limit_per_minute=0,
        auth_rate_limit_per_minute=0,
        # Small batches, so that small test files still commit in several batches.
        ingestion_batch_rows=500,
        # Tests run queued jobs themselves (`api.run_jobs()`), when they choose: a worker in the
        # session's app would take each job the moment it commits (jobs announce themselves).
        job_worker=False,
        # Tests write straight to the database and read through the API at once; the response
        # cache learns of such writes by notification, a moment later. tests/server/
        # test_response_cache.py turns it on for itself.
        response_cache=False,
    )


def make_token(
    role: Role = Role.ADMIN, *, organisation: str | None = None, ttl: float = 3600
) -> str:
    return issue_token(
        TEST_SECRET,
        role=role,
        subject=f"test-{role.value}",
        organisation=organisation,
        ttl=timedelta(seconds=ttl),
    )


GraphQLCall = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
async def client(
    settings: Settings, pool: asyncpg.Pool, database_dsn: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The app, its lifespan running (background services start and stop with the session)."""
    app = create_app(settings, pool=pool, dsn=database_dsn)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        yield http


@pytest.fixture(scope="session")
def gql(client: httpx.AsyncClient) -> GraphQLCall:
    """POST a GraphQL document with variables; returns the decoded JSON body."""
    admin = make_token(Role.ADMIN)

    async def call(
        query: str, variables: dict[str, Any] | None = None, *, token: str | None = admin
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    return call


@pytest.fixture(scope="session")
def live_server(
    database_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`insighta serve` in a subprocess on a free port, against the test database."""
    server = start_live_server(
        database_url=database_dsn,
        secret_key=TEST_SECRET.reveal(),
        directory=tmp_path_factory.mktemp("live-server"),
    )
    yield server
    stop_live_server(server)
