-- Probability histograms by country: counts by (kind, country, gender, age group, bucket),
-- with 0007's buckets (kind 'g' gender_probability, 'c' country_probability; bucket b holds
-- b/100 <= p < (b+1)/100, NULL is -1). A filter with a country, whole age groups (any age, or
-- bounds that fall on group edges) and one threshold that is a whole percentage t = b/100 is
-- then exactly sum(count) over buckets >= b: at 10M profiles "Nigeria, country p >= 0.5"
-- counted ~800k index entries (48-122 ms); here it sums at most 4 x 2 x 102 rows. Other
-- thresholds, both at once, or ages that cut a group still count rows (db/profiles.py decides).
-- Keyed by age group, not age: by age the table held 4.0M rows (370 MB) at 10M profiles and
-- every written row touched its own keys; by group 286k rows (31 MB), measured in
-- docs/performance.md with its cost to ingestion.
-- Kept exact by statement-level triggers on profiles, in the writer's transaction, like 0007's
-- histogram; rows are upserted in key order (no deadlocks between concurrent writers). The
-- bulk loader (db/profiles_bulk.py) pauses the insert trigger and adds its rows once.

-- The youngest age of the age group of `age` (0001's age_group: child, teenager, adult,
-- senior), so that an age range on group edges selects whole groups with `between`.
create function age_group_start(age smallint) returns smallint
language sql immutable parallel safe as $$
    select case when age <= 12 then 0
                when age <= 19 then 13
                when age <= 59 then 20
                else 60 end::smallint
$$;

create table profile_country_probability_counts (
    kind            char(1)  not null check (kind in ('g', 'c')),
    country_id      char(2)  not null,
    gender          text     not null,
    age_group_start smallint not null,
    bucket          smallint not null,
    count           bigint   not null check (count >= 0),
    primary key (kind, country_id, gender, age_group_start, bucket)
);

lock table profiles in share row exclusive mode;

insert into profile_country_probability_counts
       (kind, country_id, gender, age_group_start, bucket, count)
select kind, country_id, gender, age_group_start(age), bucket, count(*)
  from (select 'g' as kind, country_id, gender, age,
               probability_bucket(gender_probability) as bucket
          from profiles
        union all
        select 'c', country_id, gender, age, probability_bucket(country_probability)
          from profiles) buckets
 group by 1, 2, 3, 4, 5;

create function profile_country_probability_counts_after_insert() returns trigger
language plpgsql as $$
begin
    insert into profile_country_probability_counts
           (kind, country_id, gender, age_group_start, bucket, count)
    select kind, country_id, gender, age_group_start(age), bucket, count(*)
      from (select 'g' as kind, country_id, gender, age,
                   probability_bucket(gender_probability) as bucket
              from inserted
            union all
            select 'c', country_id, gender, age, probability_bucket(country_probability)
              from inserted) buckets
     group by 1, 2, 3, 4, 5
     order by 1, 2, 3, 4, 5
        on conflict (kind, country_id, gender, age_group_start, bucket)
        do update set count = profile_country_probability_counts.count + excluded.count;
    return null;
end
$$;

create function profile_country_probability_counts_after_delete() returns trigger
language plpgsql as $$
begin
    update profile_country_probability_counts c
       set count = c.count - d.count
      from (select kind, country_id, gender, age_group_start(age) as age_group_start, bucket,
                   count(*) as count
              from (select 'g' as kind, country_id, gender, age,
                           probability_bucket(gender_probability) as bucket
                      from deleted
                    union all
                    select 'c', country_id, gender, age, probability_bucket(country_probability)
                      from deleted) buckets
             group by 1, 2, 3, 4, 5) d
     where (c.kind, c.country_id, c.gender, c.age_group_start, c.bucket)
         = (d.kind, d.country_id, d.gender, d.age_group_start, d.bucket);
    return null;
end
$$;

create function profile_country_probability_counts_after_update() returns trigger
language plpgsql as $$
begin
    update profile_country_probability_counts c
       set count = c.count - d.count
      from (select kind, country_id, gender, age_group_start(age) as age_group_start, bucket,
                   count(*) as count
              from (select 'g' as kind, country_id, gender, age,
                           probability_bucket(gender_probability) as bucket
                      from deleted
                    union all
                    select 'c', country_id, gender, age, probability_bucket(country_probability)
                      from deleted) buckets
             group by 1, 2, 3, 4, 5) d
     where (c.kind, c.country_id, c.gender, c.age_group_start, c.bucket)
         = (d.kind, d.country_id, d.gender, d.age_group_start, d.bucket);
    insert into profile_country_probability_counts
           (kind, country_id, gender, age_group_start, bucket, count)
    select kind, country_id, gender, age_group_start(age), bucket, count(*)
      from (select 'g' as kind, country_id, gender, age,
                   probability_bucket(gender_probability) as bucket
              from inserted
            union all
            select 'c', country_id, gender, age, probability_bucket(country_probability)
              from inserted) buckets
     group by 1, 2, 3, 4, 5
     order by 1, 2, 3, 4, 5
        on conflict (kind, country_id, gender, age_group_start, bucket)
        do update set count = profile_country_probability_counts.count + excluded.count;
    return null;
end
$$;

create function profile_country_probability_counts_after_truncate() returns trigger
language plpgsql as $$
begin
    delete from profile_country_probability_counts;
    return null;
end
$$;

create trigger profiles_country_probability_counts_insert
    after insert on profiles
    referencing new table as inserted
    for each statement execute function profile_country_probability_counts_after_insert();

create trigger profiles_country_probability_counts_delete
    after delete on profiles
    referencing old table as deleted
    for each statement execute function profile_country_probability_counts_after_delete();

create trigger profiles_country_probability_counts_update
    after update on profiles
    referencing old table as deleted new table as inserted
    for each statement execute function profile_country_probability_counts_after_update();

create trigger profiles_country_probability_counts_truncate
    after truncate on profiles
    for each statement execute function profile_country_probability_counts_after_truncate();
