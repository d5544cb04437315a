-- no-transaction
-- Query: profiles sorted by AGE (both directions; keyset on (age, id)), and age or age-group
-- filters without a country. At 1M rows a page went from 60-100 ms (seq scan + top-N sort)
-- to 0.1-0.2 ms. Measured ingestion cost: bench/results (index costs).
create index concurrently if not exists profiles_age_id_idx on profiles (age, id)
