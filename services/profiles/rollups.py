"""Checking and rebuilding the rollups of `profiles` (`insighta rollups check|rebuild`).

The write path keeps the rollups exact in every writer's transaction (db/rollups.py,
docs/architecture.md "Rollups"); a write that bypasses it, such as a DELETE typed into psql,
leaves them behind. `check` recounts every rollup from the rows, in one snapshot, and lists
what differs; `rebuild` recounts them for good while writers wait. Both scan the whole table,
so neither is held to the pool's per-request statement timeout.
"""

from typing import Final

import asyncpg

from db import profiles_bulk
from db import rollups as rollups_db
from db.rollups import RollupDifference

# A broken rollup can differ in thousands of rows; the first ones of each say enough.
DIFFERENCES_SHOWN: Final = 5


async def check(pool: asyncpg.Pool, *, limit: int = DIFFERENCES_SHOWN) -> list[RollupDifference]:
    """Up to `limit` rows per rollup that differ from a recount (each saying how many of its
    rollup differ in all); empty when every rollup is exact."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await profiles_bulk.allow_long_statements(conn)
        return await rollups_db.select_differences(conn, limit=limit)


async def rebuild(pool: asyncpg.Pool) -> int:
    """Recount every rollup from the rows and bump the data version; returns the profiles."""
    async with pool.acquire() as conn, conn.transaction():
        await profiles_bulk.allow_long_statements(conn)
        return await rollups_db.rebuild(conn)
