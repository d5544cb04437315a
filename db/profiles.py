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

from db import rollups
from db.pool import Connection
from db.rollups import written_then_applied

PROFILE_COLUMNS: Final = (
    "id, name, gender, gender_probability, age, age_group,"
    " country_id, country_name, country_probability, created_at, sample_size"
)

# The optional-filter predicate shared by every statement over `profiles`.
# $1 gender, $2 country_id, $3 min age, $4 max age, $5 min gender p, $6 min country p.
# Measured at 1M rows (docs/performance.md), two details decide the plans:
# - country_id is char(2): a text parameter casts the column to text and no index on it is
#   usable (a rare country walked a whole sort index, 10 ms); bpchar keeps the index.
# - thresholds are written on the same coalesce(...) expressions the sort indexes hold, so an
#   index range starts at the threshold (a probability sort with a threshold scanned from the
#   bottom: 565-1081 ms). For thresholds in 0..1 a NULL (-1) fails either way: same rows.
_PROFILE_FILTER: Final = """
       ($1::text is null or gender = $1)
   and ($2::bpchar is null or country_id = $2::bpchar)
   and age between $3 and $4
   and ($5::float8 is null or coalesce(gender_probability, -1) >= $5)
   and ($6::float8 is null or coalesce(country_probability, -1) >= $6)
"""
# The same filter over the rollup table, which has no probabilities.
_ROLLUP_FILTER: Final = """
       ($1::text is null or gender = $1)
   and ($2::bpchar is null or country_id = $2::bpchar)
   and age between $3 and $4
"""
# And over the totals by (gender, age) (0007), for filters without a country ($2 is null).
_TOTALS_FILTER: Final = """
       ($1::text is null or gender = $1)
   and $2::bpchar is null
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

    @property
    def counts_from_rollup(self) -> bool:
        """The rollup has no probabilities: thresholds must count rows."""
        return self.min_gender_probability is None and self.min_country_probability is None

    @property
    def count_source(self) -> str:
        """Which table answers the exact count (a key of the count statements)."""
        if self.counts_from_rollup:
            return "totals" if self.country_id is None else "rollup"
        gender_p, country_p = self.min_gender_probability, self.min_country_probability
        if self.country_id is None:
            by_country = ""
        elif _is_whole_age_groups(self.min_age, self.max_age):
            by_country = "_by_country"
        else:
            return "rows"
        if country_p is None and _is_whole_percentage(gender_p):
            return f"gender_probability_buckets{by_country}"
        if gender_p is None and _is_whole_percentage(country_p):
            return f"country_probability_buckets{by_country}"
        return "rows"

    def rollup_args(self) -> tuple[Any, ...]:
        return (self.gender, self.country_id, self.min_age, self.max_age)

    def args(self) -> tuple[Any, ...]:
        return (
            *self.rollup_args(),
            self.min_gender_probability,
            self.min_country_probability,
        )


def _is_whole_percentage(threshold: float | None) -> bool:
    """True for 0.9, 0.95, 1.0 (b/100 as a float8 equals it); False for 0.925 or None."""
    return threshold is not None and round(threshold * 100) / 100 == threshold


# The youngest age of each age group (0001's age_group, 0046's age_group_start) and the oldest
# age stored.
_AGE_GROUP_STARTS: Final = frozenset({0, 13, 20, 60})
_OLDEST_AGE: Final = 150


def _is_whole_age_groups(min_age: int, max_age: int) -> bool:
    """True when the ages min_age..max_age are whole age groups: 0..150, 20..59, 13..150
    (bounds on group edges), which the histogram by country keys by group; False for 20..45."""
    return min_age in _AGE_GROUP_STARTS and (
        max_age >= _OLDEST_AGE or max_age + 1 in _AGE_GROUP_STARTS
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


# Exact totals, from the smallest table that can answer: totals by (gender, age) without a
# country, the rollup by (country, gender, age) with one, a probability histogram for one
# whole-percentage threshold, the rows for any other threshold.
_TOTAL_FROM_TOTALS: Final = f"""
select coalesce(sum(count), 0)::bigint
  from profile_totals
 where {_TOTALS_FILTER}
"""
_TOTAL_FROM_ROLLUP: Final = f"""
select coalesce(sum(count), 0)::bigint
  from profile_counts
 where {_ROLLUP_FILTER}
"""
# One threshold that is a whole percentage ($5 or $6 = b/100), no country: the histogram
# (0049; counts[b + 2] is bucket b). round(t * 100) is b exactly for such t (count_source
# checks it in Python).
_TOTAL_FROM_GENDER_PROBABILITY_BUCKETS: Final = f"""
select coalesce(sum(c), 0)::bigint
  from profile_probability_histograms
 cross join unnest(counts[round($5::float8 * 100)::int + 2:]) as c
 where kind = 'g'
   and $6::float8 is null
   and {_TOTALS_FILTER}
"""
_TOTAL_FROM_COUNTRY_PROBABILITY_BUCKETS: Final = f"""
select coalesce(sum(c), 0)::bigint
  from profile_probability_histograms
 cross join unnest(counts[round($6::float8 * 100)::int + 2:]) as c
 where kind = 'c'
   and $5::float8 is null
   and {_TOTALS_FILTER}
"""
# The same with a country and whole age groups: the histogram by country (0049). Ages $3..$4
# on group edges (count_source checks it) select exactly the groups that start inside them.
_BY_COUNTRY_FILTER: Final = """
       ($1::text is null or gender = $1)
   and country_id = $2::bpchar
   and age_group_start between $3 and $4
"""
_TOTAL_FROM_GENDER_PROBABILITY_BUCKETS_BY_COUNTRY: Final = f"""
select coalesce(sum(c), 0)::bigint
  from profile_country_probability_histograms
 cross join unnest(counts[round($5::float8 * 100)::int + 2:]) as c
 where kind = 'g'
   and $6::float8 is null
   and {_BY_COUNTRY_FILTER}
"""
_TOTAL_FROM_COUNTRY_PROBABILITY_BUCKETS_BY_COUNTRY: Final = f"""
select coalesce(sum(c), 0)::bigint
  from profile_country_probability_histograms
 cross join unnest(counts[round($6::float8 * 100)::int + 2:]) as c
 where kind = 'c'
   and $5::float8 is null
   and {_BY_COUNTRY_FILTER}
"""
_TOTAL_FROM_ROWS: Final = f"""
select count(*)
  from profiles
 where {_PROFILE_FILTER}
"""


def _page_statement(sort_key: str, descending: bool, total: str) -> str:
    """One page and, on every row, the exact total for the whole filter.

    One statement rather than two: one round trip, and page and total read one snapshot, so a
    concurrent write cannot make them disagree. The total is an uncorrelated scalar subquery
    (an InitPlan, run once). Every sort has an index on (sort expression, id), which the keyset
    condition and ORDER BY walk, so page 1000 costs what page 1 does.
    """
    column = SORT_COLUMNS[sort_key]
    direction, comparison = ("desc", "<") if descending else ("asc", ">")
    return f"""
select {PROFILE_COLUMNS}, {column.expression} as sort_value,
       ({total}) as total_count
  from profiles
 where {_PROFILE_FILTER}
   and ($7::{column.cursor_type} is null
        or ({column.expression}, id) {comparison} ($7::{column.cursor_type}, $8::uuid))
 order by {column.expression} {direction}, id {direction}
 limit $9
"""


_COUNT_STATEMENTS: Final = {
    "totals": _TOTAL_FROM_TOTALS,
    "rollup": _TOTAL_FROM_ROLLUP,
    "gender_probability_buckets": _TOTAL_FROM_GENDER_PROBABILITY_BUCKETS,
    "country_probability_buckets": _TOTAL_FROM_COUNTRY_PROBABILITY_BUCKETS,
    "gender_probability_buckets_by_country": _TOTAL_FROM_GENDER_PROBABILITY_BUCKETS_BY_COUNTRY,
    "country_probability_buckets_by_country": _TOTAL_FROM_COUNTRY_PROBABILITY_BUCKETS_BY_COUNTRY,
    "rows": _TOTAL_FROM_ROWS,
}
# Built once: seventy statements, one per (sort key, direction, where the total comes from).
_PAGE_STATEMENTS: Final = {
    (key, descending, source): _page_statement(key, descending, total)
    for key in SORT_COLUMNS
    for descending in (False, True)
    for source, total in _COUNT_STATEMENTS.items()
}


def page_statement(sort_key: str, descending: bool, count_source: str) -> str:
    """The page statement with its total from `count_source` (a key of the count statements,
    as `ProfileFilterValues.count_source` gives): the bench times one source against another."""
    return _PAGE_STATEMENTS[(sort_key, descending, count_source)]


GET_PROFILE = f"select {PROFILE_COLUMNS} from profiles where id = $1"
COUNT_PROFILES_FROM_ROLLUP: Final = _TOTAL_FROM_ROLLUP
COUNT_PROFILES: Final = _TOTAL_FROM_ROWS
GET_DATA_VERSION = "select version from data_version"
# What cache keys carry: the database's epoch (0007) and its version, e.g. "1f0c...:42".
GET_DATA_VERSION_TOKEN: Final = "select epoch::text || ':' || version from data_version"

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
# Answers how many profiles went in (and into the rollups).
INSERT_PROFILES_FROM_STAGING: Final = written_then_applied(
    """
insert into profiles (id, name, name_key, gender, gender_probability, age,
                      country_id, country_name, country_probability, created_at)
select id, name, name_key, gender, gender_probability, age,
       country_id, country_name, country_probability, created_at
  from profiles_staging
    on conflict (name_key) do nothing
""",
    sign=1,
)


@dataclass(frozen=True, slots=True)
class ProfileRows:
    """A page of rows and the exact number of rows the whole filter matches."""

    rows: list[asyncpg.Record]
    total: int


async def select_profiles_page(
    conn: Connection,
    filter: ProfileFilterValues,
    *,
    sort_key: str,
    descending: bool,
    after: tuple[Any, UUID] | None,
    limit: int,
) -> ProfileRows:
    """Up to `limit` rows after the keyset cursor `after` = (sort value, id), and the total.

    One statement. Only an empty page after a cursor needs a second one for the total (an
    empty first page means nothing matches: the total is 0).
    """
    cursor_value, cursor_id = after if after is not None else (None, None)
    statement = _PAGE_STATEMENTS[(sort_key, descending, filter.count_source)]
    rows = await conn.fetch(statement, *filter.args(), cursor_value, cursor_id, limit)
    if rows:
        return ProfileRows(rows, int(rows[0]["total_count"]))
    return ProfileRows(rows, 0 if after is None else await count_profiles(conn, filter))


async def get_profile(conn: Connection, profile_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_PROFILE, profile_id)


SELECT_PROFILES_BY_NAME_KEYS: Final = f"""
select {PROFILE_COLUMNS}, name_key
  from profiles
 where name_key = any($1::text[])
"""
# Profiles made from names (services/profiles/creation.py): one statement for the whole batch,
# then one rollup update (db/rollups.py), which bumps the data version once.
# A name stored meanwhile by someone else is skipped here and read back by the caller.
INSERT_PROFILES_RETURNING: Final = f"""
insert into profiles (name, name_key, gender, gender_probability, age, country_id,
                      country_name, country_probability, sample_size)
select *
  from unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::smallint[],
              $6::bpchar[], $7::text[], $8::float8[], $9::int[])
    on conflict (name_key) do nothing
returning {PROFILE_COLUMNS}, name_key
"""
# Takes the row out of every rollup and bumps the data version in the same statement.
DELETE_PROFILE: Final = written_then_applied("delete from profiles where id = $1", sign=-1)


@dataclass(frozen=True, slots=True)
class NewProfileRow:
    name: str
    name_key: str
    gender: str
    gender_probability: float | None
    age: int
    country_id: str
    country_name: str
    country_probability: float | None
    sample_size: int | None


async def select_profiles_by_name_keys(
    conn: Connection, name_keys: Sequence[str]
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PROFILES_BY_NAME_KEYS, list(name_keys))


async def insert_profiles_returning(
    conn: Connection, rows: Sequence[NewProfileRow]
) -> list[asyncpg.Record]:
    """Insert the rows whose name is new; returns those inserted (with `name_key`)."""
    columns = (
        [row.name for row in rows],
        [row.name_key for row in rows],
        [row.gender for row in rows],
        [row.gender_probability for row in rows],
        [row.age for row in rows],
        [row.country_id for row in rows],
        [row.country_name for row in rows],
        [row.country_probability for row in rows],
        [row.sample_size for row in rows],
    )
    async with conn.transaction():
        inserted = await conn.fetch(INSERT_PROFILES_RETURNING, *columns)
        await rollups.apply_rollups(conn, 1, inserted)
    return inserted


async def delete_profile(conn: Connection, profile_id: UUID) -> bool:
    """True when a profile was deleted, False when there was none with that id."""
    return bool(await conn.fetchval(DELETE_PROFILE, profile_id))


async def count_profiles(conn: Connection, filter: ProfileFilterValues) -> int:
    """Exact count: from the totals or the rollup when the filter allows it, else the rows."""
    source = filter.count_source
    args = filter.rollup_args() if filter.counts_from_rollup else filter.args()
    return int(await conn.fetchval(_COUNT_STATEMENTS[source], *args))


async def select_profile_groups(
    conn: Connection, filter: ProfileFilterValues, group_by: Sequence[str]
) -> list[asyncpg.Record]:
    """Counts per combination of `group_by` columns (keys of GROUP_COLUMNS), largest first."""
    expressions = [f"{GROUP_COLUMNS[key]} as {key}" for key in group_by]
    positions = ", ".join(str(index) for index in range(1, len(group_by) + 1))
    if filter.count_source == "totals" and "country" not in group_by:
        source, where, count, args = (
            "profile_totals",
            _TOTALS_FILTER,
            "sum(count)",
            filter.rollup_args(),
        )
    elif filter.counts_from_rollup:
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


async def get_data_version_token(conn: Connection) -> str:
    return str(await conn.fetchval(GET_DATA_VERSION_TOKEN))


async def insert_profiles(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> int:
    """COPY rows (in STAGING_COLUMNS order) into staging, then insert the new names.

    Must run inside a transaction (the staging table empties on commit). Returns how many rows
    were inserted; the others had a name that already exists.
    """
    await conn.execute(CREATE_STAGING_TABLE)
    await conn.copy_records_to_table("profiles_staging", records=rows, columns=STAGING_COLUMNS)
    return int(await conn.fetchval(INSERT_PROFILES_FROM_STAGING))


# CSV export. Text a person typed (names, country names) that could run as a spreadsheet
# formula gets a leading apostrophe (OWASP "CSV injection"); every other column is a number,
# an enum, a code, an id or a timestamp and cannot start that way. $7 is the caller's
# formula pattern (services/platform/csv_formulas.py), so that every CSV export follows one rule.
def _formula_safe(column: str) -> str:
    return f"case when {column} ~ $7 then '''' || {column} else {column} end"


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
    *,
    formula_pattern: str,
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
            SELECT_PROFILES_FOR_EXPORT,
            *filter.args(),
            formula_pattern,
            output=output,
            format="csv",
            header=True,
        )
    except BaseException:
        conn.terminate()
        raise
    await transaction.commit()
