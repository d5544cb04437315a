"""A stored demographic profile, as services hand it out."""

from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from services.profiles.enums import AgeGroup, Gender


class Profile(NamedTuple):
    """Immutable (cached pages share them). A named tuple rather than a frozen dataclass: a
    page makes one per row, and a tuple is made in a third of the time."""

    id: UUID
    name: str
    gender: Gender
    gender_probability: float | None
    age: int
    age_group: AgeGroup
    country_id: str
    country_name: str
    country_probability: float | None
    created_at: datetime
    # Genderize's count: how many people the gender guess rests on; None for profiles from
    # CSV files, the demo data or the offline provider.
    sample_size: int | None = None
