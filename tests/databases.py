"""Throwaway databases on the test server: created, migrated, dropped afterwards."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from db.migrations import apply_migrations


@asynccontextmanager
async def fresh_database(server_dsn: str, *, prefix: str = "insighta_test") -> AsyncIterator[str]:
    """A migrated database of its own on `server_dsn`'s server, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'create database "{name}"')
        dsn = with_database(server_dsn, name)
        conn = await asyncpg.connect(dsn)
        try:
            await apply_migrations(conn)
        finally:
            await conn.close()
        yield dsn
        await admin.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await admin.close()


def with_database(dsn: str, name: str) -> str:
    """The same server DSN pointed at database `name` (URL path, or a unix-socket query)."""
    prefix, _, rest = dsn.partition("://")
    authority, _, path_and_query = rest.partition("/")
    _, question, query = path_and_query.partition("?")
    return f"{prefix}://{authority}/{name}" + (f"?{query}" if question else "")
