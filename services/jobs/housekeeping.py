"""Housekeeping: a background job that removes rows nothing can use any more, then queues its
next run.

The schedule is one job row (kind `housekeeping`), so however many processes run, one of them
purges each period; a process that dies mid-purge loses its lease like any job, and the next
worker carries on where the deletes stopped.
"""

import logging
from dataclasses import dataclass
from typing import Final, Self

import asyncpg

from db import housekeeping as housekeeping_db
from db import jobs as jobs_db
from db.pool import Connection
from services.jobs.worker import Job, Lease
from services.platform.settings import Settings

logger = logging.getLogger(__name__)

HOUSEKEEPING_JOB: Final = "housekeeping"
_SCHEDULE_KEY: Final = "purge"
# Rows per delete: short transactions, so a first purge of a large backlog blocks nobody.
BATCH_ROWS: Final = 5000


@dataclass(frozen=True, slots=True)
class Retention:
    keep_seconds: float  # how long expired tokens and links, and finished jobs, stay
    every_seconds: float  # how often the purge runs

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(
            keep_seconds=settings.retention_days * 86400.0,
            every_seconds=settings.housekeeping_interval_seconds,
        )


async def schedule_housekeeping(conn: Connection, retention: Retention) -> None:
    """Queue the next purge one period from now, unless one is due sooner (every process calls
    this when its worker starts; the earliest due time wins)."""
    await jobs_db.insert_job(
        conn,
        kind=HOUSEKEEPING_JOB,
        key=_SCHEDULE_KEY,
        payload={},
        delay_seconds=retention.every_seconds,
    )


class Housekeeping:
    """The job handler: purge every table in batches, finish, and queue the next run."""

    def __init__(
        self, pool: asyncpg.Pool, retention: Retention, *, batch_rows: int = BATCH_ROWS
    ) -> None:
        self.pool, self.retention, self.batch_rows = pool, retention, batch_rows

    async def run(self, job: Job, lease: Lease) -> None:
        purged = {table: await self._purge(table) for table in housekeeping_db.PURGES}
        await self._end(lease)
        logger.info("housekeeping purged", extra={"purged": purged})

    async def abandon(self, job: Job, lease: Lease, reason: str) -> None:
        await self._end(lease, failed_with=reason)

    async def _purge(self, table: str) -> int:
        total = 0
        while True:
            async with self.pool.acquire() as conn:
                deleted = await housekeeping_db.purge_batch(
                    conn,
                    table,
                    older_than_seconds=self.retention.keep_seconds,
                    limit=self.batch_rows,
                )
            total += deleted
            if deleted < self.batch_rows:
                return total

    async def _end(self, lease: Lease, *, failed_with: str | None = None) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await lease.finish(conn, failed_with=failed_with)
            await schedule_housekeeping(conn, self.retention)
