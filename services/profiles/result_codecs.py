"""Profile results as bytes for a shared cache (Redis): compact JSON arrays, rebuilt exactly.

The in-process cache keeps the objects themselves; these codecs run only when values must
cross a process boundary. Round trips are tested property-style (tests/services/profiles).
"""

from datetime import datetime
from typing import Any, Final
from uuid import UUID

import orjson

from services.profiles.enums import AgeGroup, Gender
from services.profiles.filters import CanonicalFilter
from services.profiles.profile import Profile
from services.profiles.results import ProfileEdge, ProfileGroup, ProfilePage


class PageCodec:
    def dumps(self, page: ProfilePage) -> bytes:
        return orjson.dumps(
            {
                "edges": [[edge.cursor, *_profile_fields(edge.node)] for edge in page.edges],
                "next": page.has_next_page,
                "previous": page.has_previous_page,
                "total": page.total_count,
                "filter": _filter_fields(page.filter),
                "key": page.cache_key,
            }
        )

    def loads(self, data: bytes) -> ProfilePage:
        raw = orjson.loads(data)
        return ProfilePage(
            edges=[ProfileEdge(cursor=row[0], node=_profile(row[1:])) for row in raw["edges"]],
            has_next_page=raw["next"],
            has_previous_page=raw["previous"],
            total_count=raw["total"],
            filter=_filter(raw["filter"]),
            cache_key=raw["key"],
        )


class GroupsCodec:
    def dumps(self, groups: list[ProfileGroup]) -> bytes:
        return orjson.dumps([[group.key, group.count] for group in groups])

    def loads(self, data: bytes) -> list[ProfileGroup]:
        return [ProfileGroup(key=key, count=count) for key, count in orjson.loads(data)]


PAGE_CODEC: Final = PageCodec()
GROUPS_CODEC: Final = GroupsCodec()


def _profile_fields(profile: Profile) -> list[Any]:
    return [
        str(profile.id),
        profile.name,
        profile.gender.value,
        profile.gender_probability,
        profile.age,
        profile.age_group.value,
        profile.country_id,
        profile.country_name,
        profile.country_probability,
        profile.created_at.isoformat(),
        profile.sample_size,
    ]


def _profile(fields: list[Any]) -> Profile:
    (id_text, name, gender, gender_p, age, age_group, country, country_name, country_p, created) = (
        fields[:10]
    )
    # Pages cached in Redis before sample sizes existed have ten fields.
    sample_size = fields[10] if len(fields) > 10 else None
    return Profile(
        id=UUID(id_text),
        name=name,
        gender=Gender(gender),
        gender_probability=gender_p,
        age=age,
        age_group=AgeGroup(age_group),
        country_id=country,
        country_name=country_name,
        country_probability=country_p,
        created_at=datetime.fromisoformat(created),
        sample_size=sample_size,
    )


def _filter_fields(canonical: CanonicalFilter) -> list[Any]:
    return [
        canonical.gender.value if canonical.gender else None,
        canonical.age_group.value if canonical.age_group else None,
        canonical.country_id,
        canonical.min_age,
        canonical.max_age,
        canonical.min_gender_probability,
        canonical.min_country_probability,
    ]


def _filter(fields: list[Any]) -> CanonicalFilter:
    gender, age_group, country, min_age, max_age, gender_p, country_p = fields
    return CanonicalFilter(
        gender=Gender(gender) if gender else None,
        age_group=AgeGroup(age_group) if age_group else None,
        country_id=country,
        min_age=min_age,
        max_age=max_age,
        min_gender_probability=gender_p,
        min_country_probability=country_p,
    )
