"""Reads on a real PostgreSQL whose backends are terminated (pg_terminate_backend, as a
failover or a PgBouncer restart does): run once more on a fresh connection, never more."""

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from db.pool import Connection, create_pool, is_connection_lost, run_read
from tests.polling import eventually

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def app_name() -> str:
    return f"insighta-pool-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def read_pool(database_dsn: str, app_name: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_dsn, min_size=2, max_size=4, application_name=app_name)
    yield pool
    await pool.close()


@pytest.fixture
async def admin(database_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_dsn)
    yield conn
    await conn.close()


async def terminate_when_sleeping(
    admin: asyncpg.Connection, app_name: str, *, not_pid: int = 0
) -> int:
    """Wait until a backend of `app_name` sits in pg_sleep, then terminate it; its pid.
    `not_pid`: one terminated before, which may still be listed for a moment as it exits."""

    async def sleeping() -> int | None:
        pid: int | None = await admin.fetchval(
            "select pid from pg_stat_activity"
            " where application_name = $1 and wait_event = 'PgSleep' and pid <> $2",
            app_name,
            not_pid,
        )
        return pid

    pid = await eventually(sleeping, lambda pid: pid is not None, message="a sleeping read")
    assert pid is not None
    assert await admin.fetchval("select pg_terminate_backend($1)", pid)
    return pid


async def test_a_read_whose_backend_is_terminated_runs_again_on_a_fresh_connection(
    read_pool: asyncpg.Pool, admin: asyncpg.Connection, app_name: str
) -> None:
    attempts: list[int] = []

    async def read(conn: Connection) -> int:
        attempts.append(await conn.fetchval("select pg_backend_pid()"))
        if len(attempts) == 1:
            await conn.execute("select pg_sleep(30)")
        pid: int = await conn.fetchval("select pg_backend_pid()")
        return pid

    reading = asyncio.create_task(run_read(read_pool, read))
    killed = await terminate_when_sleeping(admin, app_name)
    pid = await reading
    assert attempts[0] == killed
    assert len(attempts) == 2
    assert pid != killed


async def test_a_read_whose_idle_connections_were_all_terminated_still_answers(
    read_pool: asyncpg.Pool, admin: asyncpg.Connection, app_name: str
) -> None:
    # Both pooled connections open and idle, then cut; asyncpg may not have seen the socket
    # close yet when the next read takes one (the backend exits a moment after the call).
    async with read_pool.acquire() as first, read_pool.acquire() as second:
        await first.execute("select 1")
        await second.execute("select 1")
    await admin.execute(
        "select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1",
        app_name,
    )
    for _ in range(4):
        assert await run_read(read_pool, lambda conn: conn.fetchval("select 42")) == 42


async def test_a_read_cut_twice_fails_with_the_connection_error_after_two_attempts(
    read_pool: asyncpg.Pool, admin: asyncpg.Connection, app_name: str
) -> None:
    attempts = 0

    async def read(conn: Connection) -> None:
        nonlocal attempts
        attempts += 1
        await conn.execute("select pg_sleep(30)")

    reading = asyncio.create_task(run_read(read_pool, read))
    first = await terminate_when_sleeping(admin, app_name)
    await terminate_when_sleeping(admin, app_name, not_pid=first)
    with pytest.raises(asyncpg.ConnectionDoesNotExistError) as raised:
        await reading
    assert attempts == 2
    assert is_connection_lost(raised.value)


async def test_a_read_failing_for_another_reason_runs_once(read_pool: asyncpg.Pool) -> None:
    attempts = 0

    async def read(conn: Connection) -> None:
        nonlocal attempts
        attempts += 1
        async with conn.transaction():
            await conn.execute("set local statement_timeout = 50")
            await conn.execute("select pg_sleep(5)")

    with pytest.raises(asyncpg.QueryCanceledError):
        await run_read(read_pool, read)
    assert attempts == 1


async def test_a_stopped_server_is_a_lost_connection_whatever_the_transport() -> None:
    # A unix-socket DSN whose server is gone: asyncpg raises FileNotFoundError (the socket file
    # is missing), which must count as the database being away, as a refused TCP connect does.
    with tempfile.TemporaryDirectory() as empty:
        pool = await create_pool(f"postgresql://postgres@/postgres?host={empty}", min_size=0)
        try:
            with pytest.raises(ConnectionError) as raised:
                await run_read(pool, lambda conn: conn.fetchval("select 1"))
        finally:
            await pool.close()
    assert is_connection_lost(raised.value)


@pytest.mark.parametrize(
    ("error", "lost"),
    [
        (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle"), True),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
        (asyncpg.exceptions.CrashShutdownError("crash of another server process"), True),
        (asyncpg.CannotConnectNowError("the database system is starting up"), True),
        (asyncpg.exceptions.IdleSessionTimeoutError("idle-session timeout"), True),
        (asyncpg.InterfaceError("cannot perform operation: connection is closed"), True),
        (asyncpg.InterfaceError("connection is closed"), True),
        (ConnectionResetError(104, "Connection reset by peer"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
        (asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
         False),
        (asyncpg.QueryCanceledError("canceling statement due to statement timeout"), False),
        (asyncpg.exceptions.ProtocolViolationError("bad message"), False),
        (asyncpg.UniqueViolationError("duplicate key"), False),
        (FileNotFoundError(2, "No such file or directory", "/spool/upload.csv"), False),
        (TimeoutError(), False),
        (ValueError("not a connection problem"), False),
    ],
)  # fmt: skip
def test_connection_loss_is_told_from_other_failures(error: BaseException, lost: bool) -> None:
    assert is_connection_lost(error) is lost
