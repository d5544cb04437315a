"""The data version: fresh for every caller, shared between callers that wait together."""

import asyncio
from typing import Any, cast

import asyncpg
import pytest

from services.platform import data_version
from services.platform.data_version import DataVersion, LiveVersion
from tests.polling import eventually


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


class _SlowVersions:
    """A DataVersion whose reads answer when the test says, with the database's version then."""

    def __init__(self) -> None:
        self.database = "e:1"
        self.pending: list[asyncio.Future[None]] = []

    async def current(self) -> str:
        # The version is taken when the read is sent, as PostgreSQL would take its snapshot.
        seen = self.database
        answer = asyncio.get_running_loop().create_future()
        self.pending.append(answer)
        await answer
        return seen

    def answer_all(self) -> None:
        for answer in self.pending:
            if not answer.done():
                answer.set_result(None)


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_read_begun_before_the_listener_dropped_does_not_mark_it_up() -> None:
    versions = _SlowVersions()
    live = LiveVersion(cast(Any, versions))
    live.connected()
    await _settle()
    live.disconnected()  # the listener drops while the version is read
    versions.answer_all()
    await _settle()
    assert live.known() is None  # nothing is heard now: no version may be trusted


async def test_a_write_missed_while_down_is_not_hidden_by_an_older_read() -> None:
    versions = _SlowVersions()
    live = LiveVersion(cast(Any, versions))
    live.connected()
    await _settle()  # the read after the first connect is sent: it sees e:1
    live.disconnected()
    versions.database = "e:2"  # a write commits while nobody listens: its NOTIFY is lost
    live.connected()  # the listener is back; only a read sent from now on sees e:2
    versions.answer_all()
    await _settle()
    versions.answer_all()
    await _settle()
    assert live.known() in (None, "e:2")


class _Versions:
    def __init__(self) -> None:
        self.database = "e:1"

    async def current(self) -> str:
        return self.database


async def test_a_listener_that_stops_hearing_leaves_answers_stale_one_confirmation_at_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Half-open: the connection looks up but no notification arrives. The version read every
    CONFIRM_SECONDS catches the write anyway."""
    monkeypatch.setattr(data_version, "CONFIRM_SECONDS", 0.01)
    versions = _Versions()
    live = LiveVersion(cast(Any, versions))
    live.connected()

    async def known() -> str | None:
        return live.known()

    await eventually(known, lambda version: version == "e:1", within=5, interval=0.005)
    versions.database = "e:2"  # a write whose NOTIFY never comes
    await eventually(known, lambda version: version == "e:2", within=5, interval=0.005)
    await live.close()
    assert live.known() is None
