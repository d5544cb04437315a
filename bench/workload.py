"""What the benchmark asks: filter shapes, plain-English queries, every sort, deep pages and
probability thresholds, each as GraphQL variables and as the filter the raw-SQL baseline uses."""

from dataclasses import dataclass, field
from typing import Any, Final

from db.profiles import ProfileFilterValues
from services.profiles.enums import AgeGroup, Gender, ProfileSortField, SortOrder
from services.profiles.filters import FilterSpec
from services.profiles.search import ProfileSort, resolve_filter

PROFILES_QUERY: Final = """
query Bench($filter: ProfileFilter, $query: String, $sort: ProfileSort, $first: Int,
            $after: String) {
  profiles(filter: $filter, query: $query, sort: $sort, first: $first, after: $after) {
    totalCount
    edges { cursor node { id name gender genderProbability age ageGroup countryId countryName
                          countryProbability createdAt } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@dataclass(frozen=True)
class Case:
    name: str
    group: str  # "filter", "english", "sort", "deep", "threshold"
    spec: FilterSpec | None = None
    text: str | None = None
    sort: ProfileSort = field(default_factory=ProfileSort)
    first: int = 20
    # 0 for the first page; N for the page after N * first rows (cursor found at setup).
    page: int = 0

    def filter_values(self) -> ProfileFilterValues:
        canonical = resolve_filter(self.spec, self.text)
        low, high = canonical.age_range()
        return ProfileFilterValues(
            gender=canonical.gender.value if canonical.gender else None,
            country_id=canonical.country_id,
            min_age=low,
            max_age=high,
            min_gender_probability=canonical.min_gender_probability,
            min_country_probability=canonical.min_country_probability,
        )

    def variables(self, after: str | None) -> dict[str, Any]:
        variables: dict[str, Any] = {
            "first": self.first,
            "sort": {"field": self.sort.field.name, "order": self.sort.order.name},
        }
        if self.spec is not None:
            variables["filter"] = _filter_variables(self.spec)
        if self.text is not None:
            variables["query"] = self.text
        if after is not None:
            variables["after"] = after
        return variables


def _filter_variables(spec: FilterSpec) -> dict[str, Any]:
    names = {
        "gender": spec.gender.name if spec.gender else None,
        "ageGroup": spec.age_group.name if spec.age_group else None,
        "countryId": spec.country_id,
        "minAge": spec.min_age,
        "maxAge": spec.max_age,
        "minGenderProbability": spec.min_gender_probability,
        "minCountryProbability": spec.min_country_probability,
    }
    return {name: value for name, value in names.items() if value is not None}


def _sort(field_: ProfileSortField, order: SortOrder) -> ProfileSort:
    return ProfileSort(field=field_, order=order)


F, M = Gender.FEMALE, Gender.MALE
ASC, DESC = SortOrder.ASC, SortOrder.DESC

CASES: Final[tuple[Case, ...]] = (
    Case("all, newest first", "filter"),
    Case("gender", "filter", FilterSpec(gender=F)),
    Case("country", "filter", FilterSpec(country_id="NG")),
    Case("country + gender", "filter", FilterSpec(gender=M, country_id="KE")),
    Case(
        "country + gender + age range",
        "filter",
        FilterSpec(gender=F, country_id="NG", min_age=20, max_age=45),
    ),
    Case("age group", "filter", FilterSpec(age_group=AgeGroup.SENIOR)),
    Case("gender + age group", "filter", FilterSpec(gender=M, age_group=AgeGroup.TEENAGER)),
    Case("small country", "filter", FilterSpec(country_id="FR", gender=F)),
    Case(
        "english: Nigerian females aged 20 to 45", "english", text="Nigerian females aged 20 to 45"
    ),
    Case("english: seniors in Kenya", "english", text="seniors in Kenya"),
    Case("english: young men", "english", text="young men"),
    Case("english: women above 30 from Ghana", "english", text="women above 30 from Ghana"),
    Case(
        "sort: age asc, adults",
        "sort",
        FilterSpec(age_group=AgeGroup.ADULT),
        sort=_sort(ProfileSortField.AGE, ASC),
    ),
    Case("sort: name asc", "sort", sort=_sort(ProfileSortField.NAME, ASC)),
    Case(
        "sort: name desc, Ghana",
        "sort",
        FilterSpec(country_id="GH"),
        sort=_sort(ProfileSortField.NAME, DESC),
    ),
    Case(
        "sort: gender p desc, women",
        "sort",
        FilterSpec(gender=F),
        sort=_sort(ProfileSortField.GENDER_PROBABILITY, DESC),
    ),
    Case(
        "sort: country p asc, Nigeria",
        "sort",
        FilterSpec(country_id="NG"),
        sort=_sort(ProfileSortField.COUNTRY_PROBABILITY, ASC),
    ),
    Case(
        "sort: oldest first, 100 rows",
        "sort",
        sort=_sort(ProfileSortField.CREATED_AT, ASC),
        first=100,
    ),
    Case("deep: page 1000, newest first", "deep", page=1000),
    Case(
        "deep: page 1000, age desc, men",
        "deep",
        FilterSpec(gender=M),
        sort=_sort(ProfileSortField.AGE, DESC),
        page=1000,
    ),
    Case("deep: page 1000, name asc", "deep", sort=_sort(ProfileSortField.NAME, ASC), page=1000),
    Case(
        "deep: page 1000, country p desc",
        "deep",
        sort=_sort(ProfileSortField.COUNTRY_PROBABILITY, DESC),
        page=1000,
    ),
    Case("threshold: gender p >= 0.9", "threshold", FilterSpec(min_gender_probability=0.9)),
    Case(
        "threshold: Nigeria, country p >= 0.5",
        "threshold",
        FilterSpec(country_id="NG", min_country_probability=0.5),
    ),
    Case(
        "threshold: Kenyan men, gender p >= 0.95",
        "threshold",
        FilterSpec(gender=M, country_id="KE", min_gender_probability=0.95),
    ),
)

# Page 1 and page 1000 of the same sorts, for the flatness check.
FLATNESS_PAIRS: Final = (
    ("all, newest first", "deep: page 1000, newest first"),
    ("sort: name asc", "deep: page 1000, name asc"),
)
