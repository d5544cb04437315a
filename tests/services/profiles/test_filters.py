import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from services.errors import ErrorCode, ServiceError
from services.profiles.age_groups import AGE_GROUP_RANGES, MAX_AGE, MIN_AGE
from services.profiles.enums import AgeGroup, Gender
from services.profiles.filters import CanonicalFilter, FilterSpec, combine, normalize

CHILD, TEENAGER, ADULT, SENIOR = AgeGroup.CHILD, AgeGroup.TEENAGER, AgeGroup.ADULT, AgeGroup.SENIOR


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (FilterSpec(), CanonicalFilter()),
        # bounds that are the whole age domain say nothing
        (FilterSpec(min_age=MIN_AGE, max_age=MAX_AGE), CanonicalFilter()),
        # a range that is exactly a group's range becomes the group
        (FilterSpec(min_age=0, max_age=12), CanonicalFilter(age_group=CHILD)),
        (FilterSpec(max_age=12), CanonicalFilter(age_group=CHILD)),
        (FilterSpec(min_age=13, max_age=19), CanonicalFilter(age_group=TEENAGER)),
        (FilterSpec(min_age=20, max_age=59), CanonicalFilter(age_group=ADULT)),
        (FilterSpec(min_age=60), CanonicalFilter(age_group=SENIOR)),
        (FilterSpec(min_age=60, max_age=MAX_AGE), CanonicalFilter(age_group=SENIOR)),
        # bounds implied by the group are dropped; a narrower one stays
        (FilterSpec(age_group=TEENAGER, min_age=13), CanonicalFilter(age_group=TEENAGER)),
        (
            FilterSpec(age_group=TEENAGER, min_age=0, max_age=99),
            CanonicalFilter(age_group=TEENAGER),
        ),
        (
            FilterSpec(age_group=TEENAGER, min_age=17, max_age=30),
            CanonicalFilter(age_group=TEENAGER, min_age=17),
        ),
        (
            FilterSpec(age_group=ADULT, min_age=10, max_age=45),
            CanonicalFilter(age_group=ADULT, max_age=45),
        ),
        (FilterSpec(min_age=20, max_age=45), CanonicalFilter(min_age=20, max_age=45)),
        (FilterSpec(min_age=0, max_age=45), CanonicalFilter(max_age=45)),
        (FilterSpec(min_age=30, max_age=MAX_AGE), CanonicalFilter(min_age=30)),
        (FilterSpec(min_age=30, max_age=30), CanonicalFilter(min_age=30, max_age=30)),
        # country codes are trimmed and upper-cased
        (FilterSpec(country_id="ng"), CanonicalFilter(country_id="NG")),
        (FilterSpec(country_id=" Gb "), CanonicalFilter(country_id="GB")),
        (FilterSpec(gender=Gender.FEMALE), CanonicalFilter(gender=Gender.FEMALE)),
        # probabilities are inclusive floats
        (FilterSpec(min_gender_probability=1), CanonicalFilter(min_gender_probability=1.0)),
        (FilterSpec(min_country_probability=0.0), CanonicalFilter(min_country_probability=0.0)),
        (FilterSpec(min_gender_probability=0.75), CanonicalFilter(min_gender_probability=0.75)),
    ],
)
def test_normalize_gives_the_canonical_form(spec: FilterSpec, expected: CanonicalFilter) -> None:
    assert normalize(spec) == expected


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (FilterSpec(min_age=30, max_age=20), "minAge"),
        (FilterSpec(min_age=-1), "minAge"),
        (FilterSpec(max_age=-5), "maxAge"),
        (FilterSpec(min_age=MAX_AGE + 1), "minAge"),
        (FilterSpec(max_age=1000), "maxAge"),
        (FilterSpec(age_group=CHILD, min_age=60), "ageGroup"),
        (FilterSpec(age_group=TEENAGER, max_age=10), "ageGroup"),
        (FilterSpec(age_group=SENIOR, max_age=59), "ageGroup"),
        (FilterSpec(age_group=ADULT, min_age=60, max_age=70), "ageGroup"),
        (FilterSpec(country_id="XX"), "countryId"),
        (FilterSpec(country_id="XK"), "countryId"),  # Kosovo's code is not ISO 3166-1
        (FilterSpec(country_id="NGA"), "countryId"),
        (FilterSpec(country_id=""), "countryId"),
        (FilterSpec(min_gender_probability=1.5), "minGenderProbability"),
        (FilterSpec(min_gender_probability=-0.1), "minGenderProbability"),
        (FilterSpec(min_gender_probability=math.nan), "minGenderProbability"),
        (FilterSpec(min_country_probability=math.inf), "minCountryProbability"),
    ],
)
def test_invalid_filters_are_bad_user_input(spec: FilterSpec, field: str) -> None:
    with pytest.raises(ServiceError) as raised:
        normalize(spec)
    assert raised.value.code is ErrorCode.BAD_USER_INPUT
    assert raised.value.field == field


def test_contradiction_message_names_the_group() -> None:
    with pytest.raises(ServiceError, match="no child is aged 60 or over"):
        normalize(FilterSpec(age_group=CHILD, min_age=60))


def test_describe_is_stable_and_names_every_field() -> None:
    canonical = normalize(
        FilterSpec(
            gender=Gender.MALE,
            age_group=TEENAGER,
            country_id="ke",
            min_age=15,
            min_gender_probability=0.5,
            min_country_probability=0.25,
        )
    )
    assert canonical.describe() == (
        "gender=MALE;ageGroup=TEENAGER;countryId=KE;minAge=15;"
        "minGenderProbability=0.5;minCountryProbability=0.25"
    )
    assert CanonicalFilter().describe() == "all"


def test_probability_thresholds_need_a_row_scan() -> None:
    assert normalize(FilterSpec(min_country_probability=0.5)).needs_row_scan
    assert not normalize(FilterSpec(age_group=ADULT, country_id="NG")).needs_row_scan


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (
            FilterSpec(gender=Gender.FEMALE),
            FilterSpec(country_id="ng"),
            CanonicalFilter(gender=Gender.FEMALE, country_id="NG"),
        ),
        (FilterSpec(min_age=20), FilterSpec(max_age=45), CanonicalFilter(min_age=20, max_age=45)),
        (
            FilterSpec(min_age=20, max_age=40),
            FilterSpec(min_age=30, max_age=50),
            CanonicalFilter(min_age=30, max_age=40),
        ),
        (
            FilterSpec(age_group=TEENAGER),
            FilterSpec(min_age=17),
            CanonicalFilter(age_group=TEENAGER, min_age=17),
        ),
        (
            FilterSpec(age_group=ADULT),
            FilterSpec(age_group=ADULT),
            CanonicalFilter(age_group=ADULT),
        ),
        (FilterSpec(min_age=13), FilterSpec(max_age=19), CanonicalFilter(age_group=TEENAGER)),
        (
            FilterSpec(min_gender_probability=0.5, min_country_probability=0.9),
            FilterSpec(min_gender_probability=0.8),
            CanonicalFilter(min_gender_probability=0.8, min_country_probability=0.9),
        ),
        (
            FilterSpec(country_id="NG"),
            normalize(FilterSpec(country_id="ng")),
            CanonicalFilter(country_id="NG"),
        ),
    ],
)
def test_combine_is_the_canonical_intersection(
    first: FilterSpec, second: FilterSpec | CanonicalFilter, expected: CanonicalFilter
) -> None:
    assert combine(first, second) == expected
    assert combine(second, first) == expected


@pytest.mark.parametrize(
    ("first", "second", "field"),
    [
        (FilterSpec(gender=Gender.MALE), FilterSpec(gender=Gender.FEMALE), "gender"),
        (FilterSpec(country_id="NG"), FilterSpec(country_id="GH"), "countryId"),
        (FilterSpec(age_group=CHILD), FilterSpec(age_group=ADULT), "ageGroup"),
        (FilterSpec(max_age=20), FilterSpec(min_age=30), "minAge"),
        (FilterSpec(age_group=SENIOR), FilterSpec(max_age=40), "minAge"),
    ],
)
def test_combine_without_common_rows_is_bad_user_input(
    first: FilterSpec, second: FilterSpec, field: str
) -> None:
    with pytest.raises(ServiceError) as raised:
        combine(first, second)
    assert raised.value.code is ErrorCode.BAD_USER_INPUT
    assert raised.value.field == field


def test_a_bare_range_inside_a_group_stays_a_range() -> None:
    """The canonical form keeps the shape that was asked for: a group stays a group (with only
    the bounds it does not imply), and a bare range becomes a group only when it is exactly that
    group's range. "Women aged 20-45" reads back as minAge 20, maxAge 45, not as ADULT + 45."""
    assert normalize(FilterSpec(min_age=20, max_age=45)) == CanonicalFilter(min_age=20, max_age=45)
    assert normalize(FilterSpec(age_group=TEENAGER, min_age=17)) == CanonicalFilter(
        age_group=TEENAGER, min_age=17
    )


ages = st.none() | st.integers(min_value=MIN_AGE, max_value=MAX_AGE)
probabilities = st.none() | st.floats(min_value=0.0, max_value=1.0)
specs = st.builds(
    FilterSpec,
    gender=st.none() | st.sampled_from(Gender),
    age_group=st.none() | st.sampled_from(AgeGroup),
    country_id=st.sampled_from([None, "NG", "ng", " ke ", "Gb", "US"]),
    min_age=ages,
    max_age=ages,
    min_gender_probability=probabilities,
    min_country_probability=probabilities,
)


def _outcome(spec: FilterSpec) -> CanonicalFilter | ServiceError:
    try:
        return normalize(spec)
    except ServiceError as error:
        return error


def _combined(first: FilterSpec, second: FilterSpec) -> CanonicalFilter | ServiceError:
    try:
        return combine(first, second)
    except ServiceError as error:
        return error


@given(specs)
def test_normalize_accepts_or_reports_bad_user_input(spec: FilterSpec) -> None:
    outcome = _outcome(spec)
    assert isinstance(outcome, CanonicalFilter) or outcome.code is ErrorCode.BAD_USER_INPUT


@given(specs)
def test_normalize_is_idempotent(spec: FilterSpec) -> None:
    canonical = _outcome(spec)
    assume(isinstance(canonical, CanonicalFilter))
    assert isinstance(canonical, CanonicalFilter)
    assert normalize(canonical) == canonical
    assert normalize(canonical).describe() == canonical.describe()


@given(specs)
def test_normalize_keeps_the_admitted_ages(spec: FilterSpec) -> None:
    canonical = _outcome(spec)
    assume(isinstance(canonical, CanonicalFilter))
    assert isinstance(canonical, CanonicalFilter)
    low, high = AGE_GROUP_RANGES[spec.age_group] if spec.age_group else (MIN_AGE, MAX_AGE)
    low = max(low, spec.min_age if spec.min_age is not None else MIN_AGE)
    high = min(high, spec.max_age if spec.max_age is not None else MAX_AGE)
    assert canonical.age_range() == (low, high)


@given(specs, specs)
def test_combine_is_symmetric(first: FilterSpec, second: FilterSpec) -> None:
    forward, backward = _combined(first, second), _combined(second, first)
    if isinstance(forward, ServiceError):
        assert isinstance(backward, ServiceError)
        assert backward.code is forward.code is ErrorCode.BAD_USER_INPUT
    else:
        assert backward == forward
        assert normalize(forward) == forward
