"""Thin GraphQL views of profile results: plain attributes, built by `from_domain`/`from_page`."""

from datetime import datetime
from typing import Self, cast

import strawberry
from strawberry.scalars import JSON

from graph.profiles.enums import AgeGroup, Gender
from services.profiles.creation import ProfileCreation as DomainProfileCreation
from services.profiles.filters import CanonicalFilter
from services.profiles.profile import Profile as DomainProfile
from services.profiles.results import ProfileGroup as DomainProfileGroup
from services.profiles.results import ProfilePage


@strawberry.type(description="A demographic profile.")
class Profile:
    id: strawberry.ID = strawberry.field(description="UUIDv7")
    name: str
    gender: Gender
    gender_probability: float | None
    age: int
    age_group: AgeGroup
    country_id: str = strawberry.field(description="ISO 3166-1 alpha-2")
    country_name: str
    country_probability: float | None
    created_at: datetime
    sample_size: int | None = strawberry.field(
        description="How many people Genderize's gender guess rests on, for a profile created "
        "from a name; null for CSV rows, the demo data and offline guesses"
    )

    @classmethod
    def from_domain(cls, profile: DomainProfile) -> Self:
        return cls(
            id=strawberry.ID(str(profile.id)),
            name=profile.name,
            gender=profile.gender,
            gender_probability=profile.gender_probability,
            age=profile.age,
            age_group=profile.age_group,
            country_id=profile.country_id,
            country_name=profile.country_name,
            country_probability=profile.country_probability,
            created_at=profile.created_at,
            sample_size=profile.sample_size,
        )


@strawberry.type(
    description="The canonical form of a filter: structured input and plain-English queries that "
    "mean the same thing produce equal values and the same cacheKey."
)
class NormalizedFilter:
    gender: Gender | None
    age_group: AgeGroup | None
    country_id: str | None
    min_age: int | None
    max_age: int | None
    min_gender_probability: float | None
    min_country_probability: float | None
    cache_key: str = strawberry.field(
        description="Stable text of the canonical filter plus sort and page arguments"
    )

    @classmethod
    def from_domain(cls, canonical: CanonicalFilter, cache_key: str) -> Self:
        return cls(
            gender=canonical.gender,
            age_group=canonical.age_group,
            country_id=canonical.country_id,
            min_age=canonical.min_age,
            max_age=canonical.max_age,
            min_gender_probability=canonical.min_gender_probability,
            min_country_probability=canonical.min_country_probability,
            cache_key=cache_key,
        )


@strawberry.type(description="How a plain-English query was understood.")
class QueryInterpretation:
    text: str
    filter: NormalizedFilter
    unmatched: list[str] = strawberry.field(
        description="Words that carried no meaning the parser could use"
    )


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class ProfileEdge:
    cursor: str
    node: Profile


@strawberry.type(description="A page of profiles with the exact total for the whole filter.")
class ProfileConnection:
    edges: list[ProfileEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Exact")
    filter: NormalizedFilter = strawberry.field(description="What was actually applied")
    unmatched: list[str] = strawberry.field(
        description="Words of `query` that carried no meaning (empty without a query)"
    )

    @classmethod
    def from_page(cls, page: ProfilePage) -> Self:
        # The page's own edges, not a copy per row: strawberry reads fields as attributes, and
        # every field of ProfileEdge and Profile is an attribute of the same name on the
        # domain's edge and profile (tests/graph/profiles/test_types.py); a UUID id serialises
        # as the ID str() makes of it.
        edges = cast(list[ProfileEdge], page.edges)
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=page.total_count,
            filter=NormalizedFilter.from_domain(page.filter, page.cache_key),
            unmatched=list(page.unmatched),
        )


@strawberry.type(description='Count of one group, e.g. key {"gender": "FEMALE", "country": "NG"}.')
class ProfileGroup:
    key: JSON
    count: int

    @classmethod
    def from_domain(cls, group: DomainProfileGroup) -> Self:
        return cls(key=JSON(group.key), count=group.count)


@strawberry.type(description="A profile made from a name, or the one that name already had.")
class ProfileCreation:
    profile: Profile
    created: bool = strawberry.field(
        description="False: a profile with that name already existed, and is returned"
    )
    offline: bool = strawberry.field(
        description="True: made just now by the server's offline provider (no base URL is set"
        " for Genderize, Agify or Nationalize), so its values are made up from the name, not"
        " any service's data. False for an existing profile."
    )

    @classmethod
    def from_domain(cls, creation: DomainProfileCreation) -> Self:
        return cls(
            profile=Profile.from_domain(creation.profile),
            created=creation.created,
            offline=creation.offline,
        )
