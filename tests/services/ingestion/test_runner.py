"""The runner's housekeeping on a real PostgreSQL: spool files left behind by a crash."""

import os
import time
from pathlib import Path

import asyncpg

from db import ingestion as ingestion_db
from db.pool import create_pool
from services.ids import uuid7
from services.ingestion.pacing import QueryActivity
from services.ingestion.parsers import ParserPool
from services.ingestion.runner import ORPHAN_AFTER_SECONDS, IngestionRunner, RunnerSettings
from services.ingestion.spool import Spool
from tests.polling import eventually


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
