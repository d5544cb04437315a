"""Domain enums for profiles; the GraphQL layer wraps these, never redefines them."""

from enum import Enum


class Gender(Enum):
    MALE = "male"
    FEMALE = "female"


class AgeGroup(Enum):
    CHILD = "child"
    TEENAGER = "teenager"
    ADULT = "adult"
    SENIOR = "senior"


class ProfileSortField(Enum):
    CREATED_AT = "created_at"
    AGE = "age"
    GENDER_PROBABILITY = "gender_probability"
    COUNTRY_PROBABILITY = "country_probability"
    NAME = "name"


class SortOrder(Enum):
    ASC = "asc"
    DESC = "desc"


class ProfileDimension(Enum):
    GENDER = "gender"
    AGE_GROUP = "age_group"
    COUNTRY = "country"
    AGE = "age"
