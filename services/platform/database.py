"""Opening the database the settings point at: the given DSN, or the embedded server."""

import asyncio
import logging
import os
from dataclasses import dataclass

import asyncpg

from db.embedded import EmbeddedPostgres
from db.migrations import apply_migrations
from db.pool import (
    APPLICATION_NAME,
    Connection,
    create_pool,
    is_connection_lost,
    ping,
    run_read,
)
from services.platform.settings import Secret, Settings

logger = logging.getLogger(__name__)

# The graph layer names the pool through this alias and never imports the driver itself.
ConnectionPool = asyncpg.Pool


@dataclass(slots=True)
class Database:
    pool: asyncpg.Pool
    embedded: EmbeddedPostgres | None
    # True when this start created the schema: an empty database that may want the demo data.
    created_now: bool
    # Where the pool connects, for connections that must not come from it (LISTEN, ingestion).
    dsn: Secret
    # Read-only profile traffic (DATABASE_READ_URL, a replica); the primary pool without one.
    read_pool: asyncpg.Pool

    async def close(self) -> None:
        await self.close_pools()
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)

    async def close_pools(self) -> None:
        """Close the connections but keep the embedded server running (for other processes)."""
        if self.read_pool is not self.pool:
            await self.read_pool.close()
        await self.pool.close()


def process_application_name() -> str:
    """`insighta-<pid>`: pg_stat_activity then shows which server process holds a connection
    (several per host with `serve --workers N`)."""
    return f"{APPLICATION_NAME}-{os.getpid()}"


async def open_database(settings: Settings, *, max_size: int = 10) -> Database:
    """Start the embedded server if no DATABASE_URL is set, connect, apply migrations."""
    embedded = None
    if settings.database_url is not None:
        dsn = settings.database_url.reveal()
    else:
        embedded = EmbeddedPostgres(settings.data_dir)
        dsn = await asyncio.to_thread(embedded.start)
    try:
        pool = await create_pool(
            dsn, max_size=max_size, application_name=process_application_name()
        )
        async with pool.acquire() as conn:
            applied = await apply_migrations(conn)
    except BaseException:
        if embedded is not None:
            await asyncio.to_thread(embedded.stop)
        raise
    created_now = bool(applied) and applied[0] == "0001_profiles"
    read_pool = pool
    if settings.database_read_url is not None:
        read_pool = await create_pool(
            settings.database_read_url.reveal(),
            max_size=max_size,
            application_name=process_application_name(),
        )
    return Database(
        pool=pool, embedded=embedded, created_now=created_now, dsn=Secret(dsn), read_pool=read_pool
    )


async def is_reachable(pool: ConnectionPool, *, wait_seconds: float = 5.0) -> bool:
    """Whether a statement gets through; a connection cut since its last use (the server
    restarted) is replaced first, so only a database that is really away reports False."""

    async def probe(conn: Connection) -> None:
        await ping(conn, wait_seconds=wait_seconds)

    try:
        await run_read(pool, probe, acquire_wait=wait_seconds)
    except (
        TimeoutError,
        OSError,
        asyncpg.PostgresError,
        asyncpg.InterfaceError,
        asyncpg.exceptions.InternalClientError,
    ) as error:
        # Polled every few seconds while the database is down: one line each, no trace.
        logger.warning("database health check failed", extra={"error": repr(error)})
        return False
    return True


def is_database_unavailable(error: BaseException) -> bool:
    """Whether a request failed because the database went away (a cut or refused connection),
    not because of what it asked: the graph layer answers UPSTREAM_UNAVAILABLE for these."""
    return is_connection_lost(error)
