"""An independent oracle over the demo profiles: plain Python over the JSON file."""

from collections.abc import Callable
from functools import cache
from typing import Any

import orjson

from services.profiles.seed import DEMO_PROFILES

Record = dict[str, Any]


@cache
def demo_records() -> tuple[Record, ...]:
    return tuple(orjson.loads(DEMO_PROFILES.read_bytes())["profiles"])


def count_where(predicate: Callable[[Record], bool]) -> int:
    return sum(1 for record in demo_records() if predicate(record))


def matches(
    record: Record,
    *,
    gender: str | None = None,
    country: str | None = None,
    min_age: int | None = None,
    max_age: int | None = None,
    age_group: str | None = None,
    min_gender_probability: float | None = None,
    min_country_probability: float | None = None,
) -> bool:
    return (
        (gender is None or record["gender"] == gender)
        and (country is None or record["country_id"] == country)
        and (min_age is None or record["age"] >= min_age)
        and (max_age is None or record["age"] <= max_age)
        and (age_group is None or record["age_group"] == age_group)
        and (
            min_gender_probability is None or record["gender_probability"] >= min_gender_probability
        )
        and (
            min_country_probability is None
            or record["country_probability"] >= min_country_probability
        )
    )
