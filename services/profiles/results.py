"""What profile reads return: pages of profiles with their exact total, and group counts."""

from dataclasses import dataclass
from typing import NamedTuple

from services.profiles.filters import CanonicalFilter
from services.profiles.profile import Profile


class ProfileEdge(NamedTuple):
    """One per row of a page, like Profile: a named tuple for the same reason."""

    cursor: str
    node: Profile


@dataclass(frozen=True, slots=True)
class ProfilePage:
    edges: list[ProfileEdge]
    has_next_page: bool
    has_previous_page: bool
    total_count: int
    filter: CanonicalFilter
    cache_key: str
    # Words of this request's text that carried no meaning. Set after the cache, never stored:
    # texts with equal meaning share one cached page but not their unused words.
    unmatched: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProfileGroup:
    key: dict[str, str | int]
    count: int
