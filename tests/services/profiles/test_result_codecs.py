"""Cached results survive the trip through bytes (the Redis path) unchanged."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from services.profiles.enums import AgeGroup, Gender
from services.profiles.filters import CanonicalFilter
from services.profiles.profile import Profile
from services.profiles.result_codecs import GROUPS_CODEC, PAGE_CODEC
from services.profiles.results import ProfileEdge, ProfileGroup, ProfilePage

probabilities = st.none() | st.floats(min_value=0, max_value=1)
profiles = st.builds(
    Profile,
    id=st.uuids(version=4).map(lambda u: UUID(int=u.int)),
    name=st.text(min_size=1, max_size=30),
    gender=st.sampled_from(Gender),
    gender_probability=probabilities,
    age=st.integers(min_value=0, max_value=150),
    age_group=st.sampled_from(AgeGroup),
    country_id=st.sampled_from(["NG", "KE", "US"]),
    country_name=st.text(max_size=20),
    country_probability=probabilities,
    created_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ).map(lambda moment: moment + timedelta(microseconds=0)),
    sample_size=st.none() | st.integers(min_value=0, max_value=10**9),
)
filters = st.builds(
    CanonicalFilter,
    gender=st.none() | st.sampled_from(Gender),
    age_group=st.none() | st.sampled_from(AgeGroup),
    country_id=st.none() | st.just("NG"),
    min_age=st.none() | st.integers(0, 150),
    max_age=st.none() | st.integers(0, 150),
    min_gender_probability=probabilities,
    min_country_probability=probabilities,
)


@given(
    edges=st.lists(st.builds(ProfileEdge, cursor=st.text(max_size=40), node=profiles), max_size=5),
    has_next=st.booleans(),
    has_previous=st.booleans(),
    total=st.integers(min_value=0, max_value=10**9),
    canonical=filters,
    key=st.text(max_size=60),
)
def test_a_page_round_trips(
    edges: list[ProfileEdge],
    has_next: bool,
    has_previous: bool,
    total: int,
    canonical: CanonicalFilter,
    key: str,
) -> None:
    page = ProfilePage(edges, has_next, has_previous, total, canonical, key)
    assert PAGE_CODEC.loads(PAGE_CODEC.dumps(page)) == page


def test_groups_round_trip() -> None:
    groups = [
        ProfileGroup(key={"gender": "FEMALE", "country": "NG"}, count=12),
        ProfileGroup(key={"age": 30}, count=3),
        ProfileGroup(key={}, count=2026),
    ]
    assert GROUPS_CODEC.loads(GROUPS_CODEC.dumps(groups)) == groups
