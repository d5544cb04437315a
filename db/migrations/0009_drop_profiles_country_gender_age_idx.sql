-- no-transaction
-- Replaced by profiles_country_gender_age_covering_idx (0008), which serves every query this
-- one did; keeping both would make every insert maintain the same key twice.
drop index concurrently if exists profiles_country_gender_age_idx
