"""Read-your-writes with a lagging replica: where one caller's profile read goes.

With DATABASE_READ_URL set, profile reads go to the replica, which trails the primary by the
replication delay. A caller who has just written (any mutation) or has just seen one of its
ingestion jobs move on would otherwise read the older data right after. The rule:

- when a caller writes or observes a write, its *floor* becomes the primary's data version at
  that moment (services/platform/data_version.py; read after the write committed, so it covers it);
- on a profile read, if the replica's data version (read anyway, for the cache key) is below
  the caller's floor, that read goes to the primary, and is cached under the primary's version;
- floors live `FLOOR_TTL_SECONDS` in the cache backend (memory, or Redis when REDIS_URL is set,
  so a floor set by one server process holds in the others).

Versions compare because the replica replays the primary's data_version row, epoch included:
the replica at version n holds exactly the profiles the primary held at n. A replica of another
epoch (a primary made again, a replica not yet re-cloned) is treated as behind every floor.
Without a read pool of its own there is nothing to route and no floor is kept.
"""

import logging
from dataclasses import dataclass
from typing import Final

import asyncpg

from services.platform.cache import Backend, VersionSource, build_backend
from services.platform.data_version import DataVersion
from services.platform.settings import Settings

logger = logging.getLogger(__name__)

# Far above a healthy replica's delay (milliseconds); a replica further behind than this
# serves a writer its older data again, as it serves everyone.
FLOOR_TTL_SECONDS: Final = 60.0
FLOOR_NAMESPACE: Final = "insighta-floor"
# Bounds the memory backend: one entry per caller who wrote within the TTL.
MAX_FLOORS: Final = 100_000


def caller_key(subject: str) -> str:
    """Whose floor: a token's subject, as the rate limits count callers."""
    return f"sub:{subject}"


def parse_version(token: str) -> tuple[str, int]:
    """A data version token, "<epoch>:<number>", as (epoch, number): "1f0c:42" -> ("1f0c", 42)."""
    epoch, _, number = token.rpartition(":")
    return epoch, int(number)


def is_behind(version: str, floor: str) -> bool:
    """Whether data at `version` may lack a write the `floor` version includes."""
    epoch, number = parse_version(version)
    floor_epoch, floor_number = parse_version(floor)
    return epoch != floor_epoch or number < floor_number


@dataclass(frozen=True, slots=True)
class ReadTarget:
    """Where one read goes, and the data version to cache its answer under (None: the result
    cache reads the version itself)."""

    pool: asyncpg.Pool
    version: str | None = None


class Floors:
    """Each caller's floor (a data version token), kept `ttl` seconds in a cache backend."""

    def __init__(self, backend: Backend, *, ttl: float = FLOOR_TTL_SECONDS) -> None:
        self._backend = backend
        self._ttl = ttl

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        """What the backend raises when it (not the caller) fails."""
        return self._backend.errors

    async def get(self, caller: str) -> str | None:
        value = await self._backend.cache.get(caller)
        if isinstance(value, bytes):
            return value.decode()
        return value if isinstance(value, str) else None

    async def raise_to(self, caller: str, version: str) -> None:
        """Set the caller's floor to `version` unless it already holds a newer one.

        Not atomic across processes: two servers noting the same caller at once may leave the
        lower of two versions, both read after that caller's writes had committed.
        """
        current = await self.get(caller)
        if current is not None and not is_behind(current, version):
            return
        value = version.encode() if self._backend.stores_bytes else version
        await self._backend.cache.set(caller, value, ttl=self._ttl)

    async def close(self) -> None:
        await self._backend.cache.close()


class ReadRouting:
    """Picks the pool for a caller's profile read: the replica unless it is behind the caller's
    floor. With `floors` None (no replica) every read goes to the primary, at no cost."""

    def __init__(
        self,
        primary: asyncpg.Pool,
        replica: asyncpg.Pool,
        *,
        primary_versions: VersionSource,
        replica_versions: VersionSource,
        floors: Floors | None,
    ) -> None:
        self.primary, self.replica = primary, replica
        self._primary_versions = primary_versions
        self._replica_versions = replica_versions
        self._floors = floors
        self.to_primary = 0  # reads sent to the primary because the replica was behind

    @classmethod
    def primary_only(cls, pool: asyncpg.Pool) -> "ReadRouting":
        versions = DataVersion(pool)
        return cls(pool, pool, primary_versions=versions, replica_versions=versions, floors=None)

    async def target(self, caller: str | None) -> ReadTarget:
        if self._floors is None:
            return ReadTarget(self.primary)
        version = await self._replica_versions.current()
        if caller is None:
            return ReadTarget(self.replica, version)
        try:
            floor = await self._floors.get(caller)
        except self._floors.errors:
            # Unknown floor: the primary is current for every caller; correctness over load.
            logger.warning("read floor unavailable; reading from the primary", exc_info=True)
            return await self._from_primary()
        if floor is None or not is_behind(version, floor):
            return ReadTarget(self.replica, version)
        return await self._from_primary()

    async def _from_primary(self) -> ReadTarget:
        self.to_primary += 1
        return ReadTarget(self.primary, await self._primary_versions.current())

    async def note_write(self, caller: str | None) -> None:
        """The caller has written, or seen a write (its ingestion job's progress): raise its
        floor to the primary's version now."""
        if self._floors is None or caller is None:
            return
        version = await self._primary_versions.current()
        try:
            await self._floors.raise_to(caller, version)
        except self._floors.errors:
            logger.warning("read floor not kept; the caller may read older data", exc_info=True)

    async def close(self) -> None:
        if self._floors is not None:
            await self._floors.close()


def build_read_routing(
    settings: Settings,
    primary: asyncpg.Pool,
    replica: asyncpg.Pool,
    *,
    primary_versions: VersionSource,
    replica_versions: VersionSource,
) -> ReadRouting:
    floors = None
    if replica is not primary:
        backend = build_backend(settings, namespace=FLOOR_NAMESPACE, max_entries=MAX_FLOORS)
        floors = Floors(backend)
    return ReadRouting(
        primary,
        replica,
        primary_versions=primary_versions,
        replica_versions=replica_versions,
        floors=floors,
    )
