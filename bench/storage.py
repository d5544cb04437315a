"""What a dataset occupies on disk: the profiles heap, each of its indexes, the read rollups.

Measured right after the dataset is built or reused, before the index-cost measurement (its
rolled-back inserts leave space that VACUUM frees for reuse but does not hand back)."""

from typing import Any, Final

from db.pool import Connection

# The rollups the read path counts from: their size follows the number of distinct
# (country, gender, age) and probability buckets, not the number of profiles.
ROLLUPS: Final = (
    "profile_counts",
    "profile_totals",
    "profile_probability_histograms",
    "profile_country_probability_histograms",
)

_PROFILES = """
select pg_relation_size('profiles') as heap_main,
       pg_table_size('profiles') as heap,
       pg_indexes_size('profiles') as indexes,
       pg_total_relation_size('profiles') as total,
       pg_database_size(current_database()) as database,
       (select n_dead_tup from pg_stat_user_tables where relname = 'profiles') as dead_rows
"""

_INDEXES = """
select c.relname as name, pg_relation_size(c.oid) as bytes
  from pg_index i join pg_class c on c.oid = i.indexrelid
 where i.indrelid = 'profiles'::regclass
 order by c.relname
"""


async def measure_storage(conn: Connection, profiles: int) -> dict[str, Any]:
    sizes = dict(await conn.fetchrow(_PROFILES) or {})
    indexes = [dict(row) for row in await conn.fetch(_INDEXES)]
    rollups = []
    for table in ROLLUPS:
        rows = await conn.fetchval(f"select count(*) from {table}")
        size = await conn.fetchval("select pg_total_relation_size($1::regclass)", table)
        rollups.append({"table": table, "rows": rows, "bytes": size})
    return {
        "profiles": profiles,
        **sizes,
        "index_sizes": indexes,
        "rollups": rollups,
        "per_profile": {
            "heap": sizes["heap"] / profiles,
            "indexes": sizes["indexes"] / profiles,
            "total": sizes["total"] / profiles,
            **{index["name"]: index["bytes"] / profiles for index in indexes},
        },
    }
