"""`apply_migrations` on a Citus coordinator with workers lays out the tables (db/citus.py):
profiles distributed by name_key, the rollups and data_version as reference tables, the rest
local; a second run changes nothing; a single-node database moves onto Citus with its rows."""

import shutil
import uuid
from pathlib import Path

import asyncpg
import pytest

from db import citus
from db import profiles as profiles_db
from db import rollups as rollups_db
from db.migrations import apply_migrations, available_migrations
from db.pool import create_pool
from services.ingestion.runner import BATCH_ROWS, CITUS_BATCH_ROWS, default_batch_rows
from services.profiles.seed import seed_demo_profiles
from tests.citus.cluster import CitusServers, create_database, drop_database, form_cluster
from tests.databases import with_database

pytestmark = pytest.mark.citus


async def test_profiles_are_distributed_and_the_rollups_are_reference_tables(
    database_dsn: str,
) -> None:
    conn = await asyncpg.connect(database_dsn)
    try:
        tables = {
            row["table_name"]: (row["citus_table_type"], row["distribution_column"])
            for row in await conn.fetch(
                "select table_name::text, citus_table_type, distribution_column from citus_tables"
            )
        }
        primary_key = await conn.fetchval(
            "select pg_get_constraintdef(oid) from pg_constraint"
            " where conrelid = 'profiles'::regclass and contype = 'p'"
        )
        shards = await conn.fetchval(
            "select count(*) from pg_dist_shard where logicalrelid = 'profiles'::regclass"
        )
        assert await citus.is_distributed(conn)
        assert not await citus.lay_out(conn)  # already laid out
        assert await apply_migrations(conn) == []
    finally:
        await conn.close()
    assert tables == {
        "profiles": ("distributed", "name_key"),
        **{name: ("reference", "<none>") for name in citus.REFERENCE_TABLES},
    }
    assert primary_key == "PRIMARY KEY (name_key, id)"
    assert shards == 4


async def test_a_rollup_added_after_the_layout_becomes_a_reference_table_with_its_rows(
    database_dsn: str,
) -> None:
    """A database laid out before a migration added a rollup: the next run makes it a
    reference table too (as migration 0049's histograms on a cluster laid out at 0048)."""
    table = "profile_probability_histograms"
    kind_of = "select citus_table_type from citus_tables where table_name = $1::regclass"
    conn = await asyncpg.connect(database_dsn)
    try:
        await conn.execute(
            "insert into profile_probability_histograms (kind, gender, age, counts)"
            " values ('g', 'female', 149, array_fill(1::bigint, array[102]))"
        )
        await conn.execute("select undistribute_table($1::regclass)", table)
        assert await conn.fetchval(kind_of, table) is None
        assert not await citus.lay_out(conn)  # laid out already: profiles are left alone
        assert await conn.fetchval(kind_of, table) == "reference"
        stored = await conn.fetchval(
            "select counts from profile_probability_histograms where age = 149"
        )
        assert stored == [1] * 102
    finally:
        await conn.execute("delete from profile_probability_histograms where age = 149")
        await conn.close()


async def test_a_single_node_database_moves_onto_citus_with_its_profiles(
    citus_nodes: CitusServers, database_dsn: str
) -> None:
    """As docs/operations.md says: a database made without Citus, with its profiles, becomes
    distributed when the extension and the workers are added and `insighta migrate` runs."""
    name = f"moved_{uuid.uuid4().hex[:8]}"
    nodes = (citus_nodes.coordinator, *citus_nodes.workers)
    await create_database(nodes, name)
    dsn = with_database(citus_nodes.coordinator.dsn, name)
    try:
        pool = await create_pool(dsn, max_size=2)
        try:
            async with pool.acquire() as conn:
                await apply_migrations(conn)  # no citus extension in this database yet
                assert not await citus.is_distributed(conn)
            seeded = await seed_demo_profiles(pool)
            async with pool.acquire() as conn:
                before = await conn.fetch("select * from profile_counts order by 1, 2, 3")
                women = profiles_db.ProfileFilterValues("female", "NG", 20, 45)
                nigerian_women = await profiles_db.count_profiles(conn, women)
        finally:
            await pool.close()

        await form_cluster(citus_nodes, database=name)
        pool = await create_pool(dsn, max_size=2)
        try:
            async with pool.acquire() as conn:
                assert await apply_migrations(conn) == []
                assert await citus.is_distributed(conn)
                shards = await conn.fetchval(
                    "select count(distinct nodeport) from pg_dist_shard_placement p"
                    " join pg_dist_shard s using (shardid)"
                    " where s.logicalrelid = 'profiles'::regclass"
                )
                assert shards == 2  # the rows live on both workers
                assert await conn.fetchval("select count(*) from profiles") == seeded.total
                assert await conn.fetch("select * from profile_counts order by 1, 2, 3") == before
                assert await profiles_db.count_profiles(conn, women) == nigerian_women
                assert await rollups_db.select_differences(conn, limit=5) == []
                # The write path goes on: a delete takes the row out of every rollup.
                some = await conn.fetchval("select id from profiles limit 1")
                assert await profiles_db.delete_profile(conn, some)
                assert await rollups_db.select_differences(conn, limit=5) == []
        finally:
            await pool.close()
    finally:
        await drop_database(nodes, name)


async def test_a_cluster_laid_out_before_the_array_histograms_migrates_with_its_counts(
    citus_nodes: CitusServers, tmp_path: Path
) -> None:
    """A database laid out on Citus at migration 0048, with profiles, applies 0049: the
    histograms are converted from the old reference tables, become reference tables
    themselves, and agree with a recount; writes go on through the new function."""
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for migration in available_migrations():
        if migration.version < "0049":
            shutil.copy(migration.path, earlier / migration.path.name)
    name = f"upgraded_{uuid.uuid4().hex[:8]}"
    nodes = (citus_nodes.coordinator, *citus_nodes.workers)
    await create_database(nodes, name)
    dsn = with_database(citus_nodes.coordinator.dsn, name)
    try:
        await form_cluster(citus_nodes, database=name)
        pool = await create_pool(dsn, max_size=2)
        try:
            async with pool.acquire() as conn:
                await apply_migrations(conn, earlier)
                assert await citus.is_distributed(conn)
                # As the layout of that time did: its histograms were reference tables.
                for table in ("profile_probability_counts", "profile_country_probability_counts"):
                    await conn.execute("select create_reference_table($1::regclass)", table)
                    await conn.execute(
                        "select truncate_local_data_after_distributing_table($1::regclass)", table
                    )
            seeded = await seed_demo_profiles(pool)
            threshold = profiles_db.ProfileFilterValues("female", "NG", 0, 150, 0.5)
            async with pool.acquire() as conn:
                expected = await conn.fetchval(
                    "select count(*) from profiles"
                    " where gender = 'female' and country_id = 'NG' and gender_probability >= 0.5"
                )
                assert await apply_migrations(conn) == [
                    "0049_probability_histograms",
                    "0050_profile_counts_fillfactor",
                    "0051_histogram_add",
                    "0052_histograms_in_one_statement",
                ]
                # What the rollups' writes call on the workers' copies of the tables.
                distributed = {
                    row["function"]
                    for row in await conn.fetch(
                        "select objid::regprocedure::text as function from pg_dist_object"
                        " where classid = 'pg_proc'::regclass"
                    )
                }
                assert {
                    "probability_bucket(double precision)",
                    "age_group_start(smallint)",
                    "histogram_add(bigint[],smallint[],bigint[])",
                } <= distributed
                kinds = {
                    row["table_name"]: row["citus_table_type"]
                    for row in await conn.fetch(
                        "select table_name::text, citus_table_type from citus_tables"
                        " where table_name::text like 'profile%histograms'"
                    )
                }
                assert kinds == {
                    "profile_probability_histograms": "reference",
                    "profile_country_probability_histograms": "reference",
                }
                assert threshold.count_source == "gender_probability_buckets_by_country"
                assert await profiles_db.count_profiles(conn, threshold) == expected
                assert await rollups_db.select_differences(conn, limit=5) == []
                some = await conn.fetchval("select id from profiles limit 1")
                assert await profiles_db.delete_profile(conn, some)
                assert await rollups_db.select_differences(conn, limit=5) == []
                assert await conn.fetchval("select count(*) from profiles") == seeded.total - 1
        finally:
            await pool.close()
    finally:
        await drop_database(nodes, name)


async def test_ingestion_batches_are_bigger_on_citus_unless_set(
    citus_nodes: CitusServers, database_dsn: str
) -> None:
    """INGESTION_BATCH_ROWS unset: 150,000-row batches on the cluster's laid-out database,
    50,000 on a database of the same server that is not laid out."""
    conn = await asyncpg.connect(database_dsn)
    try:
        assert await default_batch_rows(conn) == CITUS_BATCH_ROWS
    finally:
        await conn.close()
    name = f"plain_{uuid.uuid4().hex[:8]}"
    await create_database((citus_nodes.coordinator,), name)
    try:
        conn = await asyncpg.connect(with_database(citus_nodes.coordinator.dsn, name))
        try:
            await apply_migrations(conn)
            assert await default_batch_rows(conn) == BATCH_ROWS
        finally:
            await conn.close()
    finally:
        await drop_database((citus_nodes.coordinator,), name)
