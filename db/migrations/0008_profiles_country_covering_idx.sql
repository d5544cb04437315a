-- no-transaction
-- Query: filters by country (then gender and age), and their exact counts with probability
-- thresholds, which only the rows can answer. Same key as 0001's profiles_country_gender_age_idx
-- (dropped by 0009), plus both probabilities, so those counts are index-only scans: at 1M rows
-- Nigeria + minCountryProbability 0.5 went from 126 ms to 13 ms, Kenyan men + minGender-
-- Probability 0.95 from 67 ms to 4 ms. Same size as the index it replaces (47 vs 46 MB).
create index concurrently if not exists profiles_country_gender_age_covering_idx
    on profiles (country_id, gender, age) include (gender_probability, country_probability)
