"""Profile inputs, turned into service dataclasses at the edge."""

import strawberry

from graph.profiles import enums
from services.profiles.filters import FilterSpec
from services.profiles.search import ProfileSort


@strawberry.input(
    description="All given fields must hold (AND). Ages and probabilities are inclusive."
)
class ProfileFilter:
    gender: enums.Gender | None = None
    age_group: enums.AgeGroup | None = None
    country_id: str | None = strawberry.field(
        default=None, description="ISO 3166-1 alpha-2 code, any case; an unknown code is an error"
    )
    min_age: int | None = strawberry.field(default=None, description="Inclusive, 0..150")
    max_age: int | None = strawberry.field(default=None, description="Inclusive, 0..150")
    min_gender_probability: float | None = strawberry.field(
        default=None, description="Inclusive, 0..1"
    )
    min_country_probability: float | None = strawberry.field(
        default=None, description="Inclusive, 0..1"
    )

    def to_filter_spec(self) -> FilterSpec:
        return FilterSpec(
            gender=self.gender,
            age_group=self.age_group,
            country_id=self.country_id,
            min_age=self.min_age,
            max_age=self.max_age,
            min_gender_probability=self.min_gender_probability,
            min_country_probability=self.min_country_probability,
        )


@strawberry.input(
    name="ProfileSort", description="Sort order; ties are broken by id, so pages never overlap."
)
class ProfileSortInput:
    field: enums.ProfileSortField = enums.ProfileSortField.CREATED_AT
    order: enums.SortOrder = enums.SortOrder.DESC

    def to_sort_spec(self) -> ProfileSort:
        return ProfileSort(field=self.field, order=self.order)
