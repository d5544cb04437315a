"""The rollups under concurrent writers: any interleaving of inserts (overlapping names,
committed or rolled back), deletes and rebuilds leaves every rollup equal to a recount, with
no deadlock (db/rollups.py changes rollup rows in key order)."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db import profiles as profiles_db
from db import rollups as rollups_db
from services.platform.ids import uuid7
from services.profiles.names import name_key

NAMES = [f"Writer Person {index}" for index in range(12)]
probabilities = st.one_of(st.none(), st.sampled_from([0.0, 0.004, 0.5, 0.505, 0.99, 1.0]))


@dataclass(frozen=True)
class Insert:
    names: list[str]
    country: str
    gender: str
    age: int
    gender_probability: float | None
    country_probability: float | None
    commit: bool
    hold: float  # seconds the transaction stays open after its statement


@dataclass(frozen=True)
class Delete:
    name: str
    hold: float


@dataclass(frozen=True)
class Rebuild:
    pass


holds = st.sampled_from([0.0, 0.0, 0.005, 0.02])
inserts = st.builds(
    Insert,
    names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=6),
    country=st.sampled_from(["NG", "KE", "GH"]),
    gender=st.sampled_from(["male", "female"]),
    age=st.sampled_from([0, 12, 13, 19, 20, 59, 60, 150]),
    gender_probability=probabilities,
    country_probability=probabilities,
    commit=st.booleans(),
    hold=holds,
)
deletes = st.builds(Delete, name=st.sampled_from(NAMES), hold=holds)
operations = st.one_of(inserts, inserts, deletes, st.just(Rebuild()))
writers = st.lists(st.lists(operations, min_size=1, max_size=4), min_size=2, max_size=4)


async def _apply(conn: asyncpg.Connection, operation: Insert | Delete | Rebuild) -> None:
    if isinstance(operation, Rebuild):
        async with conn.transaction():
            await rollups_db.rebuild(conn)
        return
    transaction = conn.transaction()
    await transaction.start()
    try:
        if isinstance(operation, Insert):
            # Sorted by name key, as ingestion batches are: writers lock names in one order.
            rows = sorted(
                (
                    (
                        uuid7(),
                        name,
                        name_key(name),
                        operation.gender,
                        operation.gender_probability,
                        operation.age,
                        operation.country,
                        "Somewhere",
                        operation.country_probability,
                        datetime.now(UTC),
                    )
                    for name in operation.names
                ),
                key=lambda row: str(row[2]),
            )
            await profiles_db.insert_profiles(conn, rows)
        else:
            found = await conn.fetchval(
                "select id from profiles where name_key = $1", name_key(operation.name)
            )
            if found is not None:
                await profiles_db.delete_profile(conn, found)
        await asyncio.sleep(operation.hold)
    except BaseException:
        await transaction.rollback()
        raise
    if isinstance(operation, Insert) and not operation.commit:
        await transaction.rollback()
    else:
        await transaction.commit()


async def _scenario(dsn: str, plan: list[list[Insert | Delete | Rebuild]]) -> None:
    connections = [await asyncpg.connect(dsn) for _ in plan]
    try:
        await rollups_db.delete_all_profiles(connections[0])

        async def writer(conn: asyncpg.Connection, steps: list[Insert | Delete | Rebuild]) -> None:
            for step in steps:
                await _apply(conn, step)

        await asyncio.wait_for(
            asyncio.gather(*(writer(c, s) for c, s in zip(connections, plan, strict=True))),
            timeout=30,
        )
        assert await rollups_db.select_differences(connections[0], limit=10) == []
        stored = await connections[0].fetchval("select count(*) from profiles")
        total = await connections[0].fetchval("select coalesce(sum(count), 0) from profile_totals")
        assert stored == total
    finally:
        for conn in connections:
            await conn.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=writers)
def test_any_interleaving_of_writers_leaves_every_rollup_exact(
    database_dsn: str, plan: list[list[Insert | Delete | Rebuild]]
) -> None:
    asyncio.run(_scenario(database_dsn, plan))
