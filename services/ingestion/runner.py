"""Running ingestion jobs inside a server process: claim, parse off the loop, write, resume.

Every few seconds (and at once when a job is submitted here) the runner looks for unfinished
jobs that nobody holds: QUEUED ones, and RUNNING ones whose process died. It takes a job's
advisory lock on a connection from the small ingestion pool, claims it (a new attempt), and
runs it, first restoring its upload from the database when this host's spool lacks it (the
job came from another host). Each batch commits on its own with its rollup counts and the
job's checkpoint, so whatever happens, the job row says exactly what has been committed.
"""

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

import asyncpg

from db import citus
from db import ingestion as ingestion_db
from db.pool import Connection
from services.ingestion.batches import BatchRequest, Checkpoint, FileLayout, ParsedBatch
from services.ingestion.jobs import JobStatus
from services.ingestion.pacing import Pacer, QueryActivity
from services.ingestion.parsers import ParseProcess, ParserCrashed, ParserPool
from services.ingestion.reasons import MAX_KEPT_ERRORS, Reason, RowError
from services.ingestion.rows import HeaderError
from services.ingestion.spool import Spool
from services.ingestion.uploads import restore_upload
from services.platform.metrics import record_ingested_rows, record_ingestion_stage
from services.platform.waiting import wait_at_most

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

logger = logging.getLogger(__name__)

# Failures after which a job resumes from its checkpoint instead of failing: the database or
# the connection went away, a parse process died, a deadlock or a cancelled statement.
_INTERRUPTIONS: Final = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
    ParserCrashed,
)
# How many unfinished jobs one sweep looks at.
_SWEEP_LIMIT: Final = 32
# The first batch is small, so writing (and visible progress) starts while the rest is parsed.
FIRST_BATCH_ROWS: Final = 2_500
# Rows per batch when INGESTION_BATCH_ROWS is unset. On Citus a batch's fixed cost is larger:
# its rollup upserts write every node's copy of the reference tables under one lock, so fewer,
# bigger batches pay it less often (docs/performance.md, "Citus beside one node": 0.58x one
# node's throughput with 50,000-row batches on both sides, 0.65x with 150,000 on both).
BATCH_ROWS: Final = 50_000
CITUS_BATCH_ROWS: Final = 150_000
# A spool file this old whose job has ended (or never was recorded) was left by a crash; the
# margin covers an upload being copied into the spool right now by another process.
ORPHAN_AFTER_SECONDS: Final = 3600.0


async def default_batch_rows(conn: Connection) -> int:
    """BATCH_ROWS on one node, CITUS_BATCH_ROWS when profiles are distributed (db/citus.py)."""
    return CITUS_BATCH_ROWS if await citus.is_distributed(conn) else BATCH_ROWS


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    concurrency: int
    batch_rows: int | None  # None: by the database's layout (default_batch_rows)
    sweep_seconds: float = 5.0
    # Claims per job; a job that keeps getting interrupted ends FAILED rather than loop forever.
    max_attempts: int = 5


class LostJob(RuntimeError):
    """Another attempt owns the job now; this one stops without writing."""


class IngestionRunner:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        job_pool: asyncpg.Pool,
        parsers: ParserPool,
        spool: Spool,
        settings: RunnerSettings,
        activity: QueryActivity,
    ) -> None:
        self._pool = pool
        self._activity = activity
        self._job_pool = job_pool
        self._parsers = parsers
        self._spool = spool
        self._settings = settings
        self._running: dict[UUID, asyncio.Task[None]] = {}
        self._wakeup = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._sweep_forever(), name="ingestion-runner")

    def wake(self) -> None:
        """Look for work now (a job was just submitted)."""
        self._wakeup.set()

    async def close(self) -> None:
        """Stop: running jobs stay RUNNING and resume from their checkpoints on the next start."""
        tasks = [task for task in (self._loop_task, *self._running.values()) if task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop_task = None

    async def _sweep_forever(self) -> None:
        try:
            await self._remove_orphaned_uploads()
        except _INTERRUPTIONS:
            logger.warning("could not look for orphaned uploads", exc_info=True)
        while True:
            try:
                await self._claim_available()
            except _INTERRUPTIONS:
                logger.warning("could not look for ingestion jobs", exc_info=True)
            except Exception:
                logger.exception("looking for ingestion jobs failed")
            await wait_at_most(self._wakeup, self._settings.sweep_seconds)
            self._wakeup.clear()

    async def _remove_orphaned_uploads(self) -> None:
        """Spool files left by a crash (a job that ended, or an upload that never got its job),
        and stored uploads of jobs that ended without deleting them."""
        async with self._pool.acquire() as conn:
            chunks = await ingestion_db.delete_ended_upload_chunks(conn)
        if chunks:
            logger.info("removed stored uploads of ended jobs", extra={"chunks": chunks})
        stale = self._spool.files_older_than(ORPHAN_AFTER_SECONDS)
        if not stale:
            return
        async with self._pool.acquire() as conn:
            unfinished = await ingestion_db.select_unfinished_among(conn, list(stale))
        for job_id, paths in stale.items():
            if job_id not in unfinished:
                for path in paths:
                    self._spool.discard(path)
                logger.info("removed an orphaned upload", extra={"job_id": str(job_id)})

    async def _claim_available(self) -> None:
        free = self._settings.concurrency - len(self._running)
        if free <= 0:
            return
        # On the job pool: it has a free connection whenever a job slot is free, and the sweep
        # then never competes with requests for the main pool.
        async with self._job_pool.acquire() as conn:
            candidates = await ingestion_db.select_unfinished_job_ids(conn, limit=_SWEEP_LIMIT)
        for job_id in candidates:
            if free <= 0:
                return
            if job_id in self._running:
                continue
            conn = await self._job_pool.acquire()
            try:
                record = None
                if await ingestion_db.try_lock_job(conn, job_id):
                    record = await ingestion_db.claim_job(conn, job_id)
                    if record is not None:
                        await ingestion_db.notify_job_changed(conn, job_id)
            except BaseException:
                await self._job_pool.release(conn)
                raise
            if record is None:
                await self._job_pool.release(conn)  # the pool's reset drops any lock taken
                continue
            self._running[job_id] = asyncio.create_task(
                self._own(conn, record), name=f"ingestion-{job_id}"
            )
            free -= 1

    async def _own(
        self, conn: "PoolConnectionProxy[asyncpg.Record]", record: asyncpg.Record
    ) -> None:
        job_id, attempt = record["id"], record["attempt"]
        try:
            if attempt > self._settings.max_attempts:
                await self._fail(
                    job_id, attempt, f"gave up after {attempt - 1} interrupted attempts"
                )
                return
            logger.info("ingestion job started", extra={"job_id": str(job_id), "attempt": attempt})
            completed = await _JobRun(
                conn,
                record,
                spool=self._spool,
                parsers=self._parsers,
                batch_rows=self._settings.batch_rows or await default_batch_rows(conn),
                activity=self._activity,
                fail=self._fail,
            ).run()
            if completed:
                self._discard_spool(job_id)
        except _INTERRUPTIONS:
            logger.warning(
                "ingestion job interrupted; it resumes from its last checkpoint",
                exc_info=True,
                extra={"job_id": str(job_id), "attempt": attempt},
            )
        except LostJob:
            logger.warning("ingestion job taken over", extra={"job_id": str(job_id)})
        except Exception:
            logger.exception("ingestion job failed", extra={"job_id": str(job_id)})
            with contextlib.suppress(*_INTERRUPTIONS):
                await self._fail(job_id, attempt, f"internal error: see the log for job {job_id}")
        finally:
            self._running.pop(job_id, None)
            with contextlib.suppress(*_INTERRUPTIONS):
                await ingestion_db.unlock_job(conn, job_id)
            await self._job_pool.release(conn)
            self.wake()

    async def _fail(self, job_id: UUID, attempt: int, error: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            failed = await ingestion_db.fail_job(conn, job_id=job_id, attempt=attempt, error=error)
            if failed:
                await ingestion_db.delete_upload_chunks(conn, job_id)
            await ingestion_db.notify_job_changed(conn, job_id)
        if failed:
            self._discard_spool(job_id)
            logger.info("ingestion job failed", extra={"job_id": str(job_id), "error": error})

    def _discard_spool(self, job_id: UUID) -> None:
        self._spool.discard(self._spool.path_for(job_id))


@dataclass(slots=True)
class StageSeconds:
    """Where one attempt's time went, summed over its batches (logged when the job ends).

    `parse_wait` is time the writer waited for the parse process (parsing overlaps writing, so
    only what it did not hide); `bookkeeping` the job row, row errors and notification."""

    batches: int = 0
    parse_wait: float = 0.0
    staging_copy: float = 0.0
    insert: float = 0.0
    duplicates: float = 0.0
    bookkeeping: float = 0.0
    commit: float = 0.0
    rest: float = 0.0

    def as_log(self) -> dict[str, float | int]:
        return {
            "batches": self.batches,
            **{f"{name}_seconds": round(getattr(self, name), 3) for name in _STAGES},
        }

    def record_since(self, before: "StageSeconds") -> None:
        """Add what was spent since `before` (a copy) to the stage metrics."""
        for name in _STAGES:
            record_ingestion_stage(name, getattr(self, name) - getattr(before, name))


_STAGES: Final = (
    "parse_wait",
    "staging_copy",
    "insert",
    "duplicates",
    "bookkeeping",
    "commit",
    "rest",
)


@dataclass(slots=True)
class _Progress:
    checkpoint: Checkpoint
    total_rows: int
    inserted: int
    reasons: Counter[str]
    errors_kept: int

    @classmethod
    def from_record(cls, record: asyncpg.Record) -> "_Progress":
        return cls(
            checkpoint=Checkpoint(record["checkpoint_offset"], record["checkpoint_line"]),
            total_rows=record["total_rows"],
            inserted=record["inserted"],
            reasons=Counter(record["reasons"]),
            errors_kept=record["errors_kept"],
        )


class _JobRun:
    """One attempt at one job, on one connection that holds the job's lock."""

    def __init__(
        self,
        conn: Connection,
        record: asyncpg.Record,
        *,
        spool: Spool,
        parsers: ParserPool,
        batch_rows: int,
        activity: QueryActivity,
        fail: Callable[[UUID, int, str], Awaitable[None]],
    ) -> None:
        self._conn = conn
        self._parsers = parsers
        self._activity = activity
        self._batch_rows = batch_rows
        self._fail = fail
        self._id: UUID = record["id"]
        self._attempt: int = record["attempt"]
        self._spool = spool
        # This process's spool, not the recorded path: the job may come from another host.
        self._path = spool.path_for(self._id)
        self._bytes_total: int = record["bytes_total"]
        self._layout_json: dict[str, Any] | None = record["layout"]
        self._progress = _Progress.from_record(record)
        self._stages = StageSeconds()
        self._pacer = Pacer(activity)

    async def run(self) -> bool:
        """Run to the end: True once COMPLETED; False if it FAILED for want of a usable file
        (stored nowhere, no required header)."""
        with self._activity.ingesting():  # restoring the upload loads the database too
            if not self._path.exists() and not await self._restore():
                return False
            async with self._parsers.borrow() as parser:
                return await self._run(parser)

    async def _restore(self) -> bool:
        """Fetch the upload from the database into this host's spool (submitted elsewhere)."""
        started = time.monotonic()
        restored = await restore_upload(
            self._conn, self._spool, self._id, bytes_total=self._bytes_total
        )
        if restored is None:
            await self._fail(
                self._id,
                self._attempt,
                "the uploaded file is gone: it is in neither this spool directory nor the database",
            )
            return False
        logger.info(
            "ingestion upload restored from the database",
            extra={
                "job_id": str(self._id),
                "bytes": self._bytes_total,
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        return True

    async def _run(self, parser: ParseProcess) -> bool:
        if self._layout_json is None:
            try:
                layout = await parser.read_layout(self._path)
            except HeaderError as error:
                await self._fail(self._id, self._attempt, str(error))
                return False
            await self._save_layout(layout)
        else:
            layout = FileLayout.from_json(self._layout_json)
        size = min(FIRST_BATCH_ROWS, self._batch_rows)
        pending = asyncio.ensure_future(
            parser.parse_batch(self._request(layout, self._progress.checkpoint, max_rows=size))
        )
        try:
            while True:
                reported = dataclasses.replace(self._stages)
                waited = time.monotonic()
                batch = await pending
                self._stages.parse_wait += time.monotonic() - waited
                if not batch.finished:
                    # Parse the next batch while this one is written. Sizes double up to
                    # batch_rows: writing a batch takes about as long as parsing twice as many
                    # rows, so the database is kept busy from the start.
                    size = min(size * 2, self._batch_rows)
                    pending = asyncio.ensure_future(
                        parser.parse_batch(self._request(layout, batch.end, max_rows=size))
                    )
                started = time.monotonic()
                with self._activity.writing():
                    await self._write(batch)
                if batch.finished:
                    self._stages.record_since(reported)
                    break
                rest = self._pacer.rest_after(time.monotonic() - started)
                if rest:
                    self._stages.rest += rest
                    await asyncio.sleep(rest)
                self._stages.record_since(reported)
        finally:
            _abandon(pending)
        logger.info(
            "ingestion job completed",
            extra={
                "job_id": str(self._id),
                "rows": self._progress.total_rows,
                **self._stages.as_log(),
            },
        )
        return True

    def _request(self, layout: FileLayout, start: Checkpoint, *, max_rows: int) -> BatchRequest:
        # The quota is what is left before the batch being written now keeps its errors: a
        # parse may return a few too many, and the write keeps only what fits.
        return BatchRequest(
            path=self._path,
            layout=layout,
            start=start,
            max_rows=max_rows,
            error_quota=MAX_KEPT_ERRORS - self._progress.errors_kept,
        )

    async def _save_layout(self, layout: FileLayout) -> None:
        start = layout.data_start
        async with self._conn.transaction():
            saved = await ingestion_db.save_layout(
                self._conn,
                job_id=self._id,
                attempt=self._attempt,
                layout=layout.as_json(),
                offset=start.offset,
                line=start.line,
            )
            if not saved:
                raise LostJob(self._id)
            await ingestion_db.notify_job_changed(self._conn, self._id)
        self._progress.checkpoint = start

    async def _write(self, batch: ParsedBatch) -> None:
        """Commit one batch: its rows, its rollup counts, the checkpoint and its row errors."""
        before = self._progress
        quota = MAX_KEPT_ERRORS - before.errors_kept
        stages, clock = self._stages, time.monotonic
        async with self._conn.transaction():
            taken: list[asyncpg.Record] = []
            if batch.staged:
                started = clock()
                await ingestion_db.stage_batch(self._conn, batch.copy_data)
                copied = clock()
                inserted = await ingestion_db.insert_staged(self._conn)
                done = clock()
                if inserted != batch.staged:
                    taken = await ingestion_db.select_staged_duplicates(self._conn)
                stages.staging_copy += copied - started
                stages.insert += done - copied
                stages.duplicates += clock() - done
            booked = clock()
            duplicates = [
                RowError.of(row["line"], Reason.DUPLICATE_NAME, "name", row["name"])
                for row in taken[:quota]
            ]
            kept = sorted([*batch.errors, *duplicates], key=lambda error: error.line)[:quota]
            reasons = before.reasons + Counter({r.value: n for r, n in batch.reasons.items()})
            if taken:
                reasons[Reason.DUPLICATE_NAME.value] += len(taken)
            after = _Progress(
                checkpoint=batch.end,
                total_rows=before.total_rows + batch.rows,
                inserted=before.inserted + batch.staged - len(taken),
                reasons=reasons,
                errors_kept=before.errors_kept + len(kept),
            )
            status = JobStatus.COMPLETED if batch.finished else JobStatus.RUNNING
            updated = await ingestion_db.update_progress(
                self._conn,
                job_id=self._id,
                attempt=self._attempt,
                offset=after.checkpoint.offset,
                line=after.checkpoint.line,
                total_rows=after.total_rows,
                inserted=after.inserted,
                skipped=after.total_rows - after.inserted,
                reasons=dict(after.reasons),
                errors_kept=after.errors_kept,
                status=status.value,
            )
            if not updated:
                raise LostJob(self._id)
            if batch.finished:
                await ingestion_db.delete_upload_chunks(self._conn, self._id)
            await ingestion_db.insert_row_errors(
                self._conn,
                job_id=self._id,
                errors=[(e.line, e.reason.value, e.column, e.value) for e in kept],
            )
            await ingestion_db.notify_job_changed(self._conn, self._id)
            committing = clock()
            stages.bookkeeping += committing - booked
        stages.commit += clock() - committing
        stages.batches += 1
        self._progress = after
        # Counted once committed, so a batch rolled back by a crash is never counted.
        record_ingested_rows("inserted", after.inserted - before.inserted)
        for reason, count in (after.reasons - before.reasons).items():
            record_ingested_rows(reason, count)


def _abandon(future: "asyncio.Future[ParsedBatch]") -> None:
    """Drop a parse whose result is no longer wanted, without an unretrieved-exception warning."""
    if not future.done():
        future.cancel()
    elif not future.cancelled():
        future.exception()
