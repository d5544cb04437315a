"""The raw-SQL baseline: the same page and an exact COUNT(*), written by hand for each case and
run through asyncpg, with no server, no GraphQL and no rollup. It uses the same indexes, so the
comparison isolates what the API adds (HTTP, GraphQL, Python) and what the rollup saves."""

from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.workload import Case
from db.profiles import PROFILE_COLUMNS, SORT_COLUMNS, ProfileFilterValues
from services.profiles.age_groups import MAX_AGE, MIN_AGE


@dataclass(frozen=True)
class BaselineQuery:
    page_sql: str
    count_sql: str
    page_args: tuple[Any, ...]
    count_args: tuple[Any, ...]


def baseline_query(case: Case, cursor: tuple[Any, Any] | None) -> BaselineQuery:
    """Only the conditions the case has, as a developer would write them by hand."""
    conditions, args = _conditions(case.filter_values())
    column = SORT_COLUMNS[case.sort.field.value]
    descending = case.sort.order.value == "desc"
    direction, comparison = ("desc", "<") if descending else ("asc", ">")
    page_conditions = list(conditions)
    page_args = list(args)
    if cursor is not None:
        n = len(page_args)
        page_conditions.append(
            f"({column.expression}, id) {comparison} (${n + 1}::{column.cursor_type}, ${n + 2})"
        )
        page_args += [cursor[0], cursor[1]]
    page_sql = (
        f"select {PROFILE_COLUMNS} from profiles {_where(page_conditions)}"
        f" order by {column.expression} {direction}, id {direction}"
        f" limit {case.first + 1}"
    )
    count_sql = f"select count(*) from profiles {_where(conditions)}"
    return BaselineQuery(page_sql, count_sql, tuple(page_args), tuple(args))


async def run_baseline(conn: asyncpg.Connection, query: BaselineQuery) -> int:
    await conn.fetch(query.page_sql, *query.page_args)
    return int(await conn.fetchval(query.count_sql, *query.count_args))


def _conditions(values: ProfileFilterValues) -> tuple[list[str], list[Any]]:
    conditions: list[str] = []
    args: list[Any] = []

    def add(template: str, value: Any) -> None:
        args.append(value)
        conditions.append(template.format(f"${len(args)}"))

    if values.gender is not None:
        add("gender = {}", values.gender)
    if values.country_id is not None:
        add("country_id = {}::bpchar", values.country_id)
    if values.min_age > MIN_AGE:
        add("age >= {}", values.min_age)
    if values.max_age < MAX_AGE:
        add("age <= {}", values.max_age)
    if values.min_gender_probability is not None:
        add("coalesce(gender_probability, -1) >= {}", values.min_gender_probability)
    if values.min_country_probability is not None:
        add("coalesce(country_probability, -1) >= {}", values.min_country_probability)
    return conditions, args


def _where(conditions: list[str]) -> str:
    return "where " + " and ".join(conditions) if conditions else ""


async def deep_cursor(conn: asyncpg.Connection, case: Case) -> tuple[Any, Any] | None:
    """(sort value, id) of the last row before the case's page: found once, with OFFSET."""
    if case.page == 0:
        return None
    conditions, args = _conditions(case.filter_values())
    column = SORT_COLUMNS[case.sort.field.value]
    direction = "desc" if case.sort.order.value == "desc" else "asc"
    row = await conn.fetchrow(
        f"select {column.expression} as value, id from profiles {_where(conditions)}"
        f" order by {column.expression} {direction}, id {direction}"
        f" offset {case.page * case.first - 1} limit 1",
        *args,
    )
    return None if row is None else (row["value"], row["id"])
