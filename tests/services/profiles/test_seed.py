import asyncpg
import pytest

from services.profiles.seed import seed_demo_profiles
from tests.demo_data import demo_records

pytestmark = pytest.mark.usefixtures("empty_profiles")


async def test_seeding_twice_inserts_nothing_twice(pool: asyncpg.Pool) -> None:
    first = await seed_demo_profiles(pool)
    second = await seed_demo_profiles(pool)
    assert (first.inserted, first.total) == (len(demo_records()), len(demo_records()))
    assert (second.inserted, second.already_present) == (0, len(demo_records()))
    async with pool.acquire() as conn:
        assert await conn.fetchval("select count(*) from profiles") == len(demo_records())
        assert await conn.fetchval("select sum(count) from profile_counts") == len(demo_records())


async def test_seeded_profiles_have_uuid7_ids_and_derived_groups(pool: asyncpg.Pool) -> None:
    await seed_demo_profiles(pool)
    async with pool.acquire() as conn:
        rows = await conn.fetch("select id, name, age_group from profiles")
    by_name = {row["name"]: row for row in rows}
    for record in demo_records():
        row = by_name[record["name"]]
        assert row["id"].version == 7
        assert row["age_group"] == record["age_group"]
