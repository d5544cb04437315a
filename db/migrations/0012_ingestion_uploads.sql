-- Each upload's bytes, kept in the database beside the local spool file until its job ends, so
-- that a process on any host can take the job over without shared storage (it restores the
-- file into its own spool first).
--
-- Written in the same transaction as the job row: a job is never claimable before its upload
-- is complete. The foreign key is deferred because the chunks go in while the upload is copied,
-- before the job row (its size is known only at the end).

create table ingestion_upload_chunks (
    job_id  uuid not null references ingestion_jobs (id) on delete cascade
                deferrable initially deferred,
    -- 0, 1, 2, ...: the upload is the chunks' bytes in this order.
    chunk   integer not null check (chunk >= 0),
    data    bytea not null,
    primary key (job_id, chunk)
);

-- How to store them: 64 MiB of CSV in 1 MiB rows took 0.6-1.5 s and 18 MiB with lz4, 1.2-2.8 s
-- and 61 MiB uncompressed, 3.0-4.0 s and 16 MiB with the default pglz (PostgreSQL 15, 2 CPUs
-- shared with other work); on PostgreSQL 18 built without lz4 (the embedded server) 2.9 s
-- uncompressed, 5.1 s with pglz. So lz4 where the server has it, else no compression: the
-- bytes live only until their job ends, and pglz would cost time on every upload.
do $$
begin
    alter table ingestion_upload_chunks alter column data set compression lz4;
exception when feature_not_supported then
    alter table ingestion_upload_chunks alter column data set storage external;
end
$$;
