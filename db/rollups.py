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
# The first $1 differences of each rollup, with how many that rollup has in all.
SELECT_DIFFERENCES: Final = """
select rollup, key, stored, recounted, differing
  from (select d.*,
               row_number() over (partition by rollup order by key) as position,
               count(*) over (partition by rollup) as differing
          from profile_rollups_differences() d) numbered
 where position <= $1
 order by rollup, position
"""
REBUILD: Final = "select profile_rollups_rebuild()"
# Profiles and every rollup at once (tests, benchmarks): TRUNCATE is not a write the
# rollups see, so it takes them along.
DELETE_ALL_PROFILES: Final = """
truncate profiles, profile_counts, profile_totals, profile_probability_counts,
         profile_country_probability_counts
"""
BUMP_DATA_VERSION: Final = "select data_version_bump()"


def written_then_applied(statement: str, *, sign: int) -> str:
    """`statement` (an INSERT or DELETE on profiles, without RETURNING) as one statement that
    also applies what it wrote to the rollups, and answers how many profiles that was."""
    if sign not in (1, -1):
        raise ValueError("sign must be 1 or -1")
    return (
        f"with written as ({statement.strip()}\nreturning {ROLLUP_COLUMNS})"
        + _APPLY_FROM_WRITTEN.format(sign=sign)
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
    await conn.execute(BUMP_DATA_VERSION)


async def bump_data_version(conn: Connection) -> None:
    await conn.execute(BUMP_DATA_VERSION)
