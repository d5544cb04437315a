"""The data version: a number every committed write to profiles bumps (db triggers).

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
import logging

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
