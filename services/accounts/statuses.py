"""Whether a user token's account is still active: asked on every request that carries one.

The answer is one primary-key lookup, remembered per process for `USER_STATUS_CACHE_SECONDS`
(default 5) in a small bounded dict, so a busy client costs one lookup per few seconds rather
than one per request. Deactivating a user forgets the entry in the process that did it, which
therefore refuses the user at once; other processes follow within the cache time.
"""

import time
from collections.abc import Callable
from typing import Final
from uuid import UUID

import asyncpg

from db import accounts as accounts_db

# Beyond this many remembered users the oldest entry goes; 10k entries are ~2 MB.
MAX_REMEMBERED: Final = 10_000


class UserStatuses:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        ttl_seconds: float,
        max_entries: int = MAX_REMEMBERED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        # user id -> (expires at on `clock`, active); insertion order is age order.
        self._entries: dict[UUID, tuple[float, bool]] = {}
        # Bumped by forget(): an answer read before a forget may predate the change it was for.
        self._forgets = 0

    async def is_active(self, user_id: UUID) -> bool:
        """False for a disabled account, and for one that no longer exists."""
        now = self._clock()
        entry = self._entries.get(user_id)
        if entry is not None and entry[0] > now:
            return entry[1]
        forgets = self._forgets
        async with self._pool.acquire() as conn:
            active = bool(await accounts_db.get_user_is_active(conn, user_id))
        if self._ttl > 0 and forgets == self._forgets:
            self._remember(user_id, now + self._ttl, active)
        return active

    def forget(self, user_id: UUID) -> None:
        self._forgets += 1
        self._entries.pop(user_id, None)

    def _remember(self, user_id: UUID, expires_at: float, active: bool) -> None:
        self._entries.pop(user_id, None)
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[user_id] = (expires_at, active)
