-- no-transaction
-- Query: profiles sorted by NAME (keyset on (name, id), the database's collation, as before).
-- name_key's unique index cannot serve it: case-folded "C" order is another order. 100 ms ->
-- 0.1 ms at 1M rows (up to 4 ms with a gender filter: given names are gendered, so runs of one
-- gender are skipped).
create index concurrently if not exists profiles_name_id_idx on profiles (name, id)
