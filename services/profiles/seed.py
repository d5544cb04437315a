"""The 2026 demo profiles: loaded once, idempotently (a name already stored is left alone)."""

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import asyncpg
import orjson

from db import profiles as profiles_db
from services.platform.ids import uuid7
from services.profiles.countries import country_name
from services.profiles.enums import Gender
from services.profiles.names import name_key, normalize_name

DEMO_PROFILES: Final = Path(__file__).with_name("seed_profiles.json")


@dataclass(frozen=True, slots=True)
class SeedResult:
    total: int
    inserted: int

    @property
    def already_present(self) -> int:
        return self.total - self.inserted


async def seed_demo_profiles(
    pool: asyncpg.Pool, path: Path = DEMO_PROFILES, *, now: datetime | None = None
) -> SeedResult:
    records = orjson.loads(await asyncio.to_thread(path.read_bytes))["profiles"]
    rows = list(profile_rows(records, now=now or datetime.now(UTC)))
    async with pool.acquire() as conn, conn.transaction():
        inserted = await profiles_db.insert_profiles(conn, rows)
    return SeedResult(total=len(rows), inserted=inserted)


def profile_rows(
    records: Iterable[Mapping[str, Any]], *, now: datetime
) -> Iterable[tuple[Any, ...]]:
    """Rows in `db.profiles.STAGING_COLUMNS` order from trusted demo records."""
    for record in records:
        name = normalize_name(record["name"])
        country_id = record["country_id"].strip().upper()
        yield (
            uuid7(),
            name,
            name_key(name),
            Gender(record["gender"].strip().lower()).value,
            record.get("gender_probability"),
            int(record["age"]),
            country_id,
            record.get("country_name") or country_name(country_id) or country_id,
            record.get("country_probability"),
            now,
        )
