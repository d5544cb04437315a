"""Profiles from names, and deleting one (docs/api.md, Profiles from names).

A name is normalised and made unique exactly as a CSV row's is (services/profiles/names.py):
"  ella " and "ELLA" are one person. A name already stored returns that profile with
`created=False`. Every new name goes to Genderize, Agify and Nationalize
(services/demographics/lookup.py); if any of them has no usable answer for a name (gender null
or a sample of 0, age null, no country), nothing at all is stored and the error is
BAD_USER_INPUT naming the service and the names: asking again will not change the answer, a
different name will. A service that fails (down, timing out, over its limit, answering
nonsense) is UPSTREAM_UNAVAILABLE, from the retry policy. The new profiles are inserted by one
statement and added to the rollups in the same transaction (db/rollups.py), which keeps every
total exact and bumps the data version, so no cached answer outlives the write.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from uuid import UUID

import asyncpg

from db import profiles as profiles_db
from services.demographics.guesses import NameService
from services.demographics.lookup import NameGuesses, NameLookup
from services.errors import ErrorCode, ServiceError, bad_input
from services.ingestion.rows import MAX_VALUE_CHARS
from services.platform.cache import ResultCache
from services.profiles.countries import country_name
from services.profiles.names import name_key, normalize_name
from services.profiles.profile import Profile
from services.profiles.search import profile_from_row

logger = logging.getLogger(__name__)

MAX_NAMES: Final = 100
# Names quoted in an error message, so that 100 unknown names stay one readable line.
_MAX_QUOTED_NAMES: Final = 5


@dataclass(frozen=True, slots=True)
class ProfileCreation:
    profile: Profile
    created: bool
    # Made just now with guesses from the offline provider (services/demographics/offline.py).
    offline: bool = False


def clean_name(raw: str, *, field: str) -> str:
    """The stored form of a name, or BAD_USER_INPUT: `" Ella \\n Obi "` -> `"Ella Obi"`."""
    name = normalize_name(raw)
    if not name:
        raise bad_input("a name must not be empty", field=field)
    if "\x00" in name:
        raise bad_input("a name must not contain NUL characters", field=field)
    if len(name) > MAX_VALUE_CHARS:
        raise bad_input(f"a name is at most {MAX_VALUE_CHARS} characters", field=field)
    return name


async def create_profiles(
    pool: asyncpg.Pool,
    lookup: NameLookup,
    raw_names: Sequence[str],
    *,
    cache: ResultCache | None,
    field: str = "names",
) -> list[ProfileCreation]:
    """One creation per name, in order; a name repeated in the list is created once."""
    if len(raw_names) > MAX_NAMES:
        raise bad_input(f"at most {MAX_NAMES} names at once, got {len(raw_names)}", field=field)
    names = [clean_name(raw, field=field) for raw in raw_names]
    keys = [name_key(name) for name in names]
    # The first spelling of a name in the list is the one stored.
    wanted: dict[str, str] = {}
    for key, name in zip(keys, names, strict=True):
        wanted.setdefault(key, name)
    async with pool.acquire() as conn:
        stored = {
            row["name_key"]: profile_from_row(row)
            for row in await profiles_db.select_profiles_by_name_keys(conn, list(wanted))
        }
    new = {key: name for key, name in wanted.items() if key not in stored}
    created: dict[str, Profile] = {}
    if new:
        guesses = await lookup.lookup(list(new.values()), cache=cache)
        check_usable(guesses, field=field)
        rows = [_row(key, name, guesses[name]) for key, name in new.items()]
        async with pool.acquire() as conn:
            inserted = await profiles_db.insert_profiles_returning(conn, rows)
            created = {row["name_key"]: profile_from_row(row) for row in inserted}
            # Stored by someone else between our read and our insert: theirs is the profile.
            raced = [key for key in new if key not in created]
            if raced:
                for row in await profiles_db.select_profiles_by_name_keys(conn, raced):
                    stored[row["name_key"]] = profile_from_row(row)
        logger.info("profiles created from names", extra={"profiles_created": len(created)})
    results = []
    reported: set[str] = set()
    for key in keys:
        is_new = key in created and key not in reported
        reported.add(key)
        results.append(
            ProfileCreation(
                profile=created.get(key) or stored[key],
                created=is_new,
                offline=is_new and lookup.offline,
            )
        )
    return results


def _row(key: str, name: str, guesses: NameGuesses) -> profiles_db.NewProfileRow:
    # Checked for the whole list before this, so one bad name stores nothing.
    gender, age, country = guesses.gender, guesses.age, guesses.country
    assert gender.gender is not None
    assert age.age is not None
    assert country.country_id is not None
    return profiles_db.NewProfileRow(
        name=name,
        name_key=key,
        gender=gender.gender,
        gender_probability=gender.probability,
        age=age.age,
        country_id=country.country_id,
        country_name=country_name(country.country_id) or country.country_id,
        country_probability=country.probability,
        sample_size=gender.count,
    )


def check_usable(guesses: dict[str, NameGuesses], *, field: str) -> None:
    """BAD_USER_INPUT naming the first service (Genderize, Agify, Nationalize) that has no
    usable answer for some names, and those names."""
    for service, unusable in (
        (NameService.GENDERIZE, [n for n, g in guesses.items() if not g.gender.usable]),
        (NameService.AGIFY, [n for n, g in guesses.items() if not g.age.usable]),
        (NameService.NATIONALIZE, [n for n, g in guesses.items() if not g.country.usable]),
    ):
        if unusable:
            quoted = ", ".join(repr(name) for name in unusable[:_MAX_QUOTED_NAMES])
            more = len(unusable) - _MAX_QUOTED_NAMES
            if more > 0:
                quoted += f" and {more} more"
            raise bad_input(
                f"{service.title} knows nothing usable about {quoted}; nothing was stored",
                field=field,
            )


async def delete_profile(pool: asyncpg.Pool, profile_id: UUID) -> None:
    """NOT_FOUND when no profile has this id."""
    async with pool.acquire() as conn:
        deleted = await profiles_db.delete_profile(conn, profile_id)
    if not deleted:
        raise ServiceError(ErrorCode.NOT_FOUND, f"no profile has the id {profile_id}", field="id")
    logger.info("profile deleted", extra={"profile_id": str(profile_id)})
