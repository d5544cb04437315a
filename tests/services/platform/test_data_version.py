"""The data version: fresh for every caller, shared between callers that wait together."""

import asyncio

import asyncpg

from services.platform.data_version import DataVersion


async def test_concurrent_callers_share_reads(pool: asyncpg.Pool) -> None:
    versions = DataVersion(pool)
    tokens = await asyncio.gather(*(versions.current() for _ in range(50)))
    assert len(set(tokens)) == 1
    # All fifty arrived before the first read was sent: one read answers them all.
    assert versions.reads == 1


async def test_a_read_begun_after_a_commit_sees_it(pool: asyncpg.Pool, database_dsn: str) -> None:
    versions = DataVersion(pool)
    first = asyncio.create_task(versions.current())
    await asyncio.sleep(0)  # the first read is now on its way
    writer = await asyncpg.connect(database_dsn)
    try:
        await writer.execute("update data_version set version = version + 1")
    finally:
        await writer.close()
    second = await versions.current()
    before, after = await first, second
    epoch_before, number_before = before.split(":")
    epoch_after, number_after = after.split(":")
    assert epoch_before == epoch_after
    assert int(number_after) == int(number_before) + 1


async def test_the_token_carries_the_database_epoch(pool: asyncpg.Pool) -> None:
    token = await DataVersion(pool).current()
    async with pool.acquire() as conn:
        row = await conn.fetchrow("select epoch::text, version from data_version")
    assert row is not None
    assert token == f"{row['epoch']}:{row['version']}"
