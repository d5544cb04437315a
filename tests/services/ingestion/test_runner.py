"""The runner on a real PostgreSQL: spool files left behind by a crash, and jobs whose upload
was spooled on another host."""

import contextlib
import io
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from db import ingestion as ingestion_db
from db.pool import create_pool
from services.ingestion.pacing import QueryActivity
from services.ingestion.parsers import ParserPool
from services.ingestion.runner import ORPHAN_AFTER_SECONDS, IngestionRunner, RunnerSettings
from services.ingestion.spool import Spool
from services.ingestion.uploads import CHUNK_BYTES, store_upload
from services.platform.ids import uuid7
from tests.databases import fresh_database
from tests.polling import eventually

CHUNK_COUNT = "select count(*) from ingestion_upload_chunks where job_id = any($1::uuid[])"
JOB_ROW = """
select status, attempt, total_rows, inserted, skipped, reasons, error
  from ingestion_jobs
 where id = $1
"""
ENDED = """
select count(*) from ingestion_jobs where id = any($1::uuid[]) and status in ('COMPLETED', 'FAILED')
"""


async def test_orphaned_uploads_are_removed_and_live_ones_kept(
    pool: asyncpg.Pool, database_dsn: str, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool")
    spool.directory.mkdir()
    never_recorded, ended, running, fresh = uuid7(), uuid7(), uuid7(), uuid7()
    old = time.time() - ORPHAN_AFTER_SECONDS - 60
    for job_id in (never_recorded, ended, running, fresh):
        path = spool.path_for(job_id)
        path.write_bytes(b"name,gender,age,country_id\n")
        if job_id != fresh:
            os.utime(path, (old, old))
    half_written = spool.path_for(uuid7()).with_suffix(".part")
    half_written.write_bytes(b"name")
    os.utime(half_written, (old, old))
    holder = await asyncpg.connect(database_dsn)
    job_pool = await create_pool(database_dsn, min_size=0, max_size=1)
    parsers = ParserPool(1)
    try:
        for job_id in (ended, running):
            await ingestion_db.insert_job(
                holder, job_id=job_id, file_name=None, spool_path=str(spool.path_for(job_id)),
                bytes_total=27,
            )  # fmt: skip
        await holder.execute("update ingestion_jobs set status = 'COMPLETED' where id = $1", ended)
        # Another live process runs this one: it holds the lock, so it is left alone.
        assert await ingestion_db.try_lock_job(holder, running)
        await holder.execute("update ingestion_jobs set status = 'RUNNING' where id = $1", running)
        runner = IngestionRunner(
            pool=pool,
            job_pool=job_pool,
            parsers=parsers,
            spool=spool,
            settings=RunnerSettings(concurrency=1, batch_rows=100),
            activity=QueryActivity(),
        )
        runner.start()
        try:
            left = await eventually(
                lambda: _files(spool),
                lambda names: len(names) == 2,
                message="orphaned uploads to be removed",
            )
        finally:
            await runner.close()
        assert left == sorted([spool.path_for(running).name, spool.path_for(fresh).name])
    finally:
        await holder.execute("update ingestion_jobs set status = 'FAILED' where id = $1", running)
        await holder.close()
        await parsers.close()
        await job_pool.close()


async def _files(spool: Spool) -> list[str]:
    return sorted(path.name for path in spool.directory.iterdir())


@pytest.fixture
async def own_dsn(server_dsn: str) -> AsyncIterator[str]:
    """A database of its own: no runner of another test claims the jobs queued here."""
    async with fresh_database(server_dsn) as dsn:
        yield dsn


@pytest.fixture
async def own_pool(own_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(own_dsn, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def running(pool: asyncpg.Pool, dsn: str, spool: Spool) -> AsyncIterator[None]:
    """A runner as a server process on its own host has it."""
    job_pool = await create_pool(dsn, min_size=0, max_size=2, reset_sessions=True)
    parsers = ParserPool(2)
    runner = IngestionRunner(
        pool=pool,
        job_pool=job_pool,
        parsers=parsers,
        spool=spool,
        settings=RunnerSettings(concurrency=2, batch_rows=10_000, sweep_seconds=0.2),
        activity=QueryActivity(),
    )
    runner.start()
    try:
        yield
    finally:
        await runner.close()
        await parsers.close()
        await job_pool.close()


async def queue(pool: asyncpg.Pool, spool: Spool, data: bytes) -> UUID:
    """What `Ingestion.submit` does: the upload and its job in one transaction."""
    job_id = uuid7()
    async with pool.acquire() as conn, conn.transaction():
        path = await store_upload(conn, spool, job_id, io.BytesIO(data), max_bytes=len(data))
        await ingestion_db.insert_job(
            conn, job_id=job_id, file_name=None, spool_path=str(path), bytes_total=len(data)
        )
    return job_id


async def test_jobs_spooled_on_another_host_are_restored_and_end_without_stored_uploads(
    own_pool: asyncpg.Pool, own_dsn: str, tmp_path: Path
) -> None:
    host_a, host_b = Spool(tmp_path / "host-a"), Spool(tmp_path / "host-b")
    rows = 70_000
    lines = [f"Far {i},{'mf'[i % 2]},{i % 100},KE\n" for i in range(rows)]
    lines[7] = "Far 7,f,old,KE\n"
    good = ("name,gender,age,country_id\n" + "".join(lines)).encode()
    assert len(good) > CHUNK_BYTES
    completed = await queue(own_pool, host_a, good)
    headerless = await queue(own_pool, host_a, b"nom,genre\nAda,f\n")
    # Queued by a release that did not store uploads: only host A has it.
    unstored = uuid7()
    async with own_pool.acquire() as conn:
        await ingestion_db.insert_job(
            conn, job_id=unstored, file_name=None, spool_path="/host-a.csv", bytes_total=9
        )
    jobs = [completed, headerless, unstored]
    assert await own_pool.fetchval(CHUNK_COUNT, jobs) == -(-len(good) // CHUNK_BYTES) + 1
    async with running(own_pool, own_dsn, host_b):
        await eventually(
            lambda: own_pool.fetchval(ENDED, jobs),
            lambda ended: ended == 3,
            message="every job to end",
            within=60,
        )
        # A runner removes its spool copy right after the job's last commit, not in it.
        await eventually(
            lambda: _files(host_b), lambda files: files == [], message="host B's copies removed"
        )
    done = await own_pool.fetchrow(JOB_ROW, completed)
    assert done is not None
    assert (done["status"], done["attempt"], done["total_rows"]) == ("COMPLETED", 1, rows)
    assert (done["inserted"], done["skipped"]) == (rows - 1, 1)
    assert done["reasons"] == {"invalid_age": 1}
    stored = await own_pool.fetchval("select count(*) from profiles where name like 'Far %'")
    assert stored == rows - 1
    failed = await own_pool.fetchrow(JOB_ROW, headerless)
    assert failed is not None
    assert failed["status"] == "FAILED"
    assert "required" in failed["error"]
    lost = await own_pool.fetchrow(JOB_ROW, unstored)
    assert lost is not None
    assert (lost["status"], lost["total_rows"]) == ("FAILED", 0)
    assert "neither this spool directory nor the database" in lost["error"]
    # Ended jobs keep no stored upload, nor host B's spool copies; host A's files stay until
    # its own sweep.
    assert await own_pool.fetchval(CHUNK_COUNT, jobs) == 0
    assert await _files(host_b) == []
    assert len(await _files(host_a)) == 2


async def test_stored_uploads_of_ended_jobs_are_removed_at_start(
    own_pool: asyncpg.Pool, own_dsn: str, tmp_path: Path
) -> None:
    spool = Spool(tmp_path / "spool")
    data = b"name,gender,age,country_id\nAda,f,30,NG\n"
    ended, held = await queue(own_pool, spool, data), await queue(own_pool, spool, data)
    # Ended by a release that did not delete stored uploads; the other one is being run by a
    # live process (it holds the lock), so its upload stays.
    await own_pool.execute("update ingestion_jobs set status = 'COMPLETED' where id = $1", ended)
    holder = await asyncpg.connect(own_dsn)
    try:
        assert await ingestion_db.try_lock_job(holder, held)
        async with running(own_pool, own_dsn, spool):
            await eventually(
                lambda: own_pool.fetchval(CHUNK_COUNT, [ended]),
                lambda count: count == 0,
                message="the ended job's upload to be removed",
            )
        assert await own_pool.fetchval(CHUNK_COUNT, [held]) == 1
    finally:
        await holder.close()


async def test_batches_are_the_one_node_default_unless_set(pool: asyncpg.Pool) -> None:
    from services.ingestion.runner import BATCH_ROWS, default_batch_rows

    async with pool.acquire() as conn:
        assert await default_batch_rows(conn) == BATCH_ROWS == 50_000
