"""SQL for background jobs: queue, claim with a lease, renew the lease, finish, release.

Every write after the claim is fenced by `lease_owner`: a worker that lost its lease (it
stalled past the expiry and another worker took the job) cannot finish the job any more.
"""

from collections.abc import Sequence
from typing import Any, Final
from uuid import UUID

import asyncpg

from db.pool import Connection

# Every process's worker listens here; a job queued in a transaction is announced when it
# commits, so no caller has to wake a worker itself.
JOBS_CHANNEL: Final = "insighta_jobs"
JOB_QUEUED: Final = "queued"

# One live job per (kind, key). Queuing again while it waits replaces its payload; queuing
# while it runs records the payload for a rerun (`rerun_payload`), which the run's end turns
# into a fresh queued run instead of finishing the job.
INSERT_JOB = """
with queued as (
insert into background_jobs as j (kind, key, payload, run_after)
values ($1, $2, $3, now() + make_interval(secs => $4))
    on conflict (kind, key) where status in ('QUEUED', 'RUNNING')
    do update set payload = case when j.status = 'QUEUED' then excluded.payload
                                 else j.payload end,
                  rerun_payload = case when j.status = 'RUNNING' then excluded.payload end,
                  run_after = case when j.status = 'QUEUED'
                                   then least(j.run_after, excluded.run_after)
                                   else j.run_after end,
                  updated_at = now()
returning id, kind, key, payload, status, claims, last_error, created_at, finished_at
)
select queued.*, pg_notify($5, $6) as announced
  from queued
"""

# Due queued work, or running work whose lease has expired (its worker died), oldest first.
# SKIP LOCKED: concurrent workers each take a different row instead of queuing on one.
# MATERIALIZED: the pick runs once. As a subquery in FROM, a nested-loop plan may run it again
# for every row it joins, and each run locks the next free row: one claim took seven jobs,
# which then sat RUNNING under a lease nobody renewed (tests/services/jobs/test_worker.py).
CLAIM_NEXT_JOB = """
with next as materialized (
    select id
      from background_jobs
     where status in ('QUEUED', 'RUNNING')
       and run_after <= now()
       and (status = 'QUEUED' or lease_expires_at < now())
       and kind = any($3::text[])
     order by run_after, id
     limit 1
       for update skip locked
)
update background_jobs j
   set status = 'RUNNING',
       claims = j.claims + 1,
       lease_owner = $1,
       lease_expires_at = now() + make_interval(secs => $2),
       updated_at = now()
  from next
 where j.id = next.id
returning j.id, j.kind, j.key, j.payload, j.status, j.claims, j.last_error, j.created_at,
          j.finished_at
"""

RENEW_LEASE = """
update background_jobs
   set lease_expires_at = now() + make_interval(secs => $3),
       updated_at = now()
 where id = $1
   and lease_owner = $2
   and status = 'RUNNING'
"""

# A requested rerun turns the end of a run into a new queued run with the newer payload; its
# claims start again, since they count this input's runs.
FINISH_JOB = """
update background_jobs
   set status = case when rerun_payload is null then $3 else 'QUEUED' end,
       payload = coalesce(rerun_payload, payload),
       rerun_payload = null,
       claims = case when rerun_payload is null then claims else 0 end,
       run_after = case when rerun_payload is null then run_after else now() end,
       last_error = $4,
       lease_owner = null,
       lease_expires_at = null,
       finished_at = case when rerun_payload is null then now() end,
       updated_at = now()
 where id = $1
   and lease_owner = $2
   and status = 'RUNNING'
"""

# A worker shutting down hands its job back at once rather than waiting for the lease to run
# out; the claim it made is not held against the job.
RELEASE_JOB = """
update background_jobs
   set status = 'QUEUED',
       payload = coalesce(rerun_payload, payload),
       rerun_payload = null,
       claims = case when rerun_payload is null then greatest(claims - 1, 0) else 0 end,
       lease_owner = null,
       lease_expires_at = null,
       updated_at = now()
 where id = $1
   and lease_owner = $2
   and status = 'RUNNING'
"""

# After an unexpected error: back in the queue after a delay, the claim still counted; with a
# rerun requested, the newer payload runs at once with its own count.
RETRY_JOB_LATER = """
update background_jobs
   set status = 'QUEUED',
       payload = coalesce(rerun_payload, payload),
       claims = case when rerun_payload is null then claims else 0 end,
       run_after = case when rerun_payload is null
                        then now() + make_interval(secs => $3)
                        else now() end,
       rerun_payload = null,
       last_error = $4,
       lease_owner = null,
       lease_expires_at = null,
       updated_at = now()
 where id = $1
   and lease_owner = $2
   and status = 'RUNNING'
"""

GET_JOB = """
select id, kind, key, payload, status, claims, last_error, created_at, finished_at
  from background_jobs
 where id = $1
"""


async def insert_job(
    conn: Connection, *, kind: str, key: str, payload: dict[str, Any], delay_seconds: float = 0.0
) -> asyncpg.Record:
    record = await conn.fetchrow(
        INSERT_JOB, kind, key, payload, delay_seconds, JOBS_CHANNEL, JOB_QUEUED
    )
    assert record is not None
    return record


async def claim_next_job(
    conn: Connection, *, owner: str, lease_seconds: float, kinds: Sequence[str]
) -> asyncpg.Record | None:
    return await conn.fetchrow(CLAIM_NEXT_JOB, owner, lease_seconds, list(kinds))


async def renew_lease(conn: Connection, *, job_id: UUID, owner: str, lease_seconds: float) -> bool:
    return await conn.execute(RENEW_LEASE, job_id, owner, lease_seconds) == "UPDATE 1"


async def finish_job(
    conn: Connection, *, job_id: UUID, owner: str, status: str, error: str | None
) -> bool:
    return await conn.execute(FINISH_JOB, job_id, owner, status, error) == "UPDATE 1"


async def release_job(conn: Connection, *, job_id: UUID, owner: str) -> bool:
    return await conn.execute(RELEASE_JOB, job_id, owner) == "UPDATE 1"


async def retry_job_later(
    conn: Connection, *, job_id: UUID, owner: str, delay_seconds: float, error: str
) -> bool:
    return await conn.execute(RETRY_JOB_LATER, job_id, owner, delay_seconds, error) == "UPDATE 1"


async def get_job(conn: Connection, job_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_JOB, job_id)
