"""Age groups and their inclusive ranges: child 0-12, teenager 13-19, adult 20-59, senior 60+."""

from typing import Final

from services.profiles.enums import AgeGroup

MIN_AGE: Final = 0
MAX_AGE: Final = 150

AGE_GROUP_RANGES: Final[dict[AgeGroup, tuple[int, int]]] = {
    AgeGroup.CHILD: (0, 12),
    AgeGroup.TEENAGER: (13, 19),
    AgeGroup.ADULT: (20, 59),
    AgeGroup.SENIOR: (60, MAX_AGE),
}


def age_group_for(age: int) -> AgeGroup:
    """The one group an age belongs to: `age_group_for(13) -> AgeGroup.TEENAGER`."""
    for group, (low, high) in AGE_GROUP_RANGES.items():
        if low <= age <= high:
            return group
    raise ValueError(f"age {age} is outside {MIN_AGE}..{MAX_AGE}")


def group_with_range(low: int, high: int) -> AgeGroup | None:
    """The group whose range is exactly `low..high`, if there is one."""
    for group, bounds in AGE_GROUP_RANGES.items():
        if bounds == (low, high):
            return group
    return None
