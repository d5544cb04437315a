"""Loading N generated profiles: `insighta seed --synthetic N [--seed S]` and the benchmark.

Three paths, chosen by what is already stored:
- into an empty table, one transaction drops the secondary indexes, COPYs every row straight
  in, rebuilds the indexes by sorting and counts the rollups once;
- into a table with fewer rows than the load (the demo profiles, say), one transaction drops
  the secondary indexes but the unique name index, and inserts chunks from staging with
  `on conflict do nothing` (names already stored are skipped, the rest go into the rollups),
  then rebuilds the indexes;
- into a table at least as big as the load, batches go through the normal write path, each
  committed on its own, and the table is never locked.
The first two hold the table's exclusive lock for the load: readers wait for it. Statistics
are refreshed at the end; the counts reported are exact.
"""

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import asyncpg

from db import profiles as profiles_db
from db import profiles_bulk, rollups
from db.pool import Connection
from services.profiles.synthetic import DEFAULT_SEED, SyntheticProfiles

logger = logging.getLogger(__name__)

# Big enough that per-statement costs (the rollup upkeep, a round trip) vanish, small enough
# that progress moves and the client holds ~50 MB at most.
BULK_BATCH_ROWS: Final = 100_000
INCREMENTAL_BATCH_ROWS: Final = 20_000

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class SyntheticLoad:
    requested: int
    inserted: int
    bulk: bool
    seconds: float
    # Time spent sending rows (COPY, or the batches), without index builds and statistics.
    copy_seconds: float

    @property
    def skipped(self) -> int:
        return self.requested - self.inserted

    @property
    def rows_per_second(self) -> float:
        return self.inserted / self.seconds if self.seconds > 0 else 0.0

    @property
    def copy_rows_per_second(self) -> float:
        return self.inserted / self.copy_seconds if self.copy_seconds > 0 else 0.0


async def load_synthetic_profiles(
    pool: asyncpg.Pool,
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    on_progress: Progress | None = None,
) -> SyntheticLoad:
    """Insert `count` generated profiles; `on_progress(rows)` is called after every batch."""
    if count < 0:
        raise ValueError("count must not be negative")
    generator = SyntheticProfiles(seed)
    progress = on_progress or (lambda rows: None)
    started = time.perf_counter()
    async with pool.acquire() as conn:
        bulk = count > 0 and await profiles_bulk.count_all_profiles(conn) < count
        if bulk:
            async with conn.transaction():
                await profiles_bulk.allow_long_statements(conn)
                await profiles_bulk.lock_profiles(conn)
                if await profiles_bulk.is_profiles_empty(conn):
                    copy_seconds = await _load_into_empty_table(conn, generator, count, progress)
                    inserted = count
                else:
                    inserted, copy_seconds = await _append_in_bulk(conn, generator, count, progress)
        else:
            inserted = await _load_in_batches(conn, generator, count, progress)
            copy_seconds = time.perf_counter() - started
        await profiles_bulk.analyze_profiles(conn, vacuum=bulk)
    load = SyntheticLoad(
        requested=count,
        inserted=inserted,
        bulk=bulk,
        seconds=time.perf_counter() - started,
        copy_seconds=copy_seconds,
    )
    logger.info(
        "loaded synthetic profiles",
        extra={
            "requested": count,
            "inserted": inserted,
            "bulk": bulk,
            "seed": seed,
            "rows_per_second": round(load.rows_per_second),
        },
    )
    return load


async def _load_into_empty_table(
    conn: Connection, generator: SyntheticProfiles, count: int, progress: Progress
) -> float:
    """Returns the seconds spent in COPY."""
    indexes = await profiles_bulk.drop_secondary_indexes(conn)
    rows = generator.rows(count)
    started = time.perf_counter()
    for done in range(0, count, BULK_BATCH_ROWS):
        size = min(BULK_BATCH_ROWS, count - done)
        await profiles_bulk.copy_profiles(conn, itertools.islice(rows, size))
        progress(done + size)
    copy_seconds = time.perf_counter() - started
    await profiles_bulk.create_indexes(conn, indexes)
    await rollups.rebuild(conn)
    return copy_seconds


async def _append_in_bulk(
    conn: Connection, generator: SyntheticProfiles, count: int, progress: Progress
) -> tuple[int, float]:
    """Returns (rows inserted, seconds spent inserting)."""
    indexes = await profiles_bulk.drop_secondary_indexes(conn, keep_unique=True)
    rows = generator.rows(count)
    inserted = 0
    started = time.perf_counter()
    for done in range(0, count, BULK_BATCH_ROWS):
        size = min(BULK_BATCH_ROWS, count - done)
        inserted += await profiles_bulk.insert_new_profiles(conn, itertools.islice(rows, size))
        progress(done + size)
    insert_seconds = time.perf_counter() - started
    await profiles_bulk.create_indexes(conn, indexes)
    return inserted, insert_seconds


async def _load_in_batches(
    conn: Connection, generator: SyntheticProfiles, count: int, progress: Progress
) -> int:
    inserted = done = 0
    for batch in generator.batches(count, INCREMENTAL_BATCH_ROWS):
        async with conn.transaction():
            await profiles_bulk.allow_long_statements(conn)
            inserted += await profiles_db.insert_profiles(conn, batch)
        done += len(batch)
        progress(done)
    return inserted
