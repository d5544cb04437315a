"""Loading generated profiles: the bulk path into an empty table and the batch path after it
leave the same exact rollup, every index in place, and a new data version."""

from datetime import UTC, datetime

import asyncpg
import pytest

from db import profiles as profiles_db
from db.profiles_bulk import SELECT_SECONDARY_INDEXES
from services.platform.ids import uuid7
from services.profiles.bulk_load import load_synthetic_profiles
from services.profiles.seed import seed_demo_profiles
from tests.db.test_profiles import (
    actual,
    actual_totals,
    assert_histograms_match_rows,
    rollup,
    totals,
)

pytestmark = pytest.mark.usefixtures("empty_profiles")


async def index_definitions(pool: asyncpg.Pool) -> list[str]:
    async with pool.acquire() as conn:
        return [row["definition"] for row in await conn.fetch(SELECT_SECONDARY_INDEXES)]


async def test_empty_table_takes_the_bulk_path_and_keeps_everything_exact(
    pool: asyncpg.Pool,
) -> None:
    indexes_before = await index_definitions(pool)
    async with pool.acquire() as conn:
        version_before = await conn.fetchval("select version from data_version")
    progress: list[int] = []
    load = await load_synthetic_profiles(pool, 2500, seed=4, on_progress=progress.append)
    assert (load.bulk, load.inserted, load.skipped) == (True, 2500, 0)
    assert progress[-1] == 2500
    assert await index_definitions(pool) == indexes_before
    async with pool.acquire() as conn:
        assert await conn.fetchval("select count(*) from profiles") == 2500
        assert await rollup(conn) == await actual(conn)
        assert await totals(conn) == await actual_totals(conn)
        await assert_histograms_match_rows(conn)
        assert await conn.fetchval("select version from data_version") > version_before
        # A later insert through the write path is counted as usual.
        late = (uuid7(), "Late Comer", "late comer", "male", None, 40, "KE", "Kenya", None)
        async with conn.transaction():
            await profiles_db.insert_profiles(conn, [(*late, datetime.now(UTC))])
        assert await rollup(conn) == await actual(conn)
        await assert_histograms_match_rows(conn)


async def test_a_bigger_table_takes_the_batch_path_and_skips_known_names(
    pool: asyncpg.Pool,
) -> None:
    first = await load_synthetic_profiles(pool, 1200, seed=9)
    again = await load_synthetic_profiles(pool, 1000, seed=9)
    assert first.bulk
    assert not again.bulk
    # The same seed makes the same names: all 1000 are stored already.
    assert (again.inserted, again.skipped) == (0, 1000)
    other = await load_synthetic_profiles(pool, 800, seed=10)
    async with pool.acquire() as conn:
        assert await conn.fetchval("select count(*) from profiles") == 1200 + other.inserted
        assert await rollup(conn) == await actual(conn)
        assert await totals(conn) == await actual_totals(conn)
        await assert_histograms_match_rows(conn)


async def test_a_smaller_table_is_appended_in_bulk_keeping_its_rows_and_names_unique(
    pool: asyncpg.Pool,
) -> None:
    indexes_before = await index_definitions(pool)
    await seed_demo_profiles(pool)
    # 3000 rows onto the 2026 demo profiles: more than stored, so in bulk.
    first = await load_synthetic_profiles(pool, 3000, seed=21)
    assert (first.bulk, first.inserted) == (True, 3000)
    # 6000 onto 5026: bulk again; the first 3000 names of seed 21 are stored already.
    again = await load_synthetic_profiles(pool, 6000, seed=21)
    assert again.bulk
    assert (again.inserted, again.skipped) == (3000, 3000)
    assert await index_definitions(pool) == indexes_before
    async with pool.acquire() as conn:
        assert await conn.fetchval("select count(*) from profiles") == 2026 + 6000
        assert await rollup(conn) == await actual(conn)
        assert await totals(conn) == await actual_totals(conn)
        await assert_histograms_match_rows(conn)


async def test_loading_nothing_changes_nothing(pool: asyncpg.Pool) -> None:
    load = await load_synthetic_profiles(pool, 0)
    assert (load.inserted, load.bulk) == (0, False)
