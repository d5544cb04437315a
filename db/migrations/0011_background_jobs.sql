-- Durable background work (assessments, emails): a row per job, claimed by any server
-- process's worker with FOR UPDATE SKIP LOCKED and held by a lease the worker keeps renewing.
-- A job whose lease ran out (its process died) is claimable again, so nothing stays RUNNING.

create table background_jobs (
    id               uuid primary key default uuid_v7(),
    kind             text not null check (kind <> ''),
    -- What the job is about (an interview id, an outbox id): one live job per (kind, key).
    key              text collate "C" not null,
    payload          jsonb not null default '{}',
    status           text not null default 'QUEUED' check (status in (
                         'QUEUED', 'RUNNING', 'COMPLETED', 'FAILED')),
    run_after        timestamptz not null default now(),
    claims           integer not null default 0,  -- how often a worker took it
    lease_owner      text,
    lease_expires_at timestamptz,
    last_error       text,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    finished_at      timestamptz,
    check ((status = 'RUNNING') = (lease_owner is not null and lease_expires_at is not null))
);

-- The claim query: queued work that is due, or running work whose lease has expired.
create index background_jobs_claimable_idx on background_jobs (run_after, id)
    where status in ('QUEUED', 'RUNNING');
-- Queuing the same work twice while it is still live is a no-op.
create unique index background_jobs_live_key_idx on background_jobs (kind, key)
    where status in ('QUEUED', 'RUNNING');
