-- The housekeeping job's lookups (db/housekeeping.py): expired tokens and links, finished jobs.
-- Without them each hourly run reads the whole table.
create index refresh_tokens_expires_idx on refresh_tokens (expires_at);
create index password_resets_expires_idx on password_resets (expires_at);
create index background_jobs_finished_idx on background_jobs (finished_at)
    where status in ('COMPLETED', 'FAILED');
