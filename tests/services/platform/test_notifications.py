"""The notification hub: one LISTEN connection, fan-out by key, recovery after it drops."""

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from db.listener import Listener
from services.platform.notifications import NotificationHub
from services.platform.retry import RetryConfig, endless_waits
from tests.polling import eventually

CHANNEL = "test_channel"
TERMINATE_LISTENERS = """
select count(pg_terminate_backend(pid))
  from pg_stat_activity
 where application_name = 'insighta-listener' and datname = current_database()
"""


@pytest.fixture
async def hub(database_dsn: str) -> AsyncIterator[NotificationHub]:
    hub = NotificationHub(database_dsn)
    hub.start()
    yield hub
    await hub.close()


async def listening(pool: asyncpg.Pool) -> int:
    return int(
        await pool.fetchval(
            "select count(*) from pg_stat_activity where application_name = 'insighta-listener'"
            " and datname = current_database() and query ilike 'LISTEN%test_channel%'"
        )
    )


async def test_a_notification_wakes_only_the_watchers_of_its_key(
    hub: NotificationHub, pool: asyncpg.Pool
) -> None:
    async with hub.watch(CHANNEL, "a") as a, hub.watch(CHANNEL, "b") as b:
        await eventually(lambda: listening(pool), bool, message="the LISTEN")
        # The listener wakes every watcher once it has connected, just after its LISTEN shows in
        # pg_stat_activity; that wake is not the news here, so wait it out rather than race it
        # (under load it landed after a zero wait and woke `b` early). The hub is new, so the
        # wake comes; the bound only keeps a missed one from hanging the test.
        await a.wait(10)
        await b.wait(10)
        await pool.execute("select pg_notify($1, 'a')", CHANNEL)
        async with asyncio.timeout(10):
            await a.wait(60)  # returns on the notification, long before 60 s
        woken_b = asyncio.create_task(b.wait(60))
        await asyncio.sleep(0)
        assert not woken_b.done()
        await pool.execute("select pg_notify($1, 'b')", CHANNEL)
        async with asyncio.timeout(10):
            await woken_b


async def test_wait_gives_up_after_its_time(hub: NotificationHub) -> None:
    async with hub.watch(CHANNEL, "quiet") as quiet, asyncio.timeout(5):
        await quiet.wait(0.05)


async def test_listener_reconnects_and_wakes_everyone_after_losing_its_connection(
    hub: NotificationHub, pool: asyncpg.Pool
) -> None:
    async with hub.watch(CHANNEL, "k") as watch:
        await eventually(lambda: listening(pool), bool, message="the LISTEN")
        assert await pool.fetchval(TERMINATE_LISTENERS) >= 1
        async with asyncio.timeout(10):
            await watch.wait(60)  # woken by the reconnect: notifications may have been missed
        await eventually(lambda: listening(pool), bool, message="the LISTEN again")
        await pool.execute("select pg_notify($1, 'k')", CHANNEL)
        async with asyncio.timeout(10):
            await watch.wait(60)


async def test_a_listener_that_cannot_connect_waits_the_retry_policys_times() -> None:
    given: list[float] = []

    def waits() -> Iterator[float]:
        for wait in endless_waits(RetryConfig(initial_delay=0.01, max_delay=0.04), float):
            given.append(wait)
            yield wait

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    listener = Listener(
        f"postgresql://postgres@127.0.0.1:{port}/postgres",
        on_notification=lambda channel, payload: None,
        on_connected=lambda: None,
        reconnect_waits=waits,
    )
    listener.start()
    try:
        await eventually(lambda: _count(given), lambda n: n >= 5, message="five retries")
    finally:
        await listener.close()
    assert given[:5] == [0.01, 0.02, 0.04, 0.04, 0.04]  # the policy's bounds, capped


async def _count(items: list[float]) -> int:
    return len(items)


async def test_watches_opened_at_once_on_many_channels_are_all_listened_to(
    hub: NotificationHub, pool: asyncpg.Pool
) -> None:
    channels = [f"{CHANNEL}_{index}" for index in range(12)]
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(hub.watch(CHANNEL, "first"))
        await eventually(lambda: listening(pool), bool, message="the listener connected")
        # The first LISTEN on each channel is a statement; at once, they share one connection.
        watches = await asyncio.gather(
            *(stack.enter_async_context(hub.watch(channel, "k")) for channel in channels)
        )
        for channel in channels:
            await pool.execute("select pg_notify($1, 'k')", channel)
        async with asyncio.timeout(10):
            for watch in watches:
                await watch.wait(60)  # a channel not listened to would wait the full minute
