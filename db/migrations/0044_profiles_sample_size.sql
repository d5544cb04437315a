-- Genderize's `count` for profiles created from a name (docs/api.md, Profiles from names): how
-- many people the gender guess rests on. Nullable: CSV rows, the demo profiles and the offline
-- provider have none. Adding a nullable column without a default rewrites no rows.
alter table profiles add column sample_size integer check (sample_size >= 0);
