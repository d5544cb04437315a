-- CSV ingestion jobs: durable progress, the checkpoint to resume from, and kept row errors.

create table ingestion_jobs (
    id              uuid primary key,
    status          text not null default 'QUEUED'
                        check (status in ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED')),
    file_name       text,
    -- The upload as spooled under the data dir, kept until the job ends.
    spool_path      text not null,
    bytes_total     bigint not null check (bytes_total >= 0),
    -- What the header row said (encoding, column positions), once it has been read.
    layout          jsonb,
    -- Resume point: the byte offset and physical line count just after the last committed batch.
    checkpoint_offset bigint not null default 0,
    checkpoint_line   integer not null default 0,
    total_rows      integer not null default 0,
    inserted        integer not null default 0,
    skipped         integer not null default 0,
    -- Skipped rows by reason key; sums to `skipped`.
    reasons         jsonb not null default '{}',
    errors_kept     integer not null default 0,
    error           text,
    -- Bumped by every claim: a runner whose attempt is no longer current may not write.
    attempt         integer not null default 0,
    created_at      timestamptz not null default now(),
    started_at      timestamptz,
    updated_at      timestamptz not null default now(),
    finished_at     timestamptz,
    check (total_rows = inserted + skipped)
);

-- Claiming work: the few jobs not yet finished, oldest first.
create index ingestion_jobs_unfinished_idx on ingestion_jobs (created_at)
    where status in ('QUEUED', 'RUNNING');

-- The first rows skipped per job (up to 1000), by line.
create table ingestion_row_errors (
    job_id      uuid not null references ingestion_jobs (id) on delete cascade,
    line        integer not null,
    reason      text not null,
    column_name text,
    value       text,
    primary key (job_id, line)
);
