"""SQL for loading many profiles into an empty table at once (`insighta seed --synthetic`).

Row-by-row index maintenance is what makes big loads slow (docs/architecture.md, traps: 500k
rows took 25 s with 8 indexes, 9.8 s with 2). Into an empty table the loader instead drops the
secondary indexes, COPYs every row, and builds the indexes again by sorting, all in one
transaction: other sessions see either no rows or all of them, and never a table without its
indexes.

The rollup triggers are switched off for the load, inside the same transaction (the table lock is
already held): capturing every row in a transition table took 40% of COPY time (220-257k rows/s
with it, 400k without, 500k rows on 2 cores). The counts are then added once from the loaded rows
and the data version bumped, before commit, so readers never see rows without their counts.
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
# By name: if a rollup trigger is renamed this fails loudly instead of double counting.
DISABLE_ROLLUP_TRIGGERS: Final = """
alter table profiles
      disable trigger profiles_counts_insert,
      disable trigger profiles_probability_counts_insert,
      disable trigger profiles_country_probability_counts_insert
"""
ENABLE_ROLLUP_TRIGGERS: Final = """
alter table profiles
      enable trigger profiles_counts_insert,
      enable trigger profiles_probability_counts_insert,
      enable trigger profiles_country_probability_counts_insert
"""
# The table was empty before the load, so its rows are exactly the delta to add.
ADD_ROLLUP_OF_ALL_PROFILES: Final = """
insert into profile_counts (country_id, gender, age, count)
select country_id, gender, age, count(*)
  from profiles
 group by country_id, gender, age
 order by country_id, gender, age
    on conflict (country_id, gender, age)
    do update set count = profile_counts.count + excluded.count
"""
ADD_PROBABILITY_COUNTS_OF_ALL_PROFILES: Final = """
insert into profile_probability_counts (kind, bucket, gender, age, count)
select kind, bucket, gender, age, count(*)
  from (select 'g' as kind, probability_bucket(gender_probability) as bucket, gender, age
          from profiles
        union all
        select 'c', probability_bucket(country_probability), gender, age
          from profiles) buckets
 group by kind, bucket, gender, age
 order by kind, bucket, gender, age
    on conflict (kind, bucket, gender, age)
    do update set count = profile_probability_counts.count + excluded.count
"""
ADD_COUNTRY_PROBABILITY_COUNTS_OF_ALL_PROFILES: Final = """
insert into profile_country_probability_counts
       (kind, country_id, gender, age_group_start, bucket, count)
select kind, country_id, gender, age_group_start(age), bucket, count(*)
  from (select 'g' as kind, country_id, gender, age,
               probability_bucket(gender_probability) as bucket
          from profiles
        union all
        select 'c', country_id, gender, age, probability_bucket(country_probability)
          from profiles) buckets
 group by 1, 2, 3, 4, 5
 order by 1, 2, 3, 4, 5
    on conflict (kind, country_id, gender, age_group_start, bucket)
    do update set count = profile_country_probability_counts.count + excluded.count
"""
BUMP_DATA_VERSION: Final = "update data_version set version = version + 1, changed_at = now()"
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


async def pause_rollup_triggers(conn: Connection) -> None:
    await conn.execute(DISABLE_ROLLUP_TRIGGERS)


async def resume_rollup_triggers_with_counts(conn: Connection) -> None:
    """Add the loaded rows to the rollups, bump the data version, switch the triggers back on.

    profile_totals follows profile_counts by its own triggers, which stay on throughout.
    """
    await conn.execute(ADD_ROLLUP_OF_ALL_PROFILES)
    await conn.execute(ADD_PROBABILITY_COUNTS_OF_ALL_PROFILES)
    await conn.execute(ADD_COUNTRY_PROBABILITY_COUNTS_OF_ALL_PROFILES)
    await conn.execute(BUMP_DATA_VERSION)
    await conn.execute(ENABLE_ROLLUP_TRIGGERS)


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
    """COPY rows into staging, then insert those whose name is new (the rollup triggers count
    them). Returns how many were inserted. Inside the bulk transaction."""
    await conn.execute(CREATE_STAGING_TABLE)
    await conn.execute(EMPTY_STAGING)
    await conn.copy_records_to_table("profiles_staging", records=rows, columns=STAGING_COLUMNS)
    status = await conn.execute(INSERT_PROFILES_FROM_STAGING)
    return int(status.split()[-1])


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
