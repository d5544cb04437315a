"""Pool set-up in one place: codecs, session settings and the statement timeout."""

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import asyncpg
import orjson

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # What db functions take: a bare connection, or one lent by a pool.
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
else:
    Connection = asyncpg.Connection

APPLICATION_NAME: Final = "insighta"
DEFAULT_STATEMENT_TIMEOUT_MS: Final = 30_000

# asyncpg prepares every statement; after five runs PostgreSQL may switch an optional-filter
# statement to a generic plan that ignores which filters are set (DESIGN.md, traps: 25 ms to
# 6.7 s measured). Custom plans for every execution keep the index choice per call.
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
    dedicated connection (DESIGN.md section 8).
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
