"""GraphQL enums for profiles: the service enums, registered with Strawberry (values are names)."""

from typing import TypeAlias

import strawberry

from services.profiles import enums

strawberry.enum(enums.Gender, name="Gender")
strawberry.enum(
    enums.AgeGroup,
    name="AgeGroup",
    description="child 0-12, teenager 13-19, adult 20-59, senior 60+",
)
strawberry.enum(enums.ProfileSortField, name="ProfileSortField")
strawberry.enum(enums.SortOrder, name="SortOrder")
strawberry.enum(enums.ProfileDimension, name="ProfileDimension")

Gender: TypeAlias = enums.Gender
AgeGroup: TypeAlias = enums.AgeGroup
ProfileSortField: TypeAlias = enums.ProfileSortField
SortOrder: TypeAlias = enums.SortOrder
ProfileDimension: TypeAlias = enums.ProfileDimension
