"""Fan-out of PostgreSQL notifications to waiters in this process (docs/operations.md).

Writers `pg_notify(channel, key)` inside the transaction that changes something (delivered on
commit; the key is an id, payloads stay small). A subscriber opens `hub.watch(channel, key)`
before reading the current state, then alternates `wait()` and re-reading. `wait` also returns
after the listener reconnects (notifications may have been missed) and after `timeout`, so a
subscriber never depends on a notification arriving.

A `Follower` hears every payload on one channel instead, and whether the connection is up: for
state kept in memory from notifications (services/platform/data_version.py's `LiveVersion`).
"""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Final, Protocol

from db.listener import Listener
from services.platform.retry import RetryConfig, endless_waits
from services.platform.waiting import wait_at_most

# The LISTEN connection comes back on the retry policy's schedule: first wait within 0.5 s,
# doubling, never more than 30 s.
LISTENER_RECONNECT: Final = RetryConfig(initial_delay=0.5, max_delay=30.0)


class Watch:
    def __init__(self, event: asyncio.Event) -> None:
        self._event = event

    async def wait(self, at_most: float) -> None:
        """Until something may have changed, or `at_most` seconds."""
        await wait_at_most(self._event, at_most)
        self._event.clear()


class Follower(Protocol):
    def heard(self, payload: str) -> None: ...

    def connected(self) -> None:
        """The connection is (again) up: anything sent while it was down was missed."""

    def disconnected(self) -> None: ...


class NotificationHub:
    """One LISTEN connection per process, shared by every subscription in it."""

    def __init__(self, dsn: str) -> None:
        self._listener = Listener(
            dsn,
            on_notification=self._deliver,
            on_connected=self._connected,
            on_disconnected=self._disconnected,
            reconnect_waits=lambda: endless_waits(LISTENER_RECONNECT),
        )
        self._waiters: defaultdict[tuple[str, str], set[asyncio.Event]] = defaultdict(set)
        self._followers: defaultdict[str, list[Follower]] = defaultdict(list)

    def start(self) -> None:
        self._listener.start()

    async def close(self) -> None:
        await self._listener.close()

    @contextlib.asynccontextmanager
    async def watch(self, channel: str, key: str) -> AsyncIterator[Watch]:
        event = asyncio.Event()
        waiters = self._waiters[(channel, key)]
        waiters.add(event)
        try:
            await self._listener.listen(channel)
            yield Watch(event)
        finally:
            waiters.discard(event)
            if not waiters:
                self._waiters.pop((channel, key), None)

    async def follow(self, channel: str, follower: Follower) -> None:
        """`follower` hears every notification on `channel` from now on, for the hub's life."""
        self._followers[channel].append(follower)
        await self._listener.listen(channel)
        if self._listener.is_connected:
            follower.connected()

    def _deliver(self, channel: str, key: str) -> None:
        for follower in self._followers.get(channel, ()):
            follower.heard(key)
        for event in self._waiters.get((channel, key), ()):
            event.set()

    def _connected(self) -> None:
        for followers in self._followers.values():
            for follower in followers:
                follower.connected()
        for waiters in self._waiters.values():
            for event in waiters:
                event.set()

    def _disconnected(self) -> None:
        for followers in self._followers.values():
            for follower in followers:
                follower.disconnected()
