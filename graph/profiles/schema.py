"""Root fields for profiles: search, one profile, query interpretation and breakdowns."""

import strawberry
from strawberry.types import Info

from graph.core.context import Context
from graph.core.ids import parse_id
from graph.core.permissions import Permitted
from graph.profiles.enums import ProfileDimension
from graph.profiles.inputs import ProfileFilter, ProfileSortInput
from graph.profiles.types import (
    NormalizedFilter,
    Profile,
    ProfileConnection,
    ProfileGroup,
    QueryInterpretation,
)
from services.errors import bad_input
from services.pagination import MAX_PAGE_SIZE, PageRequest
from services.platform.read_your_writes import ReadTarget
from services.profiles import search
from services.profiles.language import interpret_and_normalize

MAX_GROUP_BY = 100


async def _read_target(context: Context) -> ReadTarget:
    """Where this caller's profile read goes; the version it reads at is noted for the
    response cache, which stores no answer older than its key says."""
    target = await context.reads.target(context.caller)
    if target.version is not None and context.response_slot is not None:
        context.response_slot.read_versions.append(target.version)
    return target


@strawberry.type
class ProfilesQuery:
    @strawberry.field(
        permission_classes=[Permitted],
        description="Profiles matching `filter` and/or `query` (plain English); both must hold. "
        f"`first` is 1..{MAX_PAGE_SIZE}. A query that cannot be interpreted fails with "
        "UNINTERPRETABLE_QUERY; words it could not use are listed in `unmatched`; a place "
        "that is no country is BAD_USER_INPUT.",
    )
    async def profiles(
        self,
        info: Info[Context, None],
        filter: ProfileFilter | None = None,
        query: str | None = None,
        sort: ProfileSortInput | None = None,
        first: int | None = search.DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> ProfileConnection:
        profile_search = search.ProfileSearch(
            filter=filter.to_filter_spec() if filter else None,
            text=query,
            sort=sort.to_sort_spec() if sort else search.DEFAULT_SORT,
            page=PageRequest.parse(
                first=search.DEFAULT_PAGE_SIZE if first is None else first, after=after
            ),
        )
        target = await _read_target(info.context)
        page = await search.search_profiles(
            target.pool, profile_search, cache=info.context.cache, version=target.version
        )
        return ProfileConnection.from_page(page)

    @strawberry.field(permission_classes=[Permitted], description="One profile by id.")
    async def profile(self, info: Info[Context, None], id: strawberry.ID) -> Profile | None:
        profile_id = parse_id(id, field="id", kind="profile")
        target = await _read_target(info.context)
        profile = await search.get_profile(target.pool, profile_id)
        return Profile.from_domain(profile) if profile else None

    @strawberry.field(
        permission_classes=[Permitted],
        description="How a plain-English query is understood, without running it.",
    )
    def interpret_query(self, text: str) -> QueryInterpretation:
        interpretation, canonical = interpret_and_normalize(text)
        key = search.cache_key(canonical, search.DEFAULT_SORT, search.DEFAULT_PAGE)
        return QueryInterpretation(
            text=interpretation.text,
            filter=NormalizedFilter.from_domain(canonical, key),
            unmatched=list(interpretation.unmatched),
        )

    @strawberry.field(
        permission_classes=[Permitted],
        description="Exact counts per combination of `groupBy` dimensions, largest first; "
        "an empty `groupBy` gives one group with the total. A `query` with words that carry "
        "no meaning fails with UNINTERPRETABLE_QUERY naming them, since the groups have no "
        "room to report them.",
    )
    async def profile_stats(
        self,
        info: Info[Context, None],
        group_by: list[ProfileDimension],
        filter: ProfileFilter | None = None,
        query: str | None = None,
    ) -> list[ProfileGroup]:
        if len(group_by) > MAX_GROUP_BY:
            raise bad_input(f"groupBy takes at most {MAX_GROUP_BY} entries", field="groupBy")
        target = await _read_target(info.context)
        groups = await search.profile_stats(
            target.pool,
            filter.to_filter_spec() if filter else None,
            query,
            group_by,
            cache=info.context.cache,
            version=target.version,
        )
        return [ProfileGroup.from_domain(group) for group in groups]
