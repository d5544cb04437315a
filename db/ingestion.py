"""SQL for ingestion jobs, their uploads, their kept row errors, and the batch insert into profiles.

A job is owned by whoever holds its session advisory lock on a dedicated connection: when the
owning process dies its connection drops and the lock goes with it, so another process can
resume the job at once. Every write by the owner is also fenced by `attempt` (bumped on each
claim), so a runner that lost its job can never overwrite the one that took it over.
"""

from collections.abc import AsyncIterator, Sequence
from typing import Any, Final
from uuid import UUID

import asyncpg

from db.pool import Connection
from db.rollups import written_then_applied

CHANNEL: Final = "ingestion_jobs"
# The COPY text columns a batch is sent with (services.ingestion.batches writes them).
STAGING_COLUMNS: Final = (
    "name",
    "name_key",
    "gender",
    "gender_probability",
    "age",
    "country_id",
    "country_name",
    "country_probability",
    "id",
    "line",
)


INSERT_JOB = """
insert into ingestion_jobs (id, file_name, spool_path, bytes_total)
values ($1, $2, $3, $4)
returning id, status, file_name, spool_path, bytes_total, layout,
          checkpoint_offset, checkpoint_line, total_rows, inserted, skipped, reasons,
          errors_kept, error, attempt, created_at, started_at, updated_at, finished_at
"""
GET_JOB = """
select id, status, file_name, spool_path, bytes_total, layout, checkpoint_offset, checkpoint_line,
       total_rows, inserted, skipped, reasons, errors_kept, error, attempt,
       created_at, started_at, updated_at, finished_at
  from ingestion_jobs
 where id = $1
"""
# Served by ingestion_jobs_unfinished_idx.
SELECT_UNFINISHED_JOB_IDS = """
select id
  from ingestion_jobs
 where status in ('QUEUED', 'RUNNING')
 order by created_at
 limit $1
"""
# The lock key: a 64-bit hash of the job id (a collision only makes one job wait for another).
TRY_LOCK_JOB = "select pg_try_advisory_lock(hashtextextended($1::uuid::text, 0))"
UNLOCK_JOB = "select pg_advisory_unlock(hashtextextended($1::uuid::text, 0))"
CLAIM_JOB = """
update ingestion_jobs
   set status = 'RUNNING',
       attempt = attempt + 1,
       started_at = coalesce(started_at, now()),
       updated_at = now()
 where id = $1
   and status in ('QUEUED', 'RUNNING')
returning id, status, file_name, spool_path, bytes_total, layout,
          checkpoint_offset, checkpoint_line, total_rows, inserted, skipped, reasons,
          errors_kept, error, attempt, created_at, started_at, updated_at, finished_at
"""
SAVE_LAYOUT = """
update ingestion_jobs
   set layout = $3, checkpoint_offset = $4, checkpoint_line = $5, updated_at = now()
 where id = $1 and attempt = $2 and status = 'RUNNING'
"""
UPDATE_PROGRESS = """
update ingestion_jobs
   set checkpoint_offset = $3,
       checkpoint_line = $4,
       total_rows = $5,
       inserted = $6,
       skipped = $7,
       reasons = $8,
       errors_kept = $9,
       status = $10,
       finished_at = case when $10 in ('COMPLETED', 'FAILED') then now() end,
       updated_at = now()
 where id = $1 and attempt = $2 and status = 'RUNNING'
"""
# Failing keeps every committed count; `attempt` null means "whoever runs it" (giving up).
FAIL_JOB = """
update ingestion_jobs
   set status = 'FAILED', error = $3, finished_at = now(), updated_at = now()
 where id = $1 and ($2::int is null or attempt = $2) and status in ('QUEUED', 'RUNNING')
"""
INSERT_ROW_ERRORS = """
insert into ingestion_row_errors (job_id, line, reason, column_name, value)
select $1, line, reason, column_name, value
  from unnest($2::int[], $3::text[], $4::text[], $5::text[]) as e(line, reason, column_name, value)
    on conflict do nothing
"""
SELECT_ROW_ERRORS = """
select line, reason, column_name, value
  from ingestion_row_errors
 where job_id = $1
 order by line
 limit $2
"""
NOTIFY_JOB = "select pg_notify($1, $2)"
SELECT_UNFINISHED_AMONG = """
select id
  from ingestion_jobs
 where id = any($1::uuid[])
   and status in ('QUEUED', 'RUNNING')
"""
INSERT_UPLOAD_CHUNK = """
insert into ingestion_upload_chunks (job_id, chunk, data)
values ($1, $2, $3)
"""
GET_UPLOAD_CHUNK = """
select data
  from ingestion_upload_chunks
 where job_id = $1
   and chunk = $2
"""
DELETE_UPLOAD_CHUNKS = """
delete from ingestion_upload_chunks
 where job_id = $1
"""
# Left by a job ended by a release that did not know about chunks, or by hand. The table only
# holds the uploads of unfinished jobs, so the scan is short.
DELETE_ENDED_UPLOAD_CHUNKS = """
delete from ingestion_upload_chunks c
 using ingestion_jobs j
 where j.id = c.job_id
   and j.status in ('COMPLETED', 'FAILED')
"""
# A batch waits for other writers' locks on shared names; allow more than the pool's default.
SET_BATCH_TIMEOUT = "set local statement_timeout = '5min'"

CREATE_STAGING_TABLE = """
create temporary table if not exists ingestion_staging (
    name                text,
    name_key            text collate "C",
    gender              text,
    gender_probability  double precision,
    age                 smallint,
    country_id          char(2),
    country_name        text,
    country_probability double precision,
    -- Made by the parse process; also tells a row that lost to a stored name from one inserted.
    id                  uuid not null,
    line                integer
) on commit delete rows;
-- The ids of the staged rows the batch's insert really wrote.
create temporary table if not exists ingestion_written (id uuid) on commit delete rows
"""
# One statement per batch. Batches arrive sorted by name_key and a freshly emptied temporary
# table is scanned in the order it was filled, so rows go in in key order: two jobs inserting
# overlapping names wait for each other in one direction only, and the unique index is walked
# in order. An ORDER BY here would sort again (an external sort at 50k rows: ~5% of the batch);
# should the scan order ever differ, the price is a deadlock error, which the runner retries.
# The rows really inserted go into the rollups in the same statement (db/rollups.py), which
# answers their number, and their ids into `ingestion_written`. Duplicates are looked up
# afterwards, only when some rows were not inserted.
INSERT_STAGED_PROFILES: Final = written_then_applied(
    """
insert into profiles (id, name, name_key, gender, gender_probability, age,
                      country_id, country_name, country_probability)
select id, name, name_key, gender, gender_probability, age,
       country_id, country_name, country_probability
  from ingestion_staging
    on conflict (name_key) do nothing
""",
    sign=1,
    keep_ids_in="ingestion_written",
)
# Staged rows the insert did not write: their name belonged to another row, stored before,
# by a concurrent job (ON CONFLICT waited for it to commit) or earlier in the batch. Both
# tables are this session's: no lookup in profiles (at 10M rows the join through the name
# index took 2.3 s of a 500k-row file; on Citus it sent the staging table to every shard).
SELECT_STAGED_DUPLICATES = """
select s.line, s.name
  from ingestion_staging s
 where not exists (select 1 from ingestion_written w where w.id = s.id)
 order by s.line
"""


async def insert_job(
    conn: Connection, *, job_id: UUID, file_name: str | None, spool_path: str, bytes_total: int
) -> asyncpg.Record:
    record = await conn.fetchrow(INSERT_JOB, job_id, file_name, spool_path, bytes_total)
    assert record is not None
    return record


async def get_job(conn: Connection, job_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_JOB, job_id)


async def select_unfinished_job_ids(conn: Connection, *, limit: int) -> list[UUID]:
    return [row["id"] for row in await conn.fetch(SELECT_UNFINISHED_JOB_IDS, limit)]


async def try_lock_job(conn: Connection, job_id: UUID) -> bool:
    """Take the job's session lock on `conn` if nobody holds it."""
    return bool(await conn.fetchval(TRY_LOCK_JOB, job_id))


async def unlock_job(conn: Connection, job_id: UUID) -> None:
    await conn.fetchval(UNLOCK_JOB, job_id)


async def claim_job(conn: Connection, job_id: UUID) -> asyncpg.Record | None:
    """Mark an unfinished job RUNNING under a new attempt; None if it has finished meanwhile."""
    return await conn.fetchrow(CLAIM_JOB, job_id)


async def save_layout(
    conn: Connection, *, job_id: UUID, attempt: int, layout: dict[str, Any], offset: int, line: int
) -> bool:
    status = await conn.execute(SAVE_LAYOUT, job_id, attempt, layout, offset, line)
    return status.endswith(" 1")


async def update_progress(
    conn: Connection,
    *,
    job_id: UUID,
    attempt: int,
    offset: int,
    line: int,
    total_rows: int,
    inserted: int,
    skipped: int,
    reasons: dict[str, int],
    errors_kept: int,
    status: str,
) -> bool:
    """Record a committed batch; False if this attempt no longer owns the job."""
    result = await conn.execute(
        UPDATE_PROGRESS,
        job_id,
        attempt,
        offset,
        line,
        total_rows,
        inserted,
        skipped,
        reasons,
        errors_kept,
        status,
    )
    return result.endswith(" 1")


async def fail_job(conn: Connection, *, job_id: UUID, attempt: int | None, error: str) -> bool:
    return (await conn.execute(FAIL_JOB, job_id, attempt, error)).endswith(" 1")


async def insert_row_errors(
    conn: Connection, *, job_id: UUID, errors: Sequence[tuple[int, str, str | None, str | None]]
) -> None:
    if errors:
        lines, reasons, columns, values = (list(column) for column in zip(*errors, strict=True))
        await conn.execute(INSERT_ROW_ERRORS, job_id, lines, reasons, columns, values)


async def select_row_errors(conn: Connection, *, job_id: UUID, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ROW_ERRORS, job_id, limit)


async def notify_job_changed(conn: Connection, job_id: UUID) -> None:
    """Tell listeners (delivered on commit) that the job's row changed; the payload is its id."""
    await conn.execute(NOTIFY_JOB, CHANNEL, str(job_id))


async def select_unfinished_among(conn: Connection, job_ids: Sequence[UUID]) -> set[UUID]:
    return {row["id"] for row in await conn.fetch(SELECT_UNFINISHED_AMONG, list(job_ids))}


async def insert_upload_chunk(conn: Connection, *, job_id: UUID, chunk: int, data: bytes) -> None:
    """Store part `chunk` of a job's upload; the job row may follow in the same transaction."""
    await conn.execute(INSERT_UPLOAD_CHUNK, job_id, chunk, data)


async def get_upload_chunk(conn: Connection, *, job_id: UUID, chunk: int) -> bytes | None:
    data: bytes | None = await conn.fetchval(GET_UPLOAD_CHUNK, job_id, chunk)
    return data


async def delete_upload_chunks(conn: Connection, job_id: UUID) -> None:
    await conn.execute(DELETE_UPLOAD_CHUNKS, job_id)


async def delete_ended_upload_chunks(conn: Connection) -> int:
    """Remove the stored uploads of jobs that have ended; returns how many chunks went."""
    return int((await conn.execute(DELETE_ENDED_UPLOAD_CHUNKS)).split()[-1])


async def insert_staged_profiles(
    conn: Connection, copy_data: bytes, *, staged: int
) -> list[asyncpg.Record]:
    """COPY a batch of `staged` rows (text format, STAGING_COLUMNS) and insert its new names.

    Must run inside a transaction. Returns (line, name) of the rows whose name already existed.
    """
    await stage_batch(conn, copy_data)
    if await insert_staged(conn) == staged:
        return []
    return await select_staged_duplicates(conn)


async def stage_batch(conn: Connection, copy_data: bytes) -> None:
    """COPY a batch (text format, STAGING_COLUMNS) into this session's staging table.

    Inside the batch's transaction: the table empties on commit."""
    await conn.execute(SET_BATCH_TIMEOUT)
    await conn.execute(CREATE_STAGING_TABLE)
    await conn.copy_to_table(
        "ingestion_staging", source=_once(copy_data), columns=STAGING_COLUMNS, format="text"
    )


async def insert_staged(conn: Connection) -> int:
    """Insert the staged rows whose name is new; returns how many went in."""
    return int(await conn.fetchval(INSERT_STAGED_PROFILES))


async def select_staged_duplicates(conn: Connection) -> list[asyncpg.Record]:
    """(line, name) of the staged rows that lost to a stored name, in line order."""
    return await conn.fetch(SELECT_STAGED_DUPLICATES)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    # asyncpg reads a bytes `source` as a file path; an async iterable is sent as it is.
    yield data
