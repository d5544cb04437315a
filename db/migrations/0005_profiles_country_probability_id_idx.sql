-- no-transaction
-- Query: profiles sorted by COUNTRY_PROBABILITY (keyset on (coalesce(country_probability, -1),
-- id)) and minCountryProbability thresholds (same expression). 100 ms -> 0.1 ms at 1M rows; a
-- threshold with this sort scanned from the bottom without it (565-1081 ms).
create index concurrently if not exists profiles_country_probability_id_idx
    on profiles ((coalesce(country_probability, -1)), id)
