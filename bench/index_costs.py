"""What each index costs ingestion: the normal write path (COPY into staging, one insert ...
on conflict per batch with its rollup upkeep) with every index, and with each secondary index
dropped in turn. Every measurement runs in a transaction that is rolled back: the dataset is
unchanged. Each configuration is timed three times, interleaved with the others, and the best time
kept: on a shared machine single runs differ by more than one index costs."""

import time
from dataclasses import dataclass

import asyncpg

from db import profiles as profiles_db
from db.pool import Connection
from db.profiles_bulk import SELECT_SECONDARY_INDEXES
from services.profiles.synthetic import SyntheticProfiles

# A seed far from the dataset's: its names are (nearly all) new, as an upload's would be.
_FRESH_SEED = 424_242
_ROUNDS = 3


@dataclass(frozen=True)
class IndexCost:
    configuration: str
    rows: int
    inserted: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.inserted / self.seconds


async def measure_index_costs(pool: asyncpg.Pool, *, rows: int) -> list[IndexCost]:
    batch = list(SyntheticProfiles(_FRESH_SEED).rows(rows))
    async with pool.acquire() as conn:
        # Unique indexes are not optional: the write path's ON CONFLICT needs them.
        names = [
            row["name"]
            for row in await conn.fetch(SELECT_SECONDARY_INDEXES)
            if not row["definition"].startswith("CREATE UNIQUE")
        ]
        configurations: list[tuple[str, list[str]]] = [("all indexes", [])]
        configurations += [(f"without {name}", [name]) for name in names]
        configurations.append(("primary key + unique name only", names))
        await _insert_and_roll_back(conn, batch, [])  # warm the caches once
        best: dict[str, IndexCost] = {}
        for _ in range(_ROUNDS):
            for label, dropped in configurations:
                cost = await _insert_and_roll_back(conn, batch, dropped, label)
                if label not in best or cost.seconds < best[label].seconds:
                    best[label] = cost
        return [best[label] for label, _ in configurations]


async def _insert_and_roll_back(
    conn: Connection,
    batch: list[tuple[object, ...]],
    dropped: list[str],
    label: str = "",
) -> IndexCost:
    transaction = conn.transaction()
    await transaction.start()
    try:
        await conn.execute("set local statement_timeout = 0")
        for name in dropped:
            await conn.execute(f"drop index {name}")
        started = time.perf_counter()
        inserted = await profiles_db.insert_profiles(conn, batch)
        seconds = time.perf_counter() - started
    finally:
        await transaction.rollback()
    return IndexCost(label, len(batch), inserted, seconds)
