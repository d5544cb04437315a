"""The data version: a number every committed write to profiles bumps (db/rollups.py).

Cached answers are keyed by it, so an answer is never older than the last committed write, from
this process or any other (ingestion workers, `insighta seed`, other servers).

Why a read and not LISTEN/NOTIFY: a notification reaches a listening connection after the
writer's commit returns, not before. Measured on PostgreSQL 15, 500 writes each followed at once
by a look at the listener: 427 not yet delivered (203 still missing after one event-loop turn).
A cache that trusted notifications would serve the old answer to exactly the client that just
wrote. Reading the version costs one round trip (~46 us through the pool, measured), and
requests share it: while one read is in flight, every request that arrives waits for the next
read, which starts after they arrived and so sees every write committed before them. Under
load one read serves many requests; an idle server pays one round trip per request.
"""

import asyncio
import contextlib
import logging
from typing import Final

import asyncpg

from db import profiles as profiles_db
from db.pool import run_read

logger = logging.getLogger(__name__)


class DataVersion:
    """`await current()` returns a version at least as new as every write committed before the
    call began; concurrent callers share reads.

    The version is a token, "<epoch>:<number>": the epoch is random per database, so versions
    of two databases (or of a database made again) never look alike.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        # The read that callers arriving now will get: not sent yet, so it is fresh for them.
        self._next: asyncio.Future[str] | None = None
        self._reader: asyncio.Task[None] | None = None
        self.reads = 0

    async def current(self) -> str:
        upcoming = self._next
        if upcoming is None:
            upcoming = self._next = asyncio.get_running_loop().create_future()
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read_while_wanted())
        # Shielded: a caller that goes away must not cancel the read others wait for.
        return await asyncio.shield(upcoming)

    async def _read_while_wanted(self) -> None:
        while self._next is not None:
            wanted, self._next = self._next, None
            try:
                version = await run_read(self._pool, profiles_db.get_data_version_token)
            except Exception as error:
                if not wanted.done():
                    wanted.set_exception(error)
                    # Each waiter re-raises it; this marks it retrieved when there are none.
                    wanted.exception()
                continue
            self.reads += 1
            if not wanted.done():
                wanted.set_result(version)


# Waiting for a write's own notification to come back stops here: the listener is then slow or
# down, and other processes learn of the write when their listener delivers it.
ECHO_WAIT_SECONDS: Final = 1.0
# How often the version is also read while the listener is up (one statement a second).
CONFIRM_SECONDS: Final = 1.0


def _newer(candidate: str, than: str | None) -> bool:
    """Whether version token `candidate` supersedes `than`: a higher number in the same epoch,
    or any number in another epoch (the database was made again). ValueError if malformed."""
    epoch, _, number = candidate.rpartition(":")
    count = int(number)
    if than is None:
        return True
    known_epoch, _, known_number = than.rpartition(":")
    return epoch != known_epoch or count > int(known_number)


class LiveVersion:
    """The data version as this process knows it, with no round trip: for the response cache
    (server/response_cache.py), whose hits must not touch the database.

    It follows the `data_version` channel (`data_version_bump()`, db/migrations/0048): every
    committed bump is heard within the notification delay. A write made through this process
    raises it at once (`after_write`) and then waits, bounded, for its own notification to
    come back: by then the listeners of the other processes have had it delivered too, so a
    client that writes through one process and reads through another reads its write.
    While the listener is down, and until the version has been read after it (re)connects,
    `known()` is None: callers then take the path that reads the version.
    """

    def __init__(self, versions: DataVersion) -> None:
        self._versions = versions
        self._known: str | None = None
        self._heard: str | None = None  # the newest version the listener delivered
        self._connected = False
        self._listening = False  # whether the listener is up now, as it last said
        # Counts the listener's connects and drops: a version read across one of them may
        # predate a write whose notification was lost, so it is read again.
        self._changes = 0
        self._echoes: list[tuple[str, asyncio.Future[None]]] = []
        self._refresh: asyncio.Task[None] | None = None

    def known(self) -> str | None:
        return self._known if self._connected else None

    # Follower (services/platform/notifications.py)
    def heard(self, payload: str) -> None:
        try:
            if _newer(payload, self._heard):
                self._heard = payload
            if _newer(payload, self._known):
                self._known = payload
        except ValueError:
            logger.warning(
                "ignoring a malformed data version notification", extra={"payload": payload}
            )
            return
        self._release_echoes()

    def connected(self) -> None:
        self._connected = False  # until the version is read: a write may have been missed
        self._listening = True
        self._changes += 1
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.create_task(self._read_after_connect())

    def disconnected(self) -> None:
        self._connected = False
        self._listening = False
        self._changes += 1

    async def _read_after_connect(self) -> None:
        """Reads the version once the listener is up, then again every CONFIRM_SECONDS while
        it stays up: a listener that stops hearing without its connection closing (half-open
        after a network partition) leaves answers stale by at most that long."""
        failing = False
        while self._listening:
            changes = self._changes
            try:
                version = await self._versions.current()
            except Exception:
                if not failing:
                    logger.warning(
                        "could not read the data version; responses uncached until it can",
                        exc_info=True,
                    )
                failing = True
                self._connected = False
                await asyncio.sleep(CONFIRM_SECONDS)
                continue
            failing = False
            self._observe(version)
            if changes == self._changes and not self._connected:
                # Read wholly after the (re)connect: every later write will be heard.
                if _newer(version, self._heard):
                    self._heard = version
                self._connected = True
                self._release_echoes()
            await asyncio.sleep(CONFIRM_SECONDS)

    async def close(self) -> None:
        self._listening = self._connected = False
        if self._refresh is not None:
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh

    async def after_write(self) -> None:
        """Call once a write of this process has committed: the version read now covers it.
        Returns when the listener has delivered that version (or after ECHO_WAIT_SECONDS)."""
        version = await self._versions.current()
        self._observe(version)
        if not self._connected or not _newer(version, self._heard):
            return
        echo = asyncio.get_running_loop().create_future()
        self._echoes.append((version, echo))
        try:
            await asyncio.wait_for(asyncio.shield(echo), ECHO_WAIT_SECONDS)
        except TimeoutError:
            logger.warning(
                "the data version's notification is late;"
                " other processes may serve older answers meanwhile"
            )
        finally:
            self._echoes = [(v, f) for v, f in self._echoes if f is not echo]

    def _observe(self, version: str) -> None:
        if _newer(version, self._known):
            self._known = version

    def _release_echoes(self) -> None:
        for version, echo in self._echoes:
            if not echo.done() and not _newer(version, self._heard):
                echo.set_result(None)


def is_older(version: str, than: str) -> bool:
    """Whether data at `version` may lack a write that `than` includes."""
    return _newer(than, version)
