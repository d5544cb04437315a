"""SQL for loading many profiles into an empty table at once (`insighta seed --synthetic`).

Row-by-row index maintenance is what makes big loads slow (docs/architecture.md, traps: 500k
rows took 25 s with 8 indexes, 9.8 s with 2). Into an empty table the loader instead drops the
secondary indexes, COPYs every row, and builds the indexes again by sorting, all in one
transaction: other sessions see either no rows or all of them, and never a table without its
indexes.

The rollups are then recounted once from the loaded rows (db/rollups.py `rebuild`), and the data
version bumped, before commit, so readers never see rows without their counts: cheaper than
applying each COPYed chunk (capturing every row for the rollups took 40% of COPY time when
triggers did it: 220-257k rows/s with it, 400k without, 500k rows on 2 cores).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from db.pool import Connection
from db.profiles import CREATE_STAGING_TABLE, INSERT_PROFILES_FROM_STAGING, STAGING_COLUMNS

# Access exclusive: nobody reads a half-built table; waits for running readers to finish.
LOCK_PROFILES: Final = "lock table profiles in access exclusive mode"
IS_PROFILES_EMPTY: Final = "select not exists (select 1 from profiles)"
COUNT_PROFILES: Final = "select count(*) from profiles"
# Between chunks of one long transaction (on commit delete rows only empties it at the end).
EMPTY_STAGING: Final = "truncate profiles_staging"
# Indexes that can be dropped and rebuilt: not the primary key (ids arrive in order, so it only
# appends) and none that backs a constraint (those go with their constraint).
SELECT_SECONDARY_INDEXES: Final = """
select i.indexrelid::regclass::text as name,
       pg_get_indexdef(i.indexrelid) as definition
  from pg_index i
 where i.indrelid = 'profiles'::regclass
   and not i.indisprimary
   and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
 order by 1
"""
DISABLE_STATEMENT_TIMEOUT: Final = "set local statement_timeout = 0"
# Index builds sort in memory up to this much; PostgreSQL's 64 MB default spills at 1M rows.
SET_BUILD_MEMORY: Final = "set local maintenance_work_mem = '512MB'"
ANALYZE_PROFILES: Final = "analyze profiles, profile_counts"
# Vacuum sets the visibility map, which lets counts over probability indexes skip the heap.
VACUUM_ANALYZE_PROFILES: Final = "vacuum (analyze) profiles, profile_counts"


@dataclass(frozen=True, slots=True)
class IndexDefinition:
    name: str
    definition: str


async def allow_long_statements(conn: Connection) -> None:
    """Lift the pool's statement timeout (it guards requests) for this transaction."""
    await conn.execute(DISABLE_STATEMENT_TIMEOUT)


async def count_all_profiles(conn: Connection) -> int:
    return int(await conn.fetchval(COUNT_PROFILES))


async def lock_profiles(conn: Connection) -> None:
    """Hold `profiles` for a bulk load (inside its transaction): readers wait until commit."""
    await conn.execute(LOCK_PROFILES)


async def is_profiles_empty(conn: Connection) -> bool:
    return bool(await conn.fetchval(IS_PROFILES_EMPTY))


async def drop_secondary_indexes(
    conn: Connection, *, keep_unique: bool = False
) -> list[IndexDefinition]:
    """Drop every droppable index of `profiles` (with `keep_unique`, not the unique ones that
    ON CONFLICT needs); returns what `create_indexes` rebuilds."""
    rows = await conn.fetch(SELECT_SECONDARY_INDEXES)
    indexes = [
        IndexDefinition(row["name"], row["definition"])
        for row in rows
        if not (keep_unique and row["definition"].startswith("CREATE UNIQUE"))
    ]
    for index in indexes:
        # The name comes from the catalog (regclass text, quoted where needed), not from input.
        await conn.execute(f"drop index {index.name}")
    return indexes


async def create_indexes(conn: Connection, indexes: Sequence[IndexDefinition]) -> None:
    await conn.execute(SET_BUILD_MEMORY)
    for index in indexes:
        await conn.execute(index.definition)


async def copy_profiles(conn: Connection, rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY rows (in STAGING_COLUMNS order) straight into `profiles`; names must be new.

    `rows` may be a lazy iterator: asyncpg sends as it encodes, so the server inserts one part
    while the client makes the next.
    """
    await conn.copy_records_to_table("profiles", records=rows, columns=STAGING_COLUMNS)


async def insert_new_profiles(conn: Connection, rows: Iterable[tuple[Any, ...]]) -> int:
    """COPY rows into staging, then insert those whose name is new, into the rollups too.
    Returns how many were inserted. Inside the bulk transaction."""
    await conn.execute(CREATE_STAGING_TABLE)
    await conn.execute(EMPTY_STAGING)
    await conn.copy_records_to_table("profiles_staging", records=rows, columns=STAGING_COLUMNS)
    return int(await conn.fetchval(INSERT_PROFILES_FROM_STAGING))


async def analyze_profiles(conn: Connection, *, vacuum: bool) -> None:
    """Refresh planner statistics (and, with `vacuum`, the visibility map). Not in a transaction.

    VACUUM cannot run in a transaction, so `set local` cannot lift the pool's statement timeout
    for it (a 10M-row table takes longer): the session setting is lifted and put back.
    """
    await conn.execute("set statement_timeout = 0")
    try:
        await conn.execute(VACUUM_ANALYZE_PROFILES if vacuum else ANALYZE_PROFILES)
    finally:
        await conn.execute("reset statement_timeout")
