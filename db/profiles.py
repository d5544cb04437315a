"""SQL for profiles, their rollup counts and the data version.

Filters arrive as plain values: gender and country (or None), an inclusive age range that the
caller has already derived from age group and bounds, and optional probability thresholds.
Variable parts (sort column, group-by columns) are picked from fixed mappings keyed by the
names below, never taken from client text.
"""

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Final
from uuid import UUID

import asyncpg

from db.pool import Connection

PROFILE_COLUMNS: Final = (
    "id, name, gender, gender_probability, age, age_group,"
    " country_id, country_name, country_probability, created_at"
)

# The optional-filter predicate shared by every statement over `profiles`.
# $1 gender, $2 country_id, $3 min age, $4 max age, $5 min gender p, $6 min country p.
_PROFILE_FILTER: Final = """
       ($1::text is null or gender = $1)
   and ($2::text is null or country_id = $2)
   and age between $3 and $4
   and ($5::float8 is null or gender_probability >= $5)
   and ($6::float8 is null or country_probability >= $6)
"""
# The same filter over the rollup table, which has no probabilities.
_ROLLUP_FILTER: Final = """
       ($1::text is null or gender = $1)
   and ($2::text is null or country_id = $2)
   and age between $3 and $4
"""


@dataclass(frozen=True, slots=True)
class ProfileFilterValues:
    gender: str | None
    country_id: str | None
    min_age: int
    max_age: int
    min_gender_probability: float | None = None
    min_country_probability: float | None = None

    def rollup_args(self) -> tuple[Any, ...]:
        return (self.gender, self.country_id, self.min_age, self.max_age)

    def args(self) -> tuple[Any, ...]:
        return (
            *self.rollup_args(),
            self.min_gender_probability,
            self.min_country_probability,
        )


@dataclass(frozen=True, slots=True)
class SortColumn:
    """How one sort key reads in SQL: the ordered expression and the type of its cursor value."""

    expression: str
    cursor_type: str


# Nullable probabilities sort as -1 so that (value, id) row comparisons never meet a NULL.
SORT_COLUMNS: Final[dict[str, SortColumn]] = {
    "created_at": SortColumn("created_at", "timestamptz"),
    "age": SortColumn("age", "int"),
    "gender_probability": SortColumn("coalesce(gender_probability, -1)", "float8"),
    "country_probability": SortColumn("coalesce(country_probability, -1)", "float8"),
    "name": SortColumn("name", "text"),
}

GROUP_COLUMNS: Final[dict[str, str]] = {
    "gender": "gender",
    "country": "country_id",
    "age": "age",
    "age_group": (
        "case when age <= 12 then 'child' when age <= 19 then 'teenager'"
        " when age <= 59 then 'adult' else 'senior' end"
    ),
}


def _page_statement(sort_key: str, descending: bool) -> str:
    column = SORT_COLUMNS[sort_key]
    direction, comparison = ("desc", "<") if descending else ("asc", ">")
    return f"""
select {PROFILE_COLUMNS}, {column.expression} as sort_value
  from profiles
 where {_PROFILE_FILTER}
   and ($7::{column.cursor_type} is null
        or ({column.expression}, id) {comparison} ($7::{column.cursor_type}, $8::uuid))
 order by {column.expression} {direction}, id {direction}
 limit $9
"""


# Built once: ten statements, one per (sort key, direction).
_PAGE_STATEMENTS: Final = {
    (key, descending): _page_statement(key, descending)
    for key in SORT_COLUMNS
    for descending in (False, True)
}

GET_PROFILE = f"select {PROFILE_COLUMNS} from profiles where id = $1"
COUNT_PROFILES_FROM_ROLLUP = f"""
select coalesce(sum(count), 0)::bigint
  from profile_counts
 where {_ROLLUP_FILTER}
"""
COUNT_PROFILES = f"""
select count(*)
  from profiles
 where {_PROFILE_FILTER}
"""
GET_DATA_VERSION = "select version from data_version"

CREATE_STAGING_TABLE = """
create temporary table if not exists profiles_staging (
    id                  uuid,
    name                text,
    name_key            text collate "C",
    gender              text,
    gender_probability  double precision,
    age                 smallint,
    country_id          char(2),
    country_name        text,
    country_probability double precision,
    created_at          timestamptz
) on commit delete rows
"""
STAGING_COLUMNS: Final = (
    "id",
    "name",
    "name_key",
    "gender",
    "gender_probability",
    "age",
    "country_id",
    "country_name",
    "country_probability",
    "created_at",
)
# Conflicting names (already stored, or earlier in the same batch) are skipped, not errors.
INSERT_PROFILES_FROM_STAGING = """
insert into profiles (id, name, name_key, gender, gender_probability, age,
                      country_id, country_name, country_probability, created_at)
select id, name, name_key, gender, gender_probability, age,
       country_id, country_name, country_probability, created_at
  from profiles_staging
    on conflict (name_key) do nothing
"""


async def select_profiles_page(
    conn: Connection,
    filter: ProfileFilterValues,
    *,
    sort_key: str,
    descending: bool,
    after: tuple[Any, UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Up to `limit` rows after the keyset cursor `after` = (sort value, id)."""
    cursor_value, cursor_id = after if after is not None else (None, None)
    statement = _PAGE_STATEMENTS[(sort_key, descending)]
    return await conn.fetch(statement, *filter.args(), cursor_value, cursor_id, limit)


async def get_profile(conn: Connection, profile_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_PROFILE, profile_id)


async def count_profiles(conn: Connection, filter: ProfileFilterValues) -> int:
    """Exact count: from the rollup when the filter allows it, else from the rows."""
    if filter.min_gender_probability is None and filter.min_country_probability is None:
        value = await conn.fetchval(COUNT_PROFILES_FROM_ROLLUP, *filter.rollup_args())
    else:
        value = await conn.fetchval(COUNT_PROFILES, *filter.args())
    return int(value)


async def select_profile_groups(
    conn: Connection, filter: ProfileFilterValues, group_by: Sequence[str]
) -> list[asyncpg.Record]:
    """Counts per combination of `group_by` columns (keys of GROUP_COLUMNS), largest first."""
    expressions = [f"{GROUP_COLUMNS[key]} as {key}" for key in group_by]
    positions = ", ".join(str(index) for index in range(1, len(group_by) + 1))
    if filter.min_gender_probability is None and filter.min_country_probability is None:
        source, where, count, args = (
            "profile_counts",
            _ROLLUP_FILTER,
            "sum(count)",
            filter.rollup_args(),
        )
    else:
        source, where, count, args = "profiles", _PROFILE_FILTER, "count(*)", filter.args()
    statement = f"""
select {", ".join(expressions)}, {count}::bigint as count
  from {source}
 where {where}
 group by {positions}
having {count} > 0
 order by count desc, {positions}
"""
    return await conn.fetch(statement, *args)


async def get_data_version(conn: Connection) -> int:
    return int(await conn.fetchval(GET_DATA_VERSION))


async def insert_profiles(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """COPY rows (in STAGING_COLUMNS order) into staging, then insert the new names.

    Must run inside a transaction (the staging table empties on commit). Returns how many rows
    were inserted; the others had a name that already exists.
    """
    await conn.execute(CREATE_STAGING_TABLE)
    await conn.copy_records_to_table("profiles_staging", records=rows, columns=STAGING_COLUMNS)
    status = await conn.execute(INSERT_PROFILES_FROM_STAGING)
    return int(status.split()[-1])


# CSV export. Text a person typed (names, country names) that starts like a spreadsheet
# formula gets a leading apostrophe (OWASP "CSV injection"); every other column is a number,
# an enum, a code, an id or a timestamp and cannot start that way.
def _formula_safe(column: str) -> str:
    return (
        f"case when left({column}, 1) = any(array['=', '+', '-', '@', chr(9), chr(13)])"
        f" then '''' || {column} else {column} end"
    )


# No ORDER BY: rows stream in storage order from the first page PostgreSQL reads, instead of
# waiting for a sort of the whole set.
SELECT_PROFILES_FOR_EXPORT: Final = f"""
select id,
       {_formula_safe("name")} as name,
       gender,
       gender_probability,
       age,
       age_group,
       country_id,
       {_formula_safe("country_name")} as country_name,
       country_probability,
       to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at
  from profiles
 where {_PROFILE_FILTER}
"""
# A streamed export lasts as long as the client reads; the pool's 30 s default would cut it.
SET_EXPORT_STATEMENT_TIMEOUT: Final = "set local statement_timeout = '1h'"


async def copy_profiles_csv(
    conn: Connection,
    filter: ProfileFilterValues,
    output: Callable[[bytes], Coroutine[Any, Any, None]],
) -> None:
    """COPY the filtered profiles as CSV (header first) into `output`, chunk by chunk.

    Runs in its own transaction (the statement timeout is raised for it alone). asyncpg stops
    reading from the server while `output` waits, so memory stays flat. A COPY interrupted
    half-way (the reader went away) leaves the protocol mid-stream, where not even a rollback
    can be sent: the connection is closed instead and the pool opens a fresh one.
    """
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute(SET_EXPORT_STATEMENT_TIMEOUT)
        await conn.copy_from_query(
            SELECT_PROFILES_FOR_EXPORT, *filter.args(), output=output, format="csv", header=True
        )
    except BaseException:
        conn.terminate()
        raise
    await transaction.commit()
