"""One canonical form for every profile filter, whether it came structured or in plain English.

`normalize` is pure and idempotent: country codes upper-cased, redundant bounds dropped (those an
age group implies, those every age satisfies), and a bare age range that is exactly one group's
range replaced by that group. It keeps the shape that was asked for otherwise: "teenagers above
17" stays TEENAGER + minAge 17 and "aged 20 to 45" stays minAge 20 + maxAge 45, so a filter reads
back as its user wrote it. Equal filters share a cache key.
"""

import math
from dataclasses import dataclass

from services.errors import bad_input
from services.profiles.age_groups import AGE_GROUP_RANGES, MAX_AGE, MIN_AGE, group_with_range
from services.profiles.countries import is_country_code
from services.profiles.enums import AgeGroup, Gender


@dataclass(frozen=True, slots=True)
class FilterSpec:
    """A filter as asked for: any field may be missing, nothing checked yet."""

    gender: Gender | None = None
    age_group: AgeGroup | None = None
    country_id: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    min_gender_probability: float | None = None
    min_country_probability: float | None = None


@dataclass(frozen=True, slots=True)
class CanonicalFilter(FilterSpec):
    """A checked filter with every redundant bound dropped; only `normalize` makes one."""

    def age_range(self) -> tuple[int, int]:
        """The inclusive ages this filter admits, group and bounds together."""
        low, high = AGE_GROUP_RANGES[self.age_group] if self.age_group else (MIN_AGE, MAX_AGE)
        if self.min_age is not None:
            low = max(low, self.min_age)
        if self.max_age is not None:
            high = min(high, self.max_age)
        return low, high

    @property
    def needs_row_scan(self) -> bool:
        """Probability thresholds are not in the rollup table, so counting them reads rows."""
        return self.min_gender_probability is not None or self.min_country_probability is not None

    def describe(self) -> str:
        """A stable text of the filter: the filter part of every cache key."""
        parts = [
            f"gender={self.gender.name}" if self.gender else "",
            f"ageGroup={self.age_group.name}" if self.age_group else "",
            f"countryId={self.country_id}" if self.country_id else "",
            f"minAge={self.min_age}" if self.min_age is not None else "",
            f"maxAge={self.max_age}" if self.max_age is not None else "",
            f"minGenderProbability={self.min_gender_probability!r}"
            if self.min_gender_probability is not None
            else "",
            f"minCountryProbability={self.min_country_probability!r}"
            if self.min_country_probability is not None
            else "",
        ]
        return ";".join(part for part in parts if part) or "all"


def normalize(spec: FilterSpec) -> CanonicalFilter:
    """Check a filter and bring it to canonical form.

    `FilterSpec(age_group=TEENAGER, min_age=17, max_age=30)` -> `CanonicalFilter(age_group=TEENAGER,
    min_age=17)`; `FilterSpec(min_age=20, max_age=59)` -> `CanonicalFilter(age_group=ADULT)`.
    Raises BAD_USER_INPUT for values outside their domain and for contradictions.
    """
    country_id = _canonical_country(spec.country_id)
    min_age = _checked_age(spec.min_age, "minAge")
    max_age = _checked_age(spec.max_age, "maxAge")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise bad_input(f"minAge ({min_age}) is greater than maxAge ({max_age})", field="minAge")
    min_gender_probability = _checked_probability(
        spec.min_gender_probability, "minGenderProbability"
    )
    min_country_probability = _checked_probability(
        spec.min_country_probability, "minCountryProbability"
    )
    age_group, min_age, max_age = _canonical_ages(spec.age_group, min_age, max_age)
    return CanonicalFilter(
        gender=spec.gender,
        age_group=age_group,
        country_id=country_id,
        min_age=min_age,
        max_age=max_age,
        min_gender_probability=min_gender_probability,
        min_country_probability=min_country_probability,
    )


def combine(first: FilterSpec, second: FilterSpec) -> CanonicalFilter:
    """Both filters must hold: the canonical intersection, or BAD_USER_INPUT if none can."""
    a, b = normalize(first), normalize(second)
    if a.gender and b.gender and a.gender != b.gender:
        raise bad_input(
            f"the filter asks for gender {a.gender.name} and the query for {b.gender.name}",
            field="gender",
        )
    if a.country_id and b.country_id and a.country_id != b.country_id:
        raise bad_input(
            f"the filter asks for country {a.country_id} and the query for {b.country_id}",
            field="countryId",
        )
    if a.age_group and b.age_group and a.age_group != b.age_group:
        raise bad_input(
            f"the filter asks for age group {a.age_group.name}"
            f" and the query for {b.age_group.name}",
            field="ageGroup",
        )
    a_low, a_high = a.age_range()
    b_low, b_high = b.age_range()
    low, high = max(a_low, b_low), min(a_high, b_high)
    if low > high:
        raise bad_input("the filter and the query ask for ages that do not overlap", field="minAge")
    merged = FilterSpec(
        gender=a.gender or b.gender,
        age_group=a.age_group or b.age_group,
        country_id=a.country_id or b.country_id,
        min_age=low,
        max_age=high,
        min_gender_probability=_larger(a.min_gender_probability, b.min_gender_probability),
        min_country_probability=_larger(a.min_country_probability, b.min_country_probability),
    )
    return normalize(merged)


def _canonical_country(country_id: str | None) -> str | None:
    if country_id is None:
        return None
    code = country_id.strip().upper()
    if not is_country_code(code):
        raise bad_input(
            f"unknown country code {country_id!r}: use an ISO 3166-1 alpha-2 code such as NG",
            field="countryId",
        )
    return code


def _checked_age(age: int | None, field: str) -> int | None:
    if age is None:
        return None
    if age < MIN_AGE:
        raise bad_input(f"{field} must not be negative (got {age})", field=field)
    if age > MAX_AGE:
        raise bad_input(f"{field} must be at most {MAX_AGE} (got {age})", field=field)
    return age


def _checked_probability(value: float | None, field: str) -> float | None:
    if value is None:
        return None
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise bad_input(f"{field} must be between 0 and 1 (got {value})", field=field)
    return float(value)


def _canonical_ages(
    age_group: AgeGroup | None, min_age: int | None, max_age: int | None
) -> tuple[AgeGroup | None, int | None, int | None]:
    low = MIN_AGE if min_age is None else min_age
    high = MAX_AGE if max_age is None else max_age
    if age_group is None:
        exact_group = group_with_range(low, high)
        if exact_group is not None and (low, high) != (MIN_AGE, MAX_AGE):
            return exact_group, None, None
        return None, (low if low > MIN_AGE else None), (high if high < MAX_AGE else None)
    group_low, group_high = AGE_GROUP_RANGES[age_group]
    low, high = max(low, group_low), min(high, group_high)
    if low > high:
        raise bad_input(
            f"no {age_group.value} is aged {_describe_bounds(min_age, max_age)}",
            field="ageGroup",
        )
    return (
        age_group,
        low if low > group_low else None,
        high if high < group_high else None,
    )


def _describe_bounds(min_age: int | None, max_age: int | None) -> str:
    if min_age is not None and max_age is not None:
        return f"{min_age} to {max_age}"
    if min_age is not None:
        return f"{min_age} or over"
    return f"{max_age} or under"


def _larger(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
