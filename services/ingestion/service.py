"""What the API layer uses: submit an upload, read a job, follow its progress.

`open_ingestion` builds the pieces a server process needs (a small connection pool capped at
`INGESTION_WORKERS`, the parse processes, the spool, the runner) and stops them on exit.
"""

import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from typing import BinaryIO, Final
from uuid import UUID

import asyncpg

from db import ingestion as ingestion_db
from db.pool import create_pool
from services.errors import ErrorCode, ServiceError, bad_input
from services.ingestion.jobs import IngestionJob, get_job, row_errors
from services.ingestion.pacing import QueryActivity
from services.ingestion.parsers import ParserPool
from services.ingestion.reasons import MAX_KEPT_ERRORS, RowError
from services.ingestion.runner import IngestionRunner, RunnerSettings
from services.ingestion.spool import Spool
from services.ingestion.uploads import store_upload
from services.platform.database import process_application_name
from services.platform.ids import uuid7
from services.platform.notifications import NotificationHub
from services.platform.settings import Settings

logger = logging.getLogger(__name__)

# A subscriber re-reads its job at least this often, notification or not.
FOLLOW_POLL_SECONDS: Final = 2.0


@dataclass(slots=True)
class Ingestion:
    pool: asyncpg.Pool
    spool: Spool
    runner: IngestionRunner
    hub: NotificationHub
    max_upload_bytes: int

    async def submit(self, *, file_name: str | None, source: BinaryIO) -> IngestionJob:
        """Spool the upload, store it and a QUEUED job in one transaction, wake the runner.

        Returns once the job is committed, before any of it has run."""
        # Only a crafted request names a file with NUL, which PostgreSQL text cannot hold.
        if file_name is not None and "\x00" in file_name:
            raise bad_input("the file name cannot contain NUL", field="file")
        job_id = uuid7()
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                path = await store_upload(
                    conn, self.spool, job_id, source, max_bytes=self.max_upload_bytes
                )
                record = await ingestion_db.insert_job(
                    conn,
                    job_id=job_id,
                    file_name=file_name,
                    spool_path=str(path),
                    bytes_total=path.stat().st_size,
                )
        except BaseException:
            self.spool.discard(self.spool.path_for(job_id))
            raise
        logger.info(
            "ingestion job queued",
            extra={"job_id": str(job_id), "bytes": record["bytes_total"], "file_name": file_name},
        )
        self.runner.wake()
        return IngestionJob.from_record(record)

    async def job(self, job_id: UUID) -> IngestionJob | None:
        return await get_job(self.pool, job_id)

    async def row_errors(self, job_id: UUID, *, first: int) -> list[RowError]:
        if not 0 <= first <= MAX_KEPT_ERRORS:
            raise bad_input(f"first must be between 0 and {MAX_KEPT_ERRORS}", field="first")
        return await row_errors(self.pool, job_id, first=first) if first else []

    async def follow(self, job_id: UUID) -> AsyncGenerator[IngestionJob, None]:
        """The job now, then each committed change, ending with its terminal state.

        NOT_FOUND if there is no such job.
        """
        async with self.hub.watch(ingestion_db.CHANNEL, str(job_id)) as changes:
            job = await self.job(job_id)
            if job is None:
                raise ServiceError(ErrorCode.NOT_FOUND, f"no ingestion job {job_id}", field="jobId")
            yield job
            while not job.status.is_terminal:
                await changes.wait(FOLLOW_POLL_SECONDS)
                latest = await self.job(job_id)
                if latest is None:
                    return
                if latest != job:
                    yield latest
                job = latest


@contextlib.asynccontextmanager
async def open_ingestion(
    settings: Settings,
    *,
    pool: asyncpg.Pool,
    dsn: str,
    hub: NotificationHub,
    activity: QueryActivity,
) -> AsyncIterator[Ingestion]:
    # Job claims are session advisory locks: this pool resets sessions on release, so a lock
    # taken on a connection that is handed back without a job is dropped with it.
    job_pool = await create_pool(
        dsn,
        min_size=0,
        max_size=settings.ingestion_workers,
        reset_sessions=True,
        application_name=process_application_name(),
    )
    parsers = ParserPool(settings.ingestion_workers)
    spool = Spool(settings.data_dir / "spool")
    runner = IngestionRunner(
        pool=pool,
        job_pool=job_pool,
        parsers=parsers,
        spool=spool,
        settings=RunnerSettings(
            concurrency=settings.ingestion_workers, batch_rows=settings.ingestion_batch_rows
        ),
        activity=activity,
    )
    runner.start()
    try:
        yield Ingestion(
            pool=pool,
            spool=spool,
            runner=runner,
            hub=hub,
            max_upload_bytes=settings.max_upload_bytes,
        )
    finally:
        await runner.close()
        await parsers.close()
        await job_pool.close()
