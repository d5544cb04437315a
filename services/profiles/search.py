"""Profile reads: filtered keyset pages with exact totals, single profiles, breakdowns."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import asyncpg

from db import profiles as profiles_db
from db.pool import Connection, run_read
from services.errors import ErrorCode, ServiceError, bad_input
from services.pagination import Cursor, PageRequest, encode_position
from services.platform.cache import ResultCache
from services.profiles.age_groups import MAX_AGE, MIN_AGE
from services.profiles.enums import AgeGroup, Gender, ProfileDimension, ProfileSortField, SortOrder
from services.profiles.filters import CanonicalFilter, FilterSpec, combine, normalize
from services.profiles.language import interpret_and_normalize
from services.profiles.profile import Profile
from services.profiles.result_codecs import GROUPS_CODEC, PAGE_CODEC
from services.profiles.results import ProfileEdge, ProfileGroup, ProfilePage


@dataclass(frozen=True, slots=True)
class ProfileSort:
    field: ProfileSortField = ProfileSortField.CREATED_AT
    order: SortOrder = SortOrder.DESC

    @property
    def name(self) -> str:
        return f"{self.field.name}:{self.order.name}"


DEFAULT_SORT: Final = ProfileSort()
DEFAULT_PAGE_SIZE: Final = 20
DEFAULT_PAGE: Final = PageRequest(first=DEFAULT_PAGE_SIZE, after=None, after_text=None)


@dataclass(frozen=True, slots=True)
class ProfileSearch:
    filter: FilterSpec | None = None
    text: str | None = None
    sort: ProfileSort = DEFAULT_SORT
    page: PageRequest = DEFAULT_PAGE


def resolve_filter(spec: FilterSpec | None, text: str | None) -> CanonicalFilter:
    """The one canonical filter for a structured filter and/or a plain-English query."""
    return _resolve(spec, text)[0]


def _resolve(spec: FilterSpec | None, text: str | None) -> tuple[CanonicalFilter, tuple[str, ...]]:
    """`resolve_filter` and the words of `text` that carried no meaning."""
    if text is None:
        return normalize(spec or FilterSpec()), ()
    interpretation, from_text = interpret_and_normalize(text)
    canonical = from_text if spec is None else combine(spec, from_text)
    return canonical, interpretation.unmatched


def cache_key(canonical: CanonicalFilter, sort: ProfileSort, page: PageRequest) -> str:
    """Stable text of filter, sort and page: equal meaning gives an equal key."""
    return (
        f"{canonical.describe()}|sort={sort.name}|first={page.first}|after={page.after_text or ''}"
    )


async def search_profiles(
    pool: asyncpg.Pool,
    search: ProfileSearch,
    *,
    cache: ResultCache | None = None,
    version: str | None = None,
) -> ProfilePage:
    """One page and its exact total; from `cache` when it holds this page at the current data
    version (`pool`'s, when the caller read it: `version`). Bad input fails before any lookup."""
    canonical, unmatched = _resolve(search.filter, search.text)
    after = _cursor_position(search.page.after, search.sort)
    key = cache_key(canonical, search.sort, search.page)

    async def read_page() -> ProfilePage:
        return await _read_page(pool, search, canonical, after, key)

    if cache is None:
        page = await read_page()
    else:
        page = await cache.get_or_compute(f"page:{key}", read_page, PAGE_CODEC, version=version)
    return replace(page, unmatched=unmatched)


async def _read_page(
    pool: asyncpg.Pool,
    search: ProfileSearch,
    canonical: CanonicalFilter,
    after: tuple[Any, UUID] | None,
    key: str,
) -> ProfilePage:
    found = await run_read(
        pool,
        lambda conn: profiles_db.select_profiles_page(
            conn,
            _filter_values(canonical),
            sort_key=search.sort.field.value,
            descending=search.sort.order is SortOrder.DESC,
            after=after,
            limit=search.page.first + 1,
        ),
    )
    first, sort_name = search.page.first, search.sort.name
    edges = [
        ProfileEdge(encode_position(sort_name, row["sort_value"], row["id"]), profile_from_row(row))
        for row in found.rows[:first]
    ]
    return ProfilePage(
        edges=edges,
        has_next_page=len(found.rows) > first,
        has_previous_page=search.page.after is not None,
        total_count=found.total,
        filter=canonical,
        cache_key=key,
    )


async def get_profile(pool: asyncpg.Pool, profile_id: UUID) -> Profile | None:
    row = await run_read(pool, lambda conn: profiles_db.get_profile(conn, profile_id))
    return profile_from_row(row) if row is not None else None


async def profile_stats(
    pool: asyncpg.Pool,
    spec: FilterSpec | None,
    text: str | None,
    group_by: Sequence[ProfileDimension],
    *,
    cache: ResultCache | None = None,
    version: str | None = None,
) -> list[ProfileGroup]:
    """Exact counts per combination of `group_by`, largest first; `[]` gives the total.

    A list of groups has no room to say which words of `text` were not used, and counting
    without them would answer for a wider set than asked, so such a text is refused.
    """
    canonical, unmatched = _resolve(spec, text)
    if unmatched:
        raise ServiceError(
            ErrorCode.UNINTERPRETABLE_QUERY,
            f"could not use {', '.join(map(repr, unmatched))} in the query; breakdowns count "
            "only what every word means, so rephrase or drop them (interpretQuery shows how a "
            "text is read)",
            field="query",
        )
    dimensions = list(dict.fromkeys(group_by))

    async def read_groups() -> list[ProfileGroup]:
        return await _read_groups(pool, canonical, dimensions)

    if cache is None:
        return await read_groups()
    key = f"stats:{canonical.describe()}|groupBy={','.join(d.name for d in dimensions)}"
    return await cache.get_or_compute(key, read_groups, GROUPS_CODEC, version=version)


async def _read_groups(
    pool: asyncpg.Pool, canonical: CanonicalFilter, dimensions: list[ProfileDimension]
) -> list[ProfileGroup]:
    values = _filter_values(canonical)
    if not dimensions:
        total = await run_read(pool, lambda conn: profiles_db.count_profiles(conn, values))
        return [ProfileGroup(key={}, count=total)]
    columns = [dimension.value for dimension in dimensions]

    async def read(conn: Connection) -> list[asyncpg.Record]:
        return await profiles_db.select_profile_groups(conn, values, columns)

    rows = await run_read(pool, read)
    return [
        ProfileGroup(
            key={_KEY_NAMES[d]: _group_value(d, row[d.value]) for d in dimensions},
            count=int(row["count"]),
        )
        for row in rows
    ]


_KEY_NAMES: Final = {
    ProfileDimension.GENDER: "gender",
    ProfileDimension.AGE_GROUP: "ageGroup",
    ProfileDimension.COUNTRY: "country",
    ProfileDimension.AGE: "age",
}


def _group_value(dimension: ProfileDimension, value: Any) -> str | int:
    if dimension is ProfileDimension.GENDER:
        return Gender(value).name
    if dimension is ProfileDimension.AGE_GROUP:
        return AgeGroup(value).name
    if dimension is ProfileDimension.AGE:
        return int(value)
    return str(value)


# Members by stored value: a dict lookup, not an Enum call, for each row.
_GENDERS: Final = {gender.value: gender for gender in Gender}
_AGE_GROUPS: Final = {group.value: group for group in AgeGroup}


def profile_from_row(row: asyncpg.Record) -> Profile:
    return Profile(
        row["id"],
        row["name"],
        _GENDERS[row["gender"]],
        row["gender_probability"],
        row["age"],
        _AGE_GROUPS[row["age_group"]],
        row["country_id"],
        row["country_name"],
        row["country_probability"],
        row["created_at"],
        row["sample_size"],
    )


def _filter_values(canonical: CanonicalFilter) -> profiles_db.ProfileFilterValues:
    low, high = canonical.age_range()
    return profiles_db.ProfileFilterValues(
        gender=canonical.gender.value if canonical.gender else None,
        country_id=canonical.country_id,
        min_age=low,
        max_age=high,
        min_gender_probability=canonical.min_gender_probability,
        min_country_probability=canonical.min_country_probability,
    )


def _cursor_position(cursor: Cursor | None, sort: ProfileSort) -> tuple[Any, UUID] | None:
    if cursor is None:
        return None
    if cursor.sort != sort.name:
        raise bad_input(
            f"this cursor belongs to sort {cursor.sort}, not {sort.name}:"
            " start again without after",
            field="after",
        )
    value = cursor.value
    expected = _CURSOR_VALUE_TYPES[sort.field]
    if isinstance(value, bool) or not isinstance(value, expected):
        raise bad_input("after is not a cursor this API gave out", field="after")
    if isinstance(value, int) and not MIN_AGE - 1 <= value <= MAX_AGE + 1:
        raise bad_input("after is not a cursor this API gave out", field="after")
    return value, cursor.id


_CURSOR_VALUE_TYPES: Final[dict[ProfileSortField, type | tuple[type, ...]]] = {
    ProfileSortField.CREATED_AT: datetime,
    ProfileSortField.AGE: int,
    ProfileSortField.GENDER_PROBABILITY: (int, float),
    ProfileSortField.COUNTRY_PROBABILITY: (int, float),
    ProfileSortField.NAME: str,
}


def filter_values(canonical: CanonicalFilter) -> profiles_db.ProfileFilterValues:
    """The SQL parameters of a canonical filter, for other profile services (export)."""
    return _filter_values(canonical)
