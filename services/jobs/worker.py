"""The background worker: claims due jobs, holds each by a renewed lease, runs its handler.

Any server process runs one; jobs are rows, so work queued by one process can be done by
another, and work whose process died (its lease ran out) is claimed again. A job claimed more
than `max_claims` times (it keeps killing its worker) is abandoned as FAILED rather than
retried forever, so no job and no domain status stays RUNNING/GENERATING for ever.
"""

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol
from uuid import UUID

import asyncpg

from db import jobs as jobs_db
from db.pool import Connection
from services.platform.notifications import NotificationHub
from services.platform.rows import Row
from services.platform.waiting import wait_at_most

logger = logging.getLogger(__name__)

DEFAULT_MAX_CLAIMS: Final = 5
# After an unexpected error (a bug, a dropped connection) the job waits this long, doubled per
# claim, before it is tried again.
RETRY_LATER_SECONDS: Final = 2.0


@dataclass(frozen=True, slots=True)
class Job:
    id: UUID
    kind: str
    key: str
    payload: Mapping[str, Any]
    claims: int

    @classmethod
    def from_row(cls, row: Row) -> "Job":
        return cls(
            id=row["id"],
            kind=row["kind"],
            key=row["key"],
            payload=row["payload"],
            claims=row["claims"],
        )


class LeaseLost(Exception):
    """Another worker owns the job now; whatever this one wrote is rolled back."""


class Lease:
    """This worker's hold on one job. `finish` goes in the handler's own transaction, so the
    domain result and the job's end commit together or not at all."""

    def __init__(self, pool: asyncpg.Pool, job: Job, owner: str, seconds: float) -> None:
        self.pool, self.job, self.owner, self.seconds = pool, job, owner, seconds

    async def renew(self) -> bool:
        async with self.pool.acquire() as conn:
            return await jobs_db.renew_lease(
                conn, job_id=self.job.id, owner=self.owner, lease_seconds=self.seconds
            )

    async def finish(self, conn: Connection, *, failed_with: str | None = None) -> None:
        status = "FAILED" if failed_with is not None else "COMPLETED"
        if not await jobs_db.finish_job(
            conn, job_id=self.job.id, owner=self.owner, status=status, error=failed_with
        ):
            raise LeaseLost(f"job {self.job.id} is no longer held by {self.owner}")

    async def release(self) -> None:
        async with self.pool.acquire() as conn:
            await jobs_db.release_job(conn, job_id=self.job.id, owner=self.owner)

    async def retry_later(self, delay_seconds: float, error: str) -> None:
        async with self.pool.acquire() as conn:
            await jobs_db.retry_job_later(
                conn, job_id=self.job.id, owner=self.owner, delay_seconds=delay_seconds, error=error
            )


class JobHandler(Protocol):
    async def run(self, job: Job, lease: Lease) -> None:
        """Do the work and call `lease.finish(conn, ...)` in the transaction that records it."""

    async def abandon(self, job: Job, lease: Lease, reason: str) -> None:
        """Record that the work failed for good (domain status FAILED) and finish the job."""


class JobWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        handlers: Mapping[str, JobHandler],
        *,
        lease_seconds: float = 30.0,
        poll_seconds: float = 1.0,
        concurrency: int = 2,
        max_claims: int = DEFAULT_MAX_CLAIMS,
    ) -> None:
        self.pool = pool
        self.handlers = dict(handlers)
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.concurrency = concurrency
        self.max_claims = max_claims
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def notify(self) -> None:
        """New work was queued: look now rather than at the next poll."""
        self._wake.set()

    async def run_once(self) -> Job | None:
        """Claim one due job and run it to its end; None when there was nothing to do."""
        async with self.pool.acquire() as conn:
            row = await jobs_db.claim_next_job(
                conn, owner=self.owner, lease_seconds=self.lease_seconds, kinds=list(self.handlers)
            )
        if row is None:
            return None
        job = Job.from_row(row)
        lease = Lease(self.pool, job, self.owner, self.lease_seconds)
        heartbeat = asyncio.create_task(self._keep_renewing(lease))
        try:
            await self._run(job, lease)
        except asyncio.CancelledError:
            # Shutting down: hand the job back so another process can take it at once.
            await asyncio.shield(lease.release())
            raise
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return job

    async def run_until_idle(self) -> list[Job]:
        """Run due jobs until none is left (tests and the CLI drive the worker this way)."""
        done = []
        while (job := await self.run_once()) is not None:
            done.append(job)
        return done

    async def _run(self, job: Job, lease: Lease) -> None:
        handler = self.handlers[job.kind]
        extra = {"job_id": str(job.id), "kind": job.kind, "claims": job.claims}
        try:
            if job.claims > self.max_claims:
                reason = f"abandoned after {job.claims - 1} interrupted runs"
                logger.error("job abandoned", extra=extra)
                await handler.abandon(job, lease, reason)
                return
            await handler.run(job, lease)
            logger.info("job finished", extra=extra)
        except LeaseLost:
            logger.warning(
                "job lease lost to another worker; its result was discarded", extra=extra
            )
        except Exception as error:
            delay = RETRY_LATER_SECONDS * 2 ** (job.claims - 1)
            logger.exception("job failed unexpectedly; it will run again", extra=extra)
            await lease.retry_later(delay, f"{type(error).__name__}: {error}")

    async def _keep_renewing(self, lease: Lease) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                if not await lease.renew():
                    logger.warning("job lease lost", extra={"job_id": str(lease.job.id)})
                    return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                logger.exception("could not renew a job lease", extra={"job_id": str(lease.job.id)})

    def start(self, hub: NotificationHub | None = None) -> None:
        """Run `concurrency` loops in the background until `stop()`. With a hub, a job
        committed by any process (db/jobs.py announces each) wakes them at once; without one
        they find it at the next poll."""
        self._tasks = [
            asyncio.create_task(self._loop(), name=f"job-worker-{n}")
            for n in range(self.concurrency)
        ]
        if hub is not None:
            self._tasks.append(asyncio.create_task(self._follow(hub), name="job-worker-wake"))

    async def _follow(self, hub: NotificationHub) -> None:
        async with hub.watch(jobs_db.JOBS_CHANNEL, jobs_db.JOB_QUEUED) as queued:
            while True:
                await queued.wait(3600)
                self.notify()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                job = await self.run_once()
            except Exception:
                # The database away, a pool timeout, a bug: the loop must outlive all of them,
                # or queued work would wait for the next restart.
                logger.exception("job worker failed; trying again after the poll interval")
                job = None
            if job is not None:
                continue
            await wait_at_most(self._wake, self.poll_seconds)
