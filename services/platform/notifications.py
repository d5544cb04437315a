"""Fan-out of PostgreSQL notifications to waiters in this process (docs/operations.md).

Writers `pg_notify(channel, key)` inside the transaction that changes something (delivered on
commit; the key is an id, payloads stay small). A subscriber opens `hub.watch(channel, key)`
before reading the current state, then alternates `wait()` and re-reading. `wait` also returns
after the listener reconnects (notifications may have been missed) and after `timeout`, so a
subscriber never depends on a notification arriving.
"""

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Final

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


class NotificationHub:
    """One LISTEN connection per process, shared by every subscription in it."""

    def __init__(self, dsn: str) -> None:
        self._listener = Listener(
            dsn,
            on_notification=self._deliver,
            on_connected=self._wake_all,
            reconnect_waits=lambda: endless_waits(LISTENER_RECONNECT),
        )
        self._waiters: defaultdict[tuple[str, str], set[asyncio.Event]] = defaultdict(set)

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

    def _deliver(self, channel: str, key: str) -> None:
        for event in self._waiters.get((channel, key), ()):
            event.set()

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for event in waiters:
                event.set()
