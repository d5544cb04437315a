"""One dedicated connection per process for LISTEN, reconnected whenever it drops.

LISTEN cannot use pool connections: the pool's reset runs `UNLISTEN *` on every release. A
notification's payload is handed to `on_notification(channel, payload)`; after every
(re)connect `on_connected()` runs, since anything sent while the connection was down was
missed, and `on_disconnected()` when it drops (nothing is heard until the next
`on_connected`). Failed connects are retried forever, waiting what `reconnect_waits()`
yields (the caller passes the retry policy's schedule; db knows no policy of its own).
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any, Final

import asyncpg

from db.pool import APPLICATION_NAME

logger = logging.getLogger(__name__)

# What a statement on a connection that is failing or being terminated may raise.
_CONNECTION_ERRORS: Final = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
)


class Listener:
    def __init__(
        self,
        dsn: str,
        *,
        on_notification: Callable[[str, str], None],
        on_connected: Callable[[], None],
        on_disconnected: Callable[[], None] = lambda: None,
        reconnect_waits: Callable[[], Iterator[float]],
    ) -> None:
        self._dsn = dsn
        self._reconnect_waits = reconnect_waits
        self._on_notification = on_notification
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._channels: set[str] = set()
        self._conn: asyncpg.Connection | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep_connected(), name="pg-listener")

    @property
    def is_connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def listen(self, channel: str) -> None:
        """Listen on `channel` from now on (and after every reconnect)."""
        # One statement at a time on the one connection: two first LISTENs at once would make
        # asyncpg refuse the second ("another operation is in progress").
        async with self._lock:
            self._channels.add(channel)
            conn = self._conn
            if conn is None or conn.is_closed():
                return  # the (re)connect listens to every channel
            try:
                await conn.add_listener(channel, self._deliver)
            except _CONNECTION_ERRORS:
                # The connection is going: the reconnect listens again and wakes every waiter.
                logger.warning("could not LISTEN; will after reconnecting", exc_info=True)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _keep_connected(self) -> None:
        waits = self._reconnect_waits()
        while True:
            try:
                conn = await asyncpg.connect(
                    self._dsn, server_settings={"application_name": f"{APPLICATION_NAME}-listener"}
                )
            except _CONNECTION_ERRORS as error:
                delay = next(waits)
                logger.warning(
                    "listener cannot connect, retrying",
                    extra={"error": str(error), "retry_in_seconds": round(delay, 3)},
                )
                await asyncio.sleep(delay)
                continue
            lost = asyncio.Event()
            conn.add_termination_listener(_setter(lost))
            async with self._lock:
                try:
                    for channel in sorted(self._channels):
                        await conn.add_listener(channel, self._deliver)
                    self._conn, waits = conn, self._reconnect_waits()
                except _CONNECTION_ERRORS:
                    logger.warning("listener lost its connection while subscribing", exc_info=True)
                    conn.terminate()
            if self._conn is not conn:
                await asyncio.sleep(next(waits))  # not holding the lock: listen() must not wait
                continue
            self._on_connected()
            try:
                await lost.wait()
            finally:
                # On close (a cancellation) the connection stays for close() to end.
                self._on_disconnected()
            self._conn = None
            logger.warning("listener connection lost, reconnecting")

    def _deliver(self, conn: Any, pid: int, channel: str, payload: object) -> None:
        self._on_notification(channel, str(payload))


def _setter(event: asyncio.Event) -> Callable[[object], None]:
    return lambda _: event.set()
