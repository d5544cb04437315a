-- Work queued for a key while that key's job is running. There is one live job per (kind, key),
-- so a second row cannot be queued beside the running one; before this column, queuing again
-- overwrote the running row's payload and the request was lost when the run finished (an
-- assessment revision queued during generation stayed PENDING for ever). Now the run ends, and
-- the job goes back to the queue with this payload instead of finishing: a key's runs never
-- overlap, and the newest request is the one that runs.
alter table background_jobs add column rerun_payload jsonb;
