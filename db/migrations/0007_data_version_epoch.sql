-- A random identity for this database's data versions. Cache keys carry epoch and version:
-- version numbers alone repeat across databases (every one starts at 0) and after a database
-- is dropped and created again, so two databases sharing one Redis, or a rebuilt one, would
-- otherwise read each other's cached answers.
alter table data_version add column epoch uuid not null default gen_random_uuid();
