"""The rollups of `profiles`, kept by the write path.

db/migrations/0048_rollups_kept_by_the_write_path.sql holds the functions.

Every statement that adds or removes profiles returns what it really wrote, and
`profile_rollups_apply` adds it to (or takes it from) every rollup and bumps the data version in
the same transaction. `written_then_applied` wraps a data-modifying statement so that both happen
in one statement: the caller reads back how many profiles were applied.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import asyncpg

from db.pool import Connection

# What profile_rollups_apply needs of each written row, for RETURNING.
ROLLUP_COLUMNS: Final = "country_id, gender, age, gender_probability, country_probability"
_COLUMN_NAMES: Final = tuple(name.strip() for name in ROLLUP_COLUMNS.split(","))
_APPLY_FROM_WRITTEN: Final = """
select profile_rollups_apply({sign}, array_agg(country_id), array_agg(gender), array_agg(age),
                             array_agg(gender_probability), array_agg(country_probability))
  from written
"""
APPLY_ROLLUPS: Final = (
    "select profile_rollups_apply($1, $2::bpchar[], $3::text[], $4::smallint[],"
    " $5::float8[], $6::float8[])"
)
# Every rollup row that differs from a recount of `profiles` (a stored zero equals an absent
# row): the first $1 of each rollup, with how many that rollup has in all. One snapshot; a
# full scan of profiles. A statement, not a SQL function: Citus plans no parameterised SQL
# function that reads a distributed table.
SELECT_DIFFERENCES: Final = """
select rollup, key, stored, recounted, differing
  from (select d.*,
               row_number() over (partition by rollup order by key) as position,
               count(*) over (partition by rollup) as differing
          from (
        with recount as (
            select country_id, gender, age,
                   probability_bucket(gender_probability) as gender_bucket,
                   probability_bucket(country_probability) as country_bucket,
                   count(*) as count
              from profiles
             group by 1, 2, 3, 4, 5
        )
        select 'profile_counts', concat_ws('/', coalesce(s.country_id, r.country_id),
                                           coalesce(s.gender, r.gender), coalesce(s.age, r.age)),
               coalesce(s.count, 0), coalesce(r.count, 0)
          from profile_counts s
          full join (select country_id, gender, age, sum(count) as count
                       from recount group by 1, 2, 3) r
            on (s.country_id, s.gender, s.age) = (r.country_id, r.gender, r.age)
         where coalesce(s.count, 0) <> coalesce(r.count, 0)
        union all
        select 'profile_totals',
               concat_ws('/', coalesce(s.gender, r.gender), coalesce(s.age, r.age)),
               coalesce(s.count, 0), coalesce(r.count, 0)
          from profile_totals s
          full join (select gender, age, sum(count) as count from recount group by 1, 2) r
            on (s.gender, s.age) = (r.gender, r.age)
         where coalesce(s.count, 0) <> coalesce(r.count, 0)
        union all
        select 'profile_probability_histograms',
               concat_ws('/', coalesce(s.kind, r.kind), coalesce(s.gender, r.gender),
                         coalesce(s.age, r.age), coalesce(s.bucket, r.bucket)),
               coalesce(s.count, 0), coalesce(r.count, 0)
          from (select kind, gender, age, (at - 2)::smallint as bucket, count
                  from profile_probability_histograms,
                       unnest(counts) with ordinality as u(count, at)
                 where count <> 0) s
          full join (select kind, bucket, gender, age, sum(count) as count
                       from (select 'g'::char(1) as kind, gender_bucket as bucket, gender, age,
                                    count
                               from recount
                             union all
                             select 'c', country_bucket, gender, age, count from recount) b
                      group by 1, 2, 3, 4) r
            on (s.kind, s.bucket, s.gender, s.age) = (r.kind, r.bucket, r.gender, r.age)
         where coalesce(s.count, 0) <> coalesce(r.count, 0)
        union all
        select 'profile_country_probability_histograms',
               concat_ws('/', coalesce(s.kind, r.kind), coalesce(s.country_id, r.country_id),
                         coalesce(s.gender, r.gender),
                         coalesce(s.age_group_start, r.age_group_start),
                         coalesce(s.bucket, r.bucket)),
               coalesce(s.count, 0), coalesce(r.count, 0)
          from (select kind, country_id, gender, age_group_start, (at - 2)::smallint as bucket,
                       count
                  from profile_country_probability_histograms,
                       unnest(counts) with ordinality as u(count, at)
                 where count <> 0) s
          full join (select kind, country_id, gender, age_group_start(age) as age_group_start,
                            bucket, sum(count) as count
                       from (select 'g'::char(1) as kind, country_id, gender, age,
                                    gender_bucket as bucket, count
                               from recount
                             union all
                             select 'c', country_id, gender, age, country_bucket, count
                               from recount) b
                      group by 1, 2, 3, 4, 5) r
            on (s.kind, s.country_id, s.gender, s.age_group_start, s.bucket)
             = (r.kind, r.country_id, r.gender, r.age_group_start, r.bucket)
         where coalesce(s.count, 0) <> coalesce(r.count, 0)
               ) d (rollup, key, stored, recounted)) numbered
 where position <= $1
 order by rollup, position
"""
# What the parts of SELECT_DIFFERENCES's `key` are, per rollup (kind: g gender probability,
# c country probability; bucket b: b/100 <= p < (b+1)/100, -1 for none).
KEY_SHAPES: Final = {
    "profile_counts": "country/gender/age",
    "profile_totals": "gender/age",
    "profile_probability_histograms": "kind/gender/age/bucket",
    "profile_country_probability_histograms": "kind/country/gender/age group start/bucket",
}
REBUILD: Final = "select profile_rollups_rebuild()"
# Profiles and every rollup at once (tests, benchmarks): TRUNCATE is not a write the
# rollups see, so it takes them along.
DELETE_ALL_PROFILES: Final = """
truncate profiles, profile_counts, profile_totals, profile_probability_histograms,
         profile_country_probability_histograms
"""
BUMP_DATA_VERSION: Final = "select data_version_bump()"


def written_then_applied(statement: str, *, sign: int, keep_ids_in: str | None = None) -> str:
    """`statement` (an INSERT or DELETE on profiles, without RETURNING) as one statement that
    also applies what it wrote to the rollups, and answers how many profiles that was. With
    `keep_ids_in`, the ids written also go into that table (a temporary one of the caller's)."""
    if sign not in (1, -1):
        raise ValueError("sign must be 1 or -1")
    # `keep_ids_in` is a table name from a module constant of the caller, never input.
    kept = (
        f", kept as (insert into {keep_ids_in} (id) select id from written)\n"  # noqa: S608
        if keep_ids_in
        else "\n"
    )
    return (
        f"with written as ({statement.strip()}\nreturning id, {ROLLUP_COLUMNS}){kept}"
        + _APPLY_FROM_WRITTEN.format(sign=sign).lstrip("\n")
    )


@dataclass(frozen=True, slots=True)
class RollupDifference:
    rollup: str
    key: str
    stored: int
    recounted: int
    differing: int  # rows of this rollup that differ, shown or not


async def apply_rollups(conn: Connection, sign: int, rows: Sequence[asyncpg.Record]) -> int:
    """Add (sign 1) or remove (sign -1) rows holding ROLLUP_COLUMNS; inside their write's
    transaction. Returns how many were applied."""
    columns: list[list[Any]] = [[] for _ in range(5)]
    for row in rows:
        for values, name in zip(columns, _COLUMN_NAMES, strict=True):
            values.append(row[name])
    return int(await conn.fetchval(APPLY_ROLLUPS, sign, *columns))


async def select_differences(conn: Connection, *, limit: int) -> list[RollupDifference]:
    """Up to `limit` rows per rollup that differ from a recount (a full scan of profiles)."""
    return [
        RollupDifference(
            row["rollup"], row["key"], row["stored"], row["recounted"], row["differing"]
        )
        for row in await conn.fetch(SELECT_DIFFERENCES, limit)
    ]


async def rebuild(conn: Connection) -> int:
    """Recount every rollup; writers wait meanwhile. Returns the number of profiles."""
    return int(await conn.fetchval(REBUILD))


async def delete_all_profiles(conn: Connection) -> None:
    await conn.execute(DELETE_ALL_PROFILES)
    await bump_data_version(conn)


async def bump_data_version(conn: Connection) -> None:
    await conn.execute(BUMP_DATA_VERSION)
