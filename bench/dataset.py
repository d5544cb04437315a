"""The benchmark's data: a database of its own, `insighta_bench_<N>`, on the configured server,
filled with N synthetic profiles once and reused while it still holds exactly N."""

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from db.migrations import apply_migrations
from db.pool import create_pool
from services.profiles.bulk_load import SyntheticLoad, load_synthetic_profiles


@dataclass(frozen=True)
class Dataset:
    dsn: str
    profiles: int
    load: SyntheticLoad | None  # None: reused as it was


def database_dsn(server_dsn: str, name: str) -> str:
    """The same server DSN pointed at database `name` (URL path, or a unix-socket query)."""
    prefix, _, rest = server_dsn.partition("://")
    authority, _, path_and_query = rest.partition("/")
    _, question, query = path_and_query.partition("?")
    return f"{prefix}://{authority}/{name}" + (f"?{query}" if question else "")


async def ensure_dataset(
    server_dsn: str, profiles: int, *, seed: int, on_progress: Callable[[int], None]
) -> Dataset:
    name = f"insighta_bench_{profiles}"
    admin = await asyncpg.connect(server_dsn)
    try:
        if not await admin.fetchval("select 1 from pg_database where datname = $1", name):
            await admin.execute(f'create database "{name}"')
    finally:
        await admin.close()
    dsn = database_dsn(server_dsn, name)
    pool = await create_pool(dsn, max_size=2)
    try:
        async with pool.acquire() as conn:
            await apply_migrations(conn)
            if await conn.fetchval("select count(*) from profiles") == profiles:
                return Dataset(dsn, profiles, None)
            await conn.execute("truncate profiles")
        load = await load_synthetic_profiles(pool, profiles, seed=seed, on_progress=on_progress)
        return Dataset(dsn, profiles, load)
    finally:
        await pool.close()
