"""The job worker on a real PostgreSQL: claims, leases, heartbeats, fencing, restarts."""

import asyncio
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from db import jobs as jobs_db
from services.jobs.worker import Job, JobWorker, Lease, LeaseLost
from services.platform.notifications import NotificationHub
from tests.polling import eventually

KIND = "test-job"


class Recorder:
    """A handler that records its runs and does what the job's payload says."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.runs: list[str] = []
        self.payloads: list[dict[str, Any]] = []
        self.abandoned: list[str] = []

    async def run(self, job: Job, lease: Lease) -> None:
        self.runs.append(job.key)
        self.payloads.append(dict(job.payload))
        action = job.payload.get("action", "finish")
        await asyncio.sleep(float(job.payload.get("seconds", 0)))
        if action == "explode":
            raise RuntimeError("a bug in the handler")
        async with self.pool.acquire() as conn:
            await lease.finish(conn, failed_with="told to fail" if action == "fail" else None)

    async def abandon(self, job: Job, lease: Lease, reason: str) -> None:
        self.abandoned.append(reason)
        async with self.pool.acquire() as conn:
            await lease.finish(conn, failed_with=reason)


@pytest.fixture
async def clean_jobs(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("delete from background_jobs where kind = $1", KIND)


pytestmark = pytest.mark.usefixtures("clean_jobs")


async def queue(pool: asyncpg.Pool, key: str, **payload: Any) -> UUID:
    async with pool.acquire() as conn:
        row = await jobs_db.insert_job(conn, kind=KIND, key=key, payload=payload)
    job_id: UUID = row["id"]
    return job_id


async def job_row(pool: asyncpg.Pool, job_id: UUID) -> asyncpg.Record:
    async with pool.acquire() as conn:
        row = await conn.fetchrow("select * from background_jobs where id = $1", job_id)
    assert row is not None
    return row


async def jobs_as_the_database_sees_them(pool: asyncpg.Pool) -> str:
    """The rows and the server's clock, for a failure message that says why a job was not run."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "select key, status, claims, lease_owner, run_after - now() as due_in,"
            " clock_timestamp() - now() as statement_age"
            " from background_jobs where kind = $1 order by run_after, id",
            KIND,
        )
    return "\n".join(str(dict(row)) for row in rows)


def worker(pool: asyncpg.Pool, handler: Recorder, **options: Any) -> JobWorker:
    return JobWorker(pool, {KIND: handler}, **({"lease_seconds": 5.0} | options))


async def test_a_due_job_runs_once_and_completes(pool: asyncpg.Pool) -> None:
    handler = Recorder(pool)
    job_id = await queue(pool, "a")
    done = await worker(pool, handler).run_until_idle()
    assert [job.id for job in done] == [job_id]
    row = await job_row(pool, job_id)
    assert (row["status"], row["claims"], row["lease_owner"]) == ("COMPLETED", 1, None)
    assert row["finished_at"] is not None
    assert handler.runs == ["a"]


async def test_queuing_the_same_key_twice_while_queued_is_one_job(pool: asyncpg.Pool) -> None:
    first = await queue(pool, "same", version=1)
    second = await queue(pool, "same", version=2)
    assert first == second
    assert (await job_row(pool, first))["payload"] == {"version": 2}


async def test_work_queued_while_its_job_runs_runs_after_it(pool: asyncpg.Pool) -> None:
    handler = Recorder(pool)
    job_id = await queue(pool, "busy", version=1, seconds=0.3)
    running = asyncio.create_task(worker(pool, handler).run_once())
    await eventually(lambda: asyncio.sleep(0, handler.runs), message="the first run started")
    assert await queue(pool, "busy", version=2) == job_id  # still one live job for the key
    assert (await job_row(pool, job_id))["payload"] == {"version": 1, "seconds": 0.3}
    assert await worker(pool, handler).run_once() is None  # a key's runs never overlap
    await running
    row = await job_row(pool, job_id)
    assert (row["status"], row["claims"], row["payload"]) == ("QUEUED", 0, {"version": 2})
    assert row["finished_at"] is None
    await worker(pool, handler).run_until_idle()
    assert handler.payloads == [{"version": 1, "seconds": 0.3}, {"version": 2}]
    row = await job_row(pool, job_id)
    assert (row["status"], row["claims"], row["rerun_payload"]) == ("COMPLETED", 1, None)


async def test_a_rerun_asked_for_during_a_run_survives_the_worker_shutting_down(
    pool: asyncpg.Pool,
) -> None:
    handler = Recorder(pool)
    job_id = await queue(pool, "interrupted", version=1, seconds=5)
    running = asyncio.create_task(worker(pool, handler).run_once())
    await eventually(lambda: asyncio.sleep(0, handler.runs), message="the job started")
    await queue(pool, "interrupted", version=2)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    row = await job_row(pool, job_id)
    assert (row["status"], row["claims"], row["payload"]) == ("QUEUED", 0, {"version": 2})


async def test_a_rerun_asked_for_during_a_failing_run_runs_at_once(pool: asyncpg.Pool) -> None:
    handler = Recorder(pool)
    job_id = await queue(pool, "buggy", action="explode", seconds=0.3)
    running = asyncio.create_task(worker(pool, handler).run_once())
    await eventually(lambda: asyncio.sleep(0, handler.runs), message="the job started")
    await queue(pool, "buggy", action="finish")
    await running
    await worker(pool, handler).run_until_idle()  # no back-off: the new input is due now
    row = await job_row(pool, job_id)
    assert (row["status"], row["payload"]) == ("COMPLETED", {"action": "finish"})
    assert handler.runs == ["buggy", "buggy"]


async def test_two_workers_never_take_the_same_job(pool: asyncpg.Pool) -> None:
    handler = Recorder(pool)
    keys = [f"job-{n}" for n in range(8)]
    for key in keys:
        await queue(pool, key, seconds=0.02)
    one, two = worker(pool, handler), worker(pool, handler)
    done_one, done_two = await asyncio.gather(one.run_until_idle(), two.run_until_idle())
    assert sorted(handler.runs) == sorted(keys), await jobs_as_the_database_sees_them(pool)
    assert done_one, "both workers took a share"
    assert done_two, "both workers took a share"
    assert {job.id for job in done_one}.isdisjoint({job.id for job in done_two})


async def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(
    pool: asyncpg.Pool,
) -> None:
    handler = Recorder(pool)
    job_id = await queue(pool, "orphan")
    async with pool.acquire() as conn:  # a worker claims it and dies without a word
        claimed = await jobs_db.claim_next_job(conn, owner="dead", lease_seconds=0.3, kinds=[KIND])
    assert claimed is not None
    alive = worker(pool, handler)
    assert await alive.run_once() is None  # the lease still holds
    job = await eventually(alive.run_once, message="the orphaned job claimed again")
    assert job is not None
    assert job.id == job_id
    row = await job_row(pool, job_id)
    assert (row["status"], row["claims"]) == ("COMPLETED", 2)


async def test_the_heartbeat_keeps_a_long_job_from_being_taken(pool: asyncpg.Pool) -> None:
    handler = Recorder(pool)
    await queue(pool, "long", seconds=1.0)
    holder = worker(pool, handler, lease_seconds=0.3)  # renewed every 0.1 s
    running = asyncio.create_task(holder.run_once())
    await eventually(lambda: asyncio.sleep(0, handler.runs), message="the job started")
    rival = worker(pool, handler, lease_seconds=0.3)
    while not running.done():
        assert await rival.run_once() is None
        await asyncio.sleep(0.05)
    assert handler.runs == ["long"]


async def test_a_worker_that_lost_its_lease_cannot_finish_the_job(pool: asyncpg.Pool) -> None:
    handler = Recorder(pool)
    job_id = await queue(pool, "stolen")
    async with pool.acquire() as conn:
        row = await jobs_db.claim_next_job(conn, owner="slow", lease_seconds=5, kinds=[KIND])
        assert row is not None
        await conn.execute("update background_jobs set lease_owner = 'thief' where id = $1", job_id)
        lease = Lease(pool, Job.from_row(row), "slow", 5)
        with pytest.raises(LeaseLost):
            await lease.finish(conn)
    assert (await job_row(pool, job_id))["status"] == "RUNNING"
    assert handler.runs == []


async def test_shutting_down_hands_the_job_back_at_once(pool: asyncpg.Pool) -> None:
    handler = Recorder(pool)
    job_id = await queue(pool, "interrupted", seconds=5)
    running = asyncio.create_task(worker(pool, handler).run_once())
    await eventually(lambda: asyncio.sleep(0, handler.runs), message="the job started")
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    row = await job_row(pool, job_id)
    assert (row["status"], row["claims"], row["lease_owner"]) == ("QUEUED", 0, None)


async def test_an_unexpected_error_queues_the_job_again_later(pool: asyncpg.Pool) -> None:
    handler = Recorder(pool)
    job_id = await queue(pool, "buggy", action="explode")
    await worker(pool, handler).run_once()
    row = await job_row(pool, job_id)
    assert row["status"] == "QUEUED"
    assert row["last_error"] == "RuntimeError: a bug in the handler"
    async with pool.acquire() as conn:
        assert await conn.fetchval("select $1 > now()", row["run_after"])
    assert await worker(pool, handler).run_once() is None  # not due yet


async def test_a_job_that_keeps_killing_its_worker_is_abandoned(pool: asyncpg.Pool) -> None:
    handler = Recorder(pool)
    job_id = await queue(pool, "poison")
    async with pool.acquire() as conn:
        await conn.execute(
            "update background_jobs set claims = 3, status = 'RUNNING', lease_owner = 'dead',"
            " lease_expires_at = now() - interval '1 second' where id = $1",
            job_id,
        )
    await worker(pool, handler, max_claims=3).run_once()
    row = await job_row(pool, job_id)
    assert row["status"] == "FAILED"
    assert row["last_error"] == "abandoned after 3 interrupted runs"
    assert handler.runs == []


async def test_the_background_loop_picks_up_notified_work(pool: asyncpg.Pool) -> None:
    handler = Recorder(pool)
    background = worker(pool, handler, poll_seconds=30.0)  # only the notification wakes it
    background.start()
    try:
        await asyncio.sleep(0.05)  # let both loops find nothing and go to sleep
        job_id = await queue(pool, "notified")
        background.notify()
        row = await eventually(
            lambda: job_row(pool, job_id),
            until=lambda row: row["status"] == "COMPLETED",
            within=5,
            message="the notified job completed",
        )
        assert row["claims"] == 1
    finally:
        await background.stop()


async def test_the_background_loop_outlives_a_failing_claim(pool: asyncpg.Pool) -> None:
    handler = Recorder(pool)

    class FlakyWorker(JobWorker):
        failures = 1

        async def run_once(self) -> Job | None:
            if self.failures:
                self.failures -= 1
                raise TimeoutError("no connection within the pool timeout")
            return await super().run_once()

    background = FlakyWorker(pool, {KIND: handler}, poll_seconds=0.05, concurrency=1)
    job_id = await queue(pool, "after-a-failure")
    background.start()
    try:
        await eventually(
            lambda: job_row(pool, job_id),
            until=lambda row: row["status"] == "COMPLETED",
            within=5,
            message="the job completed after the loop's failure",
        )
    finally:
        await background.stop()
    assert background.failures == 0


async def test_a_job_committed_anywhere_wakes_the_worker_without_waiting_for_its_poll(
    pool: asyncpg.Pool, database_dsn: str
) -> None:
    # The worker polls every 10 minutes here: only the announcement a committed job makes
    # (db/jobs.py) can wake it. Nothing calls `notify()`.
    handler = Recorder(pool)
    hub = NotificationHub(database_dsn)
    hub.start()
    background = worker(pool, handler, poll_seconds=600.0)
    try:
        background.start(hub)
        await eventually(lambda: _listening_on_jobs(pool), bool, message="the worker's LISTEN")
        await asyncio.sleep(0.2)  # its loops have looked once and found nothing
        assert handler.runs == []
        async with pool.acquire() as conn, conn.transaction():
            await jobs_db.insert_job(conn, kind=KIND, key="woken", payload={})
            await asyncio.sleep(0.2)
            assert handler.runs == []  # announced on commit, not before
        await eventually(lambda: _runs(handler), bool, within=30, message="the woken run")
        assert handler.runs == ["woken"]
    finally:
        await background.stop()
        await hub.close()


async def _listening_on_jobs(pool: asyncpg.Pool) -> int:
    return int(
        await pool.fetchval(
            "select count(*) from pg_stat_activity where datname = current_database()"
            " and query ilike $1",
            f"LISTEN%{jobs_db.JOBS_CHANNEL}%",
        )
    )


async def _runs(handler: Recorder) -> list[str]:
    return handler.runs
