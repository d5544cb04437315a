"""Pool set-up in one place: codecs, session settings and the statement timeout; and reads
that survive a cut connection (`run_read`)."""

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypeVar

import asyncpg
import orjson

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # What db functions take: a bare connection, or one lent by a pool.
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Connection = asyncpg.Connection

logger = logging.getLogger(__name__)

T = TypeVar("T")

APPLICATION_NAME: Final = "insighta"
DEFAULT_STATEMENT_TIMEOUT_MS: Final = 30_000

# asyncpg prepares every statement; after five runs PostgreSQL may switch an optional-filter
# statement to a generic plan that ignores which filters are set (docs/architecture.md,
# traps: 25 ms to 6.7 s measured). Custom plans for every execution keep the index choice per call.
SERVER_SETTINGS: Final = {
    "plan_cache_mode": "force_custom_plan",
    "statement_timeout": str(DEFAULT_STATEMENT_TIMEOUT_MS),
}


async def init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=_encode_json, decoder=orjson.loads, schema="pg_catalog"
        )


ConnectionHook = Callable[[asyncpg.Connection], Awaitable[None]]


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL).

    That query is a round trip on every release: a pooled read measured 87 us with it, 46 us
    without. asyncpg still rolls back a transaction left open and drops listeners first. The
    rule that makes this safe: pool connections keep no session state. Use `set local` inside a
    transaction, transaction-level advisory locks or unlock in `finally`, and LISTEN on a
    dedicated connection (docs/architecture.md, traps).
    """


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    on_connect: ConnectionHook | None = None,
    reset_sessions: bool = False,
    application_name: str = APPLICATION_NAME,
) -> asyncpg.Pool:
    """A pool whose connections have our codecs; `on_connect` runs after them (tests log there).

    `reset_sessions` keeps asyncpg's reset on release (advisory unlock, UNLISTEN, RESET ALL) for
    a pool whose users hold session state on purpose, such as job locks. `application_name`
    is what pg_stat_activity shows for its connections."""

    async def init(conn: asyncpg.Connection) -> None:
        await init_connection(conn)
        if on_connect is not None:
            await on_connect(conn)

    pool = await asyncpg.create_pool(
        dsn,
        connect=_connect,
        min_size=min_size,
        max_size=max_size,
        init=init,
        reset=None if reset_sessions else _keep_session,  # None: asyncpg's own reset
        server_settings={**SERVER_SETTINGS, "application_name": application_name},
    )
    assert pool is not None  # create_pool only returns None when awaited without a loop
    return pool


def _encode_json(value: Any) -> str:
    return orjson.dumps(value).decode()


async def ping(conn: Connection, *, wait_seconds: float) -> None:
    await conn.fetchval("select 1", timeout=wait_seconds)


class DatabaseUnreachable(ConnectionRefusedError):
    """The server cannot be reached at all (nothing listens where the DSN points)."""


async def _connect(*args: Any, **kwargs: Any) -> asyncpg.Connection:
    """asyncpg.connect, with a server that is down shown as a refused connection whatever the
    transport: on a unix socket (the embedded server) asyncpg raises FileNotFoundError, since
    the stopped server removed its socket file, which would look like any missing file."""
    try:
        conn: asyncpg.Connection = await asyncpg.connect(*args, **kwargs)
    except FileNotFoundError as error:
        raise DatabaseUnreachable(error.errno, f"cannot reach the database: {error}") from error
    return conn


# The server ended the session or refused a new one (pg_terminate_backend is 57P01, a restart
# or failover 57P01/57P02 then 57P03 while it starts), or the socket went: nothing of the
# statement in flight came back, and another connection may well work.
_LOST: Final = (
    asyncpg.exceptions.ConnectionDoesNotExistError,  # 08003: closed in the middle of an operation
    asyncpg.exceptions.ConnectionFailureError,  # 08006
    asyncpg.exceptions.ClientCannotConnectError,  # 08001
    asyncpg.exceptions.ConnectionRejectionError,  # 08004
    asyncpg.exceptions.TransactionResolutionUnknownError,  # 08007: lost during COMMIT
    asyncpg.exceptions.AdminShutdownError,  # 57P01
    asyncpg.exceptions.CrashShutdownError,  # 57P02
    asyncpg.exceptions.CannotConnectNowError,  # 57P03: starting up or shutting down
    asyncpg.exceptions.IdleSessionTimeoutError,  # 57P05
    ConnectionError,  # reset, refused (DatabaseUnreachable), broken pipe, aborted
)
# An idle connection that receives the server's FATAL message (the backend was terminated and
# its socket has not been seen closing yet) is put by asyncpg into its error-consume state, 2;
# the next statement then fails with this, before anything was sent.
_CUT_WHILE_IDLE: Final = "another operation (2) is in progress"


def is_connection_lost(error: BaseException) -> bool:
    """Whether `error` means the connection (or the server) went away, rather than that the
    statement failed: a statement timeout, a constraint or a bug is not a lost connection."""
    if isinstance(error, _LOST):
        return True
    if isinstance(error, asyncpg.InterfaceError):
        return str(error).endswith("connection is closed")
    if isinstance(error, asyncpg.exceptions.InternalClientError):
        return _CUT_WHILE_IDLE in str(error)
    return False


async def run_read(
    pool: asyncpg.Pool,
    read: Callable[[Connection], Awaitable[T]],
    *,
    acquire_wait: float | None = None,
) -> T:
    """`read(conn)` on a pooled connection, run once more on a fresh connection if the first
    was lost (`is_connection_lost`); a second loss, or any other error, is raised.

    Only for reads whose result is handed on once `read` returns: nothing of a lost attempt
    reached anyone, and running a read again changes nothing. Never for writes (a lost COMMIT
    may have committed) or for rows streamed out as they come (an export already sent some).
    `acquire_wait` bounds each wait for a pooled connection (seconds).
    """
    try:
        async with pool.acquire(timeout=acquire_wait) as conn:
            return await read(conn)
    except Exception as error:
        if not is_connection_lost(error):
            raise
        logger.warning("database connection lost; reading again", extra={"error": str(error)})
    # One connection cut usually means all of them were (a restart, a failover, a PgBouncer
    # restart), and a cut idle connection can look open for a moment: asking the pool for
    # another could hand out the next dead one. Expired, each is replaced as it is next taken.
    await pool.expire_connections()
    async with pool.acquire(timeout=acquire_wait) as conn:
        return await read(conn)
