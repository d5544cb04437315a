"""The profile tables on a real PostgreSQL: rollup counts and data version stay exact."""

from datetime import UTC, datetime

import asyncpg
import pytest

from db import profiles as profiles_db
from db import rollups as rollups_db
from db.migrations import apply_migrations
from db.pool import Connection
from services.platform.ids import uuid7
from services.profiles.names import name_key

pytestmark = pytest.mark.usefixtures("empty_profiles")


def row(
    name: str, *, gender: str = "female", age: int = 30, country: str = "NG"
) -> tuple[object, ...]:
    return (
        uuid7(),
        name,
        name_key(name),
        gender,
        0.9,
        age,
        country,
        "Nigeria",
        0.5,
        datetime.now(UTC),
    )


async def rollup(conn: Connection) -> dict[tuple[str, str, int], int]:
    rows = await conn.fetch(
        "select country_id, gender, age, count from profile_counts where count > 0"
    )
    return {(r["country_id"], r["gender"], r["age"]): r["count"] for r in rows}


async def totals(conn: Connection) -> dict[tuple[str, int], int]:
    rows = await conn.fetch("select gender, age, count from profile_totals where count > 0")
    return {(r["gender"], r["age"]): r["count"] for r in rows}


async def actual_totals(conn: Connection) -> dict[tuple[str, int], int]:
    rows = await conn.fetch("select gender, age, count(*) as count from profiles group by 1, 2")
    return {(r["gender"], r["age"]): r["count"] for r in rows}


async def actual(conn: Connection) -> dict[tuple[str, str, int], int]:
    rows = await conn.fetch(
        "select country_id, gender, age, count(*) as count from profiles group by 1, 2, 3"
    )
    return {(r["country_id"], r["gender"], r["age"]): r["count"] for r in rows}


async def delete_where(conn: Connection, condition: str) -> int:
    """Delete through the write path, one profile at a time, as deleteProfile does."""
    # `condition` is one of this module's constants, never input.
    ids = await conn.fetch(f"select id from profiles where {condition}")  # noqa: S608
    for record in ids:
        assert await profiles_db.delete_profile(conn, record["id"])
    return len(ids)


async def test_rollup_follows_inserts_and_deletes(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        async with conn.transaction():
            inserted = await profiles_db.insert_profiles(
                conn,
                [
                    row("Ada Obi"),
                    row("Bola Ade", gender="male", age=12),
                    row("Chi Eze", country="KE"),
                ],
            )
        assert inserted == 3
        assert await rollup(conn) == await actual(conn)
        assert await totals(conn) == await actual_totals(conn)
        assert await delete_where(conn, "country_id = 'KE'") == 1
        assert await rollup(conn) == await actual(conn)
        assert await totals(conn) == await actual_totals(conn)
        assert not await profiles_db.delete_profile(conn, uuid7())
        assert await rollups_db.select_differences(conn, limit=10) == []
        assert (
            await profiles_db.count_profiles(
                conn, profiles_db.ProfileFilterValues(None, None, 0, 150)
            )
            == 2
        )


async def test_delete_all_profiles_empties_every_rollup(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        async with conn.transaction():
            await profiles_db.insert_profiles(conn, [row("Ada Obi"), row("Eme Uko", age=70)])
        assert await totals(conn) == {("female", 30): 1, ("female", 70): 1}
        await rollups_db.delete_all_profiles(conn)
        assert await totals(conn) == {}
        assert await histogram(conn) == {}
        assert await histogram_by_country(conn) == {}


async def test_check_finds_a_write_that_bypassed_the_path_and_rebuild_mends_it(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        async with conn.transaction():
            await profiles_db.insert_profiles(
                conn, [row("Ada Obi"), row("Eme Uko", age=70, country="KE")]
            )
        before = await profiles_db.get_data_version(conn)
        await conn.execute("update profiles set age = 12 where name = 'Ada Obi'")
        await conn.execute("delete from profiles where name = 'Eme Uko'")
        differences = await rollups_db.select_differences(conn, limit=100)
        assert {d.rollup for d in differences} == {
            "profile_counts",
            "profile_totals",
            "profile_probability_histograms",
            "profile_country_probability_histograms",
        }
        assert rollups_db.RollupDifference("profile_counts", "KE/female/70", 1, 0, 3) in differences
        assert rollups_db.RollupDifference("profile_totals", "female/12", 0, 1, 3) in differences
        assert len(await rollups_db.select_differences(conn, limit=1)) == 4
        assert await rollups_db.rebuild(conn) == 1
        assert await rollups_db.select_differences(conn, limit=100) == []
        assert await profiles_db.get_data_version(conn) > before


async def test_counts_use_the_totals_without_a_country_and_agree_with_rows(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        async with conn.transaction():
            await profiles_db.insert_profiles(
                conn,
                [
                    row("Ada Obi", age=25),
                    row("Bola Ade", gender="male", age=12),
                    row("Chi Eze", country="KE", age=64),
                ],
            )
        for values, expected in [
            (profiles_db.ProfileFilterValues(None, None, 0, 150), 3),
            (profiles_db.ProfileFilterValues("female", None, 20, 70), 2),
            (profiles_db.ProfileFilterValues("female", "KE", 0, 150), 1),
            (profiles_db.ProfileFilterValues(None, None, 0, 150, 0.95), 0),
        ]:
            assert await profiles_db.count_profiles(conn, values) == expected
        assert profiles_db.ProfileFilterValues(None, None, 0, 150).count_source == "totals"
        assert profiles_db.ProfileFilterValues(None, "KE", 0, 150).count_source == "rollup"
        assert (
            profiles_db.ProfileFilterValues(None, None, 0, 150, 0.5).count_source
            == "gender_probability_buckets"
        )
        assert profiles_db.ProfileFilterValues(None, None, 0, 150, 0.925).count_source == "rows"
        assert (
            profiles_db.ProfileFilterValues(None, "KE", 0, 150, 0.5).count_source
            == "gender_probability_buckets_by_country"
        )
        assert profiles_db.ProfileFilterValues(None, "KE", 0, 150, 0.925).count_source == "rows"
        # The histogram by country keys by age group: ages that cut a group count rows.
        assert (
            profiles_db.ProfileFilterValues(None, "KE", 13, 59, None, 0.5).count_source
            == "country_probability_buckets_by_country"
        )
        assert profiles_db.ProfileFilterValues(None, "KE", 18, 150, 0.5).count_source == "rows"


PROBABILITIES = [None, 0.0, 0.01, 0.289999999, 0.29, 0.2900000001, 0.3, 0.5, 0.925, 0.99, 1.0]
THRESHOLDS = [0.0, 0.01, 0.29, 0.3, 0.5, 0.9, 0.925, 0.99, 1.0]


async def histogram(conn: Connection) -> dict[tuple[str, int, str, int], int]:
    rows = await conn.fetch(
        "select kind, (at - 2)::smallint as bucket, gender, age, count"
        "  from profile_probability_histograms, unnest(counts) with ordinality as u(count, at)"
        " where count > 0"
    )
    return {(r["kind"], r["bucket"], r["gender"], r["age"]): r["count"] for r in rows}


async def histogram_from_rows(conn: Connection) -> dict[tuple[str, int, str, int], int]:
    rows = await conn.fetch(
        "select kind, bucket, gender, age, count(*) as count"
        "  from (select 'g' as kind, probability_bucket(gender_probability) as bucket, gender, age"
        "          from profiles"
        "        union all"
        "        select 'c', probability_bucket(country_probability), gender, age"
        "          from profiles) b"
        " group by 1, 2, 3, 4"
    )
    return {(r["kind"], r["bucket"], r["gender"], r["age"]): r["count"] for r in rows}


async def histogram_by_country(conn: Connection) -> dict[tuple[str, str, str, int, int], int]:
    rows = await conn.fetch(
        "select kind, country_id, gender, age_group_start as age, (at - 2)::smallint as bucket,"
        "       count"
        "  from profile_country_probability_histograms,"
        "       unnest(counts) with ordinality as u(count, at)"
        " where count > 0"
    )
    return {
        (r["kind"], r["country_id"], r["gender"], r["age"], r["bucket"]): r["count"] for r in rows
    }


async def histogram_by_country_from_rows(
    conn: Connection,
) -> dict[tuple[str, str, str, int, int], int]:
    rows = await conn.fetch(
        "select kind, country_id, gender, age_group_start(age) as age, bucket, count(*) as count"
        "  from (select 'g' as kind, country_id, gender, age,"
        "               probability_bucket(gender_probability) as bucket"
        "          from profiles"
        "        union all"
        "        select 'c', country_id, gender, age, probability_bucket(country_probability)"
        "          from profiles) b"
        " group by 1, 2, 3, 4, 5"
    )
    return {
        (r["kind"], r["country_id"], r["gender"], r["age"], r["bucket"]): r["count"] for r in rows
    }


async def assert_histograms_match_rows(conn: Connection) -> None:
    assert await histogram(conn) == await histogram_from_rows(conn)
    assert await histogram_by_country(conn) == await histogram_by_country_from_rows(conn)


# (gender, age, country, gender probability, country probability) of one stored row.
Fact = tuple[str, int, str, float | None, float | None]


def expected_count(facts: list[Fact], values: profiles_db.ProfileFilterValues) -> int:
    """The oracle: the filter applied to the rows in Python."""
    matched = 0
    for gender, age, country, gender_p, country_p in facts:
        if values.gender not in (None, gender) or values.country_id not in (None, country):
            continue
        if not values.min_age <= age <= values.max_age:
            continue
        thresholds = (
            (values.min_gender_probability, gender_p),
            (values.min_country_probability, country_p),
        )
        if all(t is None or (p is not None and p >= t) for t, p in thresholds):
            matched += 1
    return matched


async def test_threshold_counts_are_exact_whichever_table_answers(pool: asyncpg.Pool) -> None:
    rows: list[tuple[object, ...]] = []
    facts: list[Fact] = []
    for index, (gender_p, country_p) in enumerate(
        (g, c) for g in PROBABILITIES for c in reversed(PROBABILITIES)
    ):
        gender, age = ("male" if index % 3 else "female"), index % 90
        country = ("NG", "KE", "GH")[index // 3 % 3]
        record = list(row(f"Person {index}", gender=gender, age=age, country=country))
        record[4], record[8] = gender_p, country_p
        rows.append(tuple(record))
        facts.append((gender, age, country, gender_p, country_p))
    async with pool.acquire() as conn:
        async with conn.transaction():
            await profiles_db.insert_profiles(conn, rows)
        sources: set[str] = set()
        for threshold in THRESHOLDS:
            for wanted in (None, "male"):
                for wanted_country in (None, "KE", "FR"):
                    for low, high in ((0, 150), (20, 59), (13, 150), (0, 19), (10, 80)):
                        for values in [
                            profiles_db.ProfileFilterValues(
                                wanted, wanted_country, low, high, threshold, None
                            ),
                            profiles_db.ProfileFilterValues(
                                wanted, wanted_country, low, high, None, threshold
                            ),
                            profiles_db.ProfileFilterValues(
                                wanted, wanted_country, low, high, threshold, threshold
                            ),
                        ]:
                            sources.add(values.count_source)
                            assert await profiles_db.count_profiles(conn, values) == expected_count(
                                facts, values
                            ), (values, values.count_source)
        assert sources == {
            "gender_probability_buckets",
            "country_probability_buckets",
            "gender_probability_buckets_by_country",
            "country_probability_buckets_by_country",
            "rows",
        }
        await assert_histograms_match_rows(conn)
        assert await delete_where(conn, "age > 70 or (age between 30 and 40 and age % 2 = 0)")
        await assert_histograms_match_rows(conn)
        assert await rollups_db.select_differences(conn, limit=10) == []


async def test_page_totals_from_the_country_histogram_equal_counting_rows(
    pool: asyncpg.Pool,
) -> None:
    """The page statement's total (the bench's two country + threshold cases) against rows."""
    rows = []
    for index in range(400):
        record = list(
            row(
                f"Paged {index}",
                gender=("male", "female")[index % 2],
                age=index % 91,
                country=("KE", "NG")[index // 2 % 2],
            )
        )
        record[4], record[8] = (index % 51 + 50) / 100, (index % 91 + 5) / 100
        rows.append(tuple(record))
    async with pool.acquire() as conn:
        async with conn.transaction():
            await profiles_db.insert_profiles(conn, rows)
        for values in [
            profiles_db.ProfileFilterValues(None, "NG", 0, 150, None, 0.5),
            profiles_db.ProfileFilterValues("male", "KE", 0, 150, 0.95, None),
            profiles_db.ProfileFilterValues("female", "NG", 20, 59, 0.7, None),
        ]:
            assert values.count_source.endswith("_by_country")
            by_rows = await conn.fetchval(profiles_db.COUNT_PROFILES, *values.args())
            page = await profiles_db.select_profiles_page(
                conn, values, sort_key="created_at", descending=True, after=None, limit=5
            )
            assert page.total == by_rows > 5
            assert await profiles_db.count_profiles(conn, values) == by_rows


async def test_duplicate_names_are_skipped_case_insensitively(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        async with conn.transaction():
            first = await profiles_db.insert_profiles(conn, [row("Ada Obi"), row("ADA OBI")])
        async with conn.transaction():
            second = await profiles_db.insert_profiles(conn, [row("ada obi"), row("Eme Uko")])
        assert (first, second) == (1, 1)
        assert await conn.fetchval("select count(*) from profiles") == 2
        assert await rollup(conn) == await actual(conn)


async def test_every_committed_write_bumps_the_data_version(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        before = await profiles_db.get_data_version(conn)
        async with conn.transaction():
            await profiles_db.insert_profiles(conn, [row("Ada Obi")])
        after_insert = await profiles_db.get_data_version(conn)
        await delete_where(conn, "true")
        after_delete = await profiles_db.get_data_version(conn)
        await rollups_db.delete_all_profiles(conn)
        after_delete_all = await profiles_db.get_data_version(conn)
    assert before < after_insert < after_delete < after_delete_all


async def test_age_group_is_derived_from_age(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        async with conn.transaction():
            await profiles_db.insert_profiles(
                conn, [row(f"P{age}", age=age) for age in (0, 12, 13, 19, 20, 59, 60, 150)]
            )
        rows = await conn.fetch("select age, age_group from profiles order by age")
        groups = {row["age"]: row["age_group"] for row in rows}
    assert groups == {
        0: "child", 12: "child", 13: "teenager", 19: "teenager",
        20: "adult", 59: "adult", 60: "senior", 150: "senior",
    }  # fmt: skip


async def test_database_generates_uuid_v7_ids(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        generated = await conn.fetchval("select uuid_v7()")
    assert generated.version == 7


async def test_migrations_apply_once(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        assert await apply_migrations(conn) == []
        versions = await conn.fetch("select version from schema_migrations")
    assert [r["version"] for r in versions][:1] == ["0001_profiles"]


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize(
    "arrays",
    [
        # One gender for two profiles: unnest pads the short array with NULL.
        (["NG", "KE"], ["female"], [30, 40], [0.9, 0.9], [0.5, 0.5]),
        # Two probabilities for one profile.
        (["NG"], ["female"], [30], [0.9, 0.8], [0.5]),
        # A NULL array beside filled ones.
        (["NG"], None, [30], [0.9], [0.5]),
        # A NULL key: a row no rollup key can hold.
        (["NG"], [None], [30], [0.9], [0.5]),
        ([None], ["female"], [30], [0.9], [0.5]),
        (["NG"], ["female"], [None], [0.9], [0.5]),
        # A probability outside 0..1: no histogram bucket holds it.
        (["NG"], ["female"], [30], [1.5], [0.5]),
        (["NG"], ["female"], [30], [0.9], [-0.25]),
    ],
)
async def test_apply_refuses_arrays_that_are_not_whole_rows(
    pool: asyncpg.Pool, sign: int, arrays: tuple[object, ...]
) -> None:
    """profile_rollups_apply is callable with any arrays; columns of different lengths or a
    NULL key are an error for an increase and a decrease alike, never a silent miscount."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            await profiles_db.insert_profiles(
                conn, [row("Ada Obi"), row("Eme Uko", age=40, country="KE")]
            )
        before = await profiles_db.get_data_version(conn)
        with pytest.raises(asyncpg.RaiseError, match="profile_rollups_apply"):
            await conn.fetchval(rollups_db.APPLY_ROLLUPS, sign, *arrays)
        assert await rollups_db.select_differences(conn, limit=10) == []
        assert await profiles_db.get_data_version(conn) == before


async def test_apply_with_nothing_written_changes_nothing(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        before = await profiles_db.get_data_version(conn)
        for sign in (1, -1):
            assert await conn.fetchval(rollups_db.APPLY_ROLLUPS, sign, [], [], [], [], []) == 0
            assert (
                await conn.fetchval(rollups_db.APPLY_ROLLUPS, sign, None, None, None, None, None)
                == 0
            )
        assert await profiles_db.get_data_version(conn) == before
