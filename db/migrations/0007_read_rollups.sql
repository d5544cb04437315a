-- Small tables for reads, in one transaction: the data version gets an epoch for cache keys;
-- totals by (gender, age) answer counts without a country; a histogram of probabilities
-- answers counts with one probability threshold and no country.

-- A random identity for this database's data versions. Cache keys carry epoch and version:
-- version numbers alone repeat across databases (every one starts at 0) and after a database
-- is dropped and created again, so two databases sharing one Redis, or a rebuilt one, would
-- otherwise read each other's cached answers.
alter table data_version add column epoch uuid not null default gen_random_uuid();

-- Totals by (gender, age) over all countries: at most 302 rows. A filter without a country
-- summed ~45k profile_counts rows (2-4 ms at 1M profiles, the largest part of an uncached
-- page); from here it sums at most 151.
-- Kept exact by statement-level triggers on profile_counts itself, so every path that changes
-- the rollup (the profiles triggers, the bulk loader, TRUNCATE) changes the totals in the same
-- transaction without knowing about them. Rows are changed in key order (no deadlocks between
-- concurrent writers).

create table profile_totals (
    gender text     not null,
    age    smallint not null,
    count  bigint   not null check (count >= 0),
    primary key (gender, age)
);

lock table profile_counts in share row exclusive mode;

insert into profile_totals (gender, age, count)
select gender, age, sum(count)
  from profile_counts
 group by gender, age;

-- Decreases by UPDATE, increases by an upsert in key order: CHECK (count >= 0) is tested on
-- the row an INSERT proposes, before ON CONFLICT turns it into an update, so a negative delta
-- cannot go through the upsert. Inserts (the concurrent case) only ever increase.
create function profile_totals_apply(delta_gender text[], delta_age smallint[], delta bigint[])
returns void
language sql as $$
    update profile_totals t
       set count = t.count + d.delta
      from (select gender, age, sum(change) as delta
              from unnest(delta_gender, delta_age, delta) as x(gender, age, change)
             group by gender, age) d
     where (t.gender, t.age) = (d.gender, d.age)
       and d.delta < 0;
    insert into profile_totals (gender, age, count)
    select gender, age, sum(change)
      from unnest(delta_gender, delta_age, delta) as x(gender, age, change)
     group by gender, age
    having sum(change) > 0
     order by gender, age
        on conflict (gender, age)
        do update set count = profile_totals.count + excluded.count;
$$;

create function profile_totals_after_insert() returns trigger
language plpgsql as $$
begin
    perform profile_totals_apply(array_agg(gender), array_agg(age), array_agg(count))
       from (select gender, age, sum(count)::bigint as count
               from new_counts group by gender, age) d;
    return null;
end
$$;

create function profile_totals_after_update() returns trigger
language plpgsql as $$
begin
    perform profile_totals_apply(array_agg(gender), array_agg(age), array_agg(count))
       from (select gender, age, sum(count)::bigint as count
               from (select gender, age, count from new_counts
                     union all
                     select gender, age, -count from old_counts) changes
              group by gender, age) d;
    return null;
end
$$;

create function profile_totals_after_delete() returns trigger
language plpgsql as $$
begin
    perform profile_totals_apply(array_agg(gender), array_agg(age), array_agg(count))
       from (select gender, age, -sum(count)::bigint as count
               from old_counts group by gender, age) d;
    return null;
end
$$;

create function profile_totals_after_truncate() returns trigger
language plpgsql as $$
begin
    delete from profile_totals;
    return null;
end
$$;

create trigger profile_totals_insert
    after insert on profile_counts
    referencing new table as new_counts
    for each statement execute function profile_totals_after_insert();

create trigger profile_totals_update
    after update on profile_counts
    referencing old table as old_counts new table as new_counts
    for each statement execute function profile_totals_after_update();

create trigger profile_totals_delete
    after delete on profile_counts
    referencing old table as old_counts
    for each statement execute function profile_totals_after_delete();

create trigger profile_totals_truncate
    after truncate on profile_counts
    for each statement execute function profile_totals_after_truncate();

-- Probability histograms: counts by (kind, bucket, gender, age), kind 'g' for
-- gender_probability and 'c' for country_probability, bucket b holding b/100 <= p < (b+1)/100
-- (compared as float8, as the rows' own filter compares them; NULL is bucket -1). A threshold
-- that is a whole percentage t = b/100 is then exactly sum(count) over buckets >= b: 18k rows
-- at most instead of a scan of every matching profile (82 ms at 1M rows, ~10x that at 10M).
-- Any other threshold, or one with a country, still counts rows (db/profiles.py decides).
create function probability_bucket(p double precision) returns smallint
language sql immutable parallel safe as $$
    select case
        when p is null then -1
        when p >= (floor(p * 100) + 1) / 100 then floor(p * 100) + 1
        when p < floor(p * 100) / 100 then floor(p * 100) - 1
        else floor(p * 100)
    end::smallint
$$;

create table profile_probability_counts (
    kind   char(1)  not null check (kind in ('g', 'c')),
    bucket smallint not null,
    gender text     not null,
    age    smallint not null,
    count  bigint   not null check (count >= 0),
    primary key (kind, bucket, gender, age)
);

lock table profiles in share row exclusive mode;

insert into profile_probability_counts (kind, bucket, gender, age, count)
select kind, bucket, gender, age, count(*)
  from (select 'g' as kind, probability_bucket(gender_probability) as bucket, gender, age
          from profiles
        union all
        select 'c', probability_bucket(country_probability), gender, age
          from profiles) buckets
 group by kind, bucket, gender, age;

create function profile_probability_counts_after_insert() returns trigger
language plpgsql as $$
begin
    insert into profile_probability_counts (kind, bucket, gender, age, count)
    select kind, bucket, gender, age, count(*)
      from (select 'g' as kind, probability_bucket(gender_probability) as bucket, gender, age
              from inserted
            union all
            select 'c', probability_bucket(country_probability), gender, age
              from inserted) buckets
     group by kind, bucket, gender, age
     order by kind, bucket, gender, age
        on conflict (kind, bucket, gender, age)
        do update set count = profile_probability_counts.count + excluded.count;
    return null;
end
$$;

create function profile_probability_counts_after_delete() returns trigger
language plpgsql as $$
begin
    update profile_probability_counts c
       set count = c.count - d.count
      from (select kind, bucket, gender, age, count(*) as count
              from (select 'g' as kind, probability_bucket(gender_probability) as bucket,
                           gender, age
                      from deleted
                    union all
                    select 'c', probability_bucket(country_probability), gender, age
                      from deleted) buckets
             group by kind, bucket, gender, age) d
     where (c.kind, c.bucket, c.gender, c.age) = (d.kind, d.bucket, d.gender, d.age);
    return null;
end
$$;

create function profile_probability_counts_after_update() returns trigger
language plpgsql as $$
begin
    update profile_probability_counts c
       set count = c.count - d.count
      from (select kind, bucket, gender, age, count(*) as count
              from (select 'g' as kind, probability_bucket(gender_probability) as bucket,
                           gender, age
                      from deleted
                    union all
                    select 'c', probability_bucket(country_probability), gender, age
                      from deleted) buckets
             group by kind, bucket, gender, age) d
     where (c.kind, c.bucket, c.gender, c.age) = (d.kind, d.bucket, d.gender, d.age);
    insert into profile_probability_counts (kind, bucket, gender, age, count)
    select kind, bucket, gender, age, count(*)
      from (select 'g' as kind, probability_bucket(gender_probability) as bucket, gender, age
              from inserted
            union all
            select 'c', probability_bucket(country_probability), gender, age
              from inserted) buckets
     group by kind, bucket, gender, age
     order by kind, bucket, gender, age
        on conflict (kind, bucket, gender, age)
        do update set count = profile_probability_counts.count + excluded.count;
    return null;
end
$$;

create function profile_probability_counts_after_truncate() returns trigger
language plpgsql as $$
begin
    delete from profile_probability_counts;
    return null;
end
$$;

create trigger profiles_probability_counts_insert
    after insert on profiles
    referencing new table as inserted
    for each statement execute function profile_probability_counts_after_insert();

create trigger profiles_probability_counts_delete
    after delete on profiles
    referencing old table as deleted
    for each statement execute function profile_probability_counts_after_delete();

create trigger profiles_probability_counts_update
    after update on profiles
    referencing old table as deleted new table as inserted
    for each statement execute function profile_probability_counts_after_update();

create trigger profiles_probability_counts_truncate
    after truncate on profiles
    for each statement execute function profile_probability_counts_after_truncate();
