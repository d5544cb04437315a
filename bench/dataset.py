"""The benchmark's data: a database of its own, `insighta_bench_<N>`, on the configured server,
filled with N synthetic profiles once and reused while it still holds exactly N."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from db import rollups as rollups_db
from db.migrations import apply_migrations
from db.pool import Connection, create_pool
from services.profiles.bulk_load import SyntheticLoad, load_synthetic_profiles


@dataclass(frozen=True)
class Dataset:
    dsn: str
    profiles: int
    load: SyntheticLoad | None  # None: reused as it was
    # How the reused database was filled, kept as its comment: the load figures of a
    # dataset built in an earlier run still belong in the scale model.
    built: dict[str, Any] | None = None


def database_dsn(server_dsn: str, name: str) -> str:
    """The same server DSN pointed at database `name` (URL path, or a unix-socket query)."""
    prefix, _, rest = server_dsn.partition("://")
    authority, _, path_and_query = rest.partition("/")
    _, question, query = path_and_query.partition("?")
    return f"{prefix}://{authority}/{name}" + (f"?{query}" if question else "")


def dataset_name(profiles: int) -> str:
    """The database `ensure_dataset` fills with `profiles` profiles."""
    return f"insighta_bench_{profiles}"


async def ensure_dataset(
    server_dsn: str, profiles: int, *, seed: int, on_progress: Callable[[int], None]
) -> Dataset:
    name = dataset_name(profiles)
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
                comment = await conn.fetchval(
                    "select shobj_description(oid, 'pg_database') from pg_database"
                    " where datname = current_database()"
                )
                return Dataset(dsn, profiles, None, _built(comment))
            await rollups_db.delete_all_profiles(conn)
        load = await load_synthetic_profiles(pool, profiles, seed=seed, on_progress=on_progress)
        built = load_fields(load)
        async with pool.acquire() as conn:
            await record_build(conn, built)
        return Dataset(dsn, profiles, load, built)
    finally:
        await pool.close()


async def record_build(conn: Connection, built: dict[str, Any]) -> None:
    """Keep `built` as the dataset database's comment, for the runs that reuse it."""
    name = await conn.fetchval("select current_database()")
    text = orjson.dumps(built).decode().replace("'", "''")
    await conn.execute(f"comment on database \"{name}\" is '{text}'")


def load_fields(load: SyntheticLoad) -> dict[str, Any]:
    return {
        "inserted": load.inserted,
        "seconds": load.seconds,
        "rows_per_second": load.rows_per_second,
        "copy_rows_per_second": load.copy_rows_per_second,
        "bulk": load.bulk,
    }


def _built(comment: str | None) -> dict[str, Any] | None:
    if not comment:
        return None
    try:
        value = orjson.loads(comment)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
