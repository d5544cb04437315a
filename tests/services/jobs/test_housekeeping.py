"""The housekeeping job on a real PostgreSQL: what it deletes, what it keeps, its schedule."""

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta

import asyncpg
import pytest

from db import jobs as jobs_db
from db.pool import Connection
from services.jobs.housekeeping import (
    HOUSEKEEPING_JOB,
    Housekeeping,
    Retention,
    schedule_housekeeping,
)
from services.jobs.worker import JobWorker

DAY = 86400.0
RETENTION = Retention(keep_seconds=30 * DAY, every_seconds=3600.0)


@pytest.fixture
async def clean_schedule(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("delete from background_jobs where kind = $1", HOUSEKEEPING_JOB)


pytestmark = pytest.mark.usefixtures("clean_schedule")


class Rows:
    """Rows of every purged kind, named by what should become of them."""

    def __init__(self) -> None:
        self.ids: dict[str, uuid.UUID] = {}

    def names(self, prefix: str) -> Iterator[str]:
        return (name for name in self.ids if name.startswith(prefix))


async def seed(conn: Connection) -> Rows:
    rows = Rows()
    organisation = await conn.fetchval(
        "insert into organisations (slug, name) values ($1, 'H') returning id",
        f"housekeeping-{uuid.uuid4().hex[:8]}",
    )
    user = await conn.fetchval(
        "insert into users (organisation_id, email, email_key, role)"
        " values ($1, $2, $2, 'analyst') returning id",
        organisation,
        f"{uuid.uuid4().hex}@example.com",
    )
    ages = {
        "gone": timedelta(days=31),
        "kept-recently-expired": timedelta(days=29),
        "kept-live": timedelta(days=-1),
    }
    for fate, expired_ago in ages.items():
        rows.ids[f"refresh/{fate}"] = await conn.fetchval(
            "insert into refresh_tokens (user_id, family_id, token_hash, expires_at)"
            " values ($1, gen_random_uuid(), $2, now() - $3::interval) returning id",
            user,
            os.urandom(32),
            expired_ago,
        )
        rows.ids[f"reset/{fate}"] = await conn.fetchval(
            "insert into password_resets (user_id, token_hash, expires_at)"
            " values ($1, $2, now() - $3::interval) returning id",
            user,
            os.urandom(32),
            expired_ago,
        )
        rows.ids[f"invitation/{fate}"] = await conn.fetchval(
            "insert into invitations (organisation_id, email, email_key, role, token_hash,"
            " invited_by, expires_at) values ($1, 'x@example.com', 'x@example.com', 'analyst',"
            " $2, 'admin', now() - $3::interval) returning id",
            organisation,
            os.urandom(32),
            expired_ago,
        )
    rows.ids["invitation/kept-accepted"] = await conn.fetchval(
        "insert into invitations (organisation_id, email, email_key, role, token_hash,"
        " invited_by, expires_at, accepted_at, accepted_by) values ($1, 'y@example.com',"
        " 'y@example.com', 'analyst', $2, 'admin', now() - interval '90 days',"
        " now() - interval '91 days', $3) returning id",
        organisation,
        os.urandom(32),
        user,
    )
    jobs = {
        "gone-completed": ("COMPLETED", timedelta(days=31)),
        "gone-failed": ("FAILED", timedelta(days=31)),
        "kept-recently-finished": ("COMPLETED", timedelta(days=29)),
    }
    for fate, (status, finished_ago) in jobs.items():
        rows.ids[f"job/{fate}"] = await conn.fetchval(
            "insert into background_jobs (kind, key, status, finished_at)"
            " values ('email', $1, $2, now() - $3::interval) returning id",
            uuid.uuid4().hex,
            status,
            finished_ago,
        )
    return rows


EXISTS = {
    "refresh": "select exists (select 1 from refresh_tokens where id = $1)",
    "reset": "select exists (select 1 from password_resets where id = $1)",
    "invitation": "select exists (select 1 from invitations where id = $1)",
    "job": "select exists (select 1 from background_jobs where id = $1)",
}


async def surviving(conn: Connection, rows: Rows) -> set[str]:
    alive = set()
    for name, row_id in rows.ids.items():
        if await conn.fetchval(EXISTS[name.partition("/")[0]], row_id):
            alive.add(name)
    return alive


async def queue_now(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await jobs_db.insert_job(conn, kind=HOUSEKEEPING_JOB, key="purge", payload={})


def worker(pool: asyncpg.Pool, **options: int) -> JobWorker:
    return JobWorker(pool, {HOUSEKEEPING_JOB: Housekeeping(pool, RETENTION, **options)})


async def test_a_run_deletes_what_nothing_can_use_and_keeps_the_rest(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = await seed(conn)
    await queue_now(pool)
    assert await worker(pool).run_once() is not None
    async with pool.acquire() as conn:
        alive = await surviving(conn, rows)
    assert alive == {name for name in rows.ids if "/kept" in name}


async def test_a_backlog_larger_than_a_batch_goes_in_one_run(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = [await seed(conn) for _ in range(3)]  # 3 expired rows per table, batches of 2
    await queue_now(pool)
    assert await worker(pool, batch_rows=2).run_once() is not None
    async with pool.acquire() as conn:
        for seeded in rows:
            assert not {name for name in await surviving(conn, seeded) if "/gone" in name}


async def test_each_run_queues_the_next_one_period_later(pool: asyncpg.Pool) -> None:
    await queue_now(pool)
    housekeeper = worker(pool)
    assert await housekeeper.run_once() is not None
    assert await housekeeper.run_once() is None  # the next run is not due yet
    async with pool.acquire() as conn:
        due_in = await conn.fetchval(
            "select extract(epoch from run_after - now()) from background_jobs"
            " where kind = $1 and status = 'QUEUED'",
            HOUSEKEEPING_JOB,
        )
    assert 3590 < due_in <= 3600


async def test_every_process_starting_keeps_one_schedule_due_at_the_earliest(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        await schedule_housekeeping(conn, Retention(keep_seconds=DAY, every_seconds=60.0))
        await schedule_housekeeping(conn, RETENTION)  # a second process, a longer period
        scheduled = await conn.fetch(
            "select extract(epoch from run_after - now()) as due_in from background_jobs"
            " where kind = $1 and status = 'QUEUED'",
            HOUSEKEEPING_JOB,
        )
    assert len(scheduled) == 1
    assert scheduled[0]["due_in"] <= 60
