-- The probability histograms become one row per key holding all 102 bucket counts, with room
-- on their pages for the update each written batch makes (0050 does the same for
-- profile_counts).
--
-- 0007's profile_probability_counts (kind, bucket, gender, age) and 0046's
-- profile_country_probability_counts (kind, country, gender, age group, bucket) held a row per
-- bucket: at 10M profiles, adding 50,000 new rows upserted ~37k and ~48k of their rows (1.3 s
-- of rollup upkeep), and the rollups took 6.2 s of a 250,000-row COPY's 13.9 s
-- (docs/ingestion.md, "Where the time goes"). Here a batch updates
-- one row per key it touches (at most 604 and ~4k rows), adding its bucket counts to the
-- stored array. Buckets are 0007's: kind 'g' gender_probability, 'c' country_probability;
-- bucket b holds b/100 <= p < (b+1)/100, NULL is -1; counts[b + 2] is bucket b's count.
--
-- fillfactor 50: half of each page stays free, so that the next update of a row finds room on
-- its own page (a heap-only update, no new index entry) instead of moving it.

create table profile_probability_histograms (
    kind   char(1)  not null check (kind in ('g', 'c')),
    gender text     not null,
    age    smallint not null,
    counts bigint[] not null check (
        array_ndims(counts) = 1 and array_lower(counts, 1) = 1 and cardinality(counts) = 102
        and array_position(counts, null) is null and 0 <= all (counts)
    ),
    primary key (kind, gender, age)
) with (fillfactor = 50);

create table profile_country_probability_histograms (
    kind            char(1)  not null check (kind in ('g', 'c')),
    country_id      char(2)  not null,
    gender          text     not null,
    age_group_start smallint not null,
    counts          bigint[] not null check (
        array_ndims(counts) = 1 and array_lower(counts, 1) = 1 and cardinality(counts) = 102
        and array_position(counts, null) is null and 0 <= all (counts)
    ),
    primary key (kind, country_id, gender, age_group_start)
) with (fillfactor = 50);

lock table profile_probability_counts, profile_country_probability_counts in exclusive mode;

-- Each key's buckets gathered into this session's temporary tables first: on Citus the old
-- tables are reference tables, and the arrays are then built from local rows alone.
create temporary table old_probability_keys on commit drop as
select kind, gender, age, array_agg(bucket) as buckets, array_agg(count) as counts
  from profile_probability_counts
 group by 1, 2, 3;

create temporary table old_country_probability_keys on commit drop as
select kind, country_id, gender, age_group_start,
       array_agg(bucket) as buckets, array_agg(count) as counts
  from profile_country_probability_counts
 group by 1, 2, 3, 4;

insert into profile_probability_histograms (kind, gender, age, counts)
select kind, gender, age,
       (select array_agg(coalesce(c.count, 0) order by b)
          from generate_series(-1, 100) as b
          left join unnest(k.buckets, k.counts) as c(bucket, count) on c.bucket = b)
  from old_probability_keys k;

insert into profile_country_probability_histograms
       (kind, country_id, gender, age_group_start, counts)
select kind, country_id, gender, age_group_start,
       (select array_agg(coalesce(c.count, 0) order by b)
          from generate_series(-1, 100) as b
          left join unnest(k.buckets, k.counts) as c(bucket, count) on c.bucket = b)
  from old_country_probability_keys k;

drop table profile_probability_counts;
drop table profile_country_probability_counts;

-- As 0048's, with the histograms by key. The counts are changed as 0048 changes them (in key
-- order). The histograms are changed by one writer at a time: a transaction-level advisory lock
-- (held to commit) comes first, then missing keys are inserted and every key's array updated.
-- Locking the keys in order with SELECT ... FOR UPDATE instead deadlocked on Citus, where
-- a modification of a reference table also holds a lock on its shard until commit. Every batch
-- touches most histogram rows anyway, so concurrent writers waited for each other already.
create or replace function profile_rollups_apply(
    sign                  integer,
    country_ids           char(2)[],
    genders               text[],
    ages                  smallint[],
    gender_probabilities  double precision[],
    country_probabilities double precision[]
) returns bigint
language plpgsql
-- The batch's facts are grouped in memory (a 150,000-row batch spilled to disk at 4 MB).
set work_mem = '64MB'
as $$
declare
    applied         bigint := coalesce(cardinality(country_ids), 0);
    gender_buckets  smallint[];
    country_buckets smallint[];
    group_starts    smallint[];
    -- The keys of each histogram that this call touches, in key order.
    key_kinds       char(1)[];
    key_genders     text[];
    key_ages        smallint[];
    key_countries   char(2)[];
begin
    if sign is null or sign not in (1, -1) then
        raise exception 'profile_rollups_apply: sign must be 1 or -1, not %', sign;
    end if;
    if coalesce(cardinality(genders), 0) <> applied
       or coalesce(cardinality(ages), 0) <> applied
       or coalesce(cardinality(gender_probabilities), 0) <> applied
       or coalesce(cardinality(country_probabilities), 0) <> applied then
        raise exception 'profile_rollups_apply: the arrays must have one length, not %, %, %, %, %',
            coalesce(cardinality(country_ids), 0), coalesce(cardinality(genders), 0),
            coalesce(cardinality(ages), 0), coalesce(cardinality(gender_probabilities), 0),
            coalesce(cardinality(country_probabilities), 0);
    end if;
    if applied = 0 then
        return 0;
    end if;
    if array_position(country_ids, null) is not null
       or array_position(genders, null) is not null
       or array_position(ages, null) is not null then
        raise exception 'profile_rollups_apply: a country id, gender or age is NULL';
    end if;
    gender_buckets := array(select probability_bucket(p)
                              from unnest(gender_probabilities) with ordinality as u(p, n)
                             order by n);
    country_buckets := array(select probability_bucket(p)
                               from unnest(country_probabilities) with ordinality as u(p, n)
                              order by n);
    group_starts := array(select age_group_start(a)
                            from unnest(ages) with ordinality as u(a, n)
                           order by n);
    -- A probability outside 0..1 has no bucket in the arrays (profiles' CHECK keeps such rows
    -- out; a call by hand must not count them in profile_counts and drop them here).
    if exists (select 1 from unnest(gender_buckets || country_buckets) as b
                where b not between -1 and 100) then
        raise exception 'profile_rollups_apply: a probability is outside 0..1';
    end if;

    if sign > 0 then
        insert into profile_counts (country_id, gender, age, count)
        select country_id, gender, age, count(*)
          from unnest(country_ids, genders, ages) as f(country_id, gender, age)
         group by 1, 2, 3
         order by 1, 2, 3
            on conflict (country_id, gender, age)
            do update set count = profile_counts.count + excluded.count;

        insert into profile_totals (gender, age, count)
        select gender, age, count(*)
          from unnest(genders, ages) as f(gender, age)
         group by 1, 2
         order by 1, 2
            on conflict (gender, age)
            do update set count = profile_totals.count + excluded.count;
    else
        perform 1
           from profile_counts c
          where (c.country_id, c.gender, c.age) in
                (select * from unnest(country_ids, genders, ages))
          order by c.country_id, c.gender, c.age
            for update;
        update profile_counts c
           set count = c.count - d.count
          from (select country_id, gender, age, count(*) as count
                  from unnest(country_ids, genders, ages) as f(country_id, gender, age)
                 group by 1, 2, 3) d
         where (c.country_id, c.gender, c.age) = (d.country_id, d.gender, d.age);

        perform 1
           from profile_totals t
          where (t.gender, t.age) in (select * from unnest(genders, ages))
          order by t.gender, t.age
            for update;
        update profile_totals t
           set count = t.count - d.count
          from (select gender, age, count(*) as count
                  from unnest(genders, ages) as f(gender, age)
                 group by 1, 2) d
         where (t.gender, t.age) = (d.gender, d.age);
    end if;

    -- Any fixed number (db/migrations.py holds 7311964021): one histogram writer at a time.
    perform pg_advisory_xact_lock(7311964022);

    -- Histogram by (kind, gender, age).
    if sign > 0 then
        select array_agg(kind order by kind, gender, age),
               array_agg(gender order by kind, gender, age),
               array_agg(age order by kind, gender, age)
          into key_kinds, key_genders, key_ages
          from (select distinct 'g'::char(1) as kind, gender, age from unnest(genders, ages) as f(gender, age)
                union all
                select distinct 'c'::char(1), gender, age from unnest(genders, ages) as f(gender, age)) k;
        insert into profile_probability_histograms (kind, gender, age, counts)
        select kind, gender, age, array_fill(0::bigint, array[102])
          from unnest(key_kinds, key_genders, key_ages) as k(kind, gender, age)
         order by 1, 2, 3
            on conflict (kind, gender, age) do nothing;
    end if;
    update profile_probability_histograms h
       set counts = (select array_agg(u.count + coalesce(c.change, 0) order by u.at)
                       from unnest(h.counts) with ordinality as u(count, at)
                       left join unnest(d.buckets, d.changes) as c(bucket, change)
                         on c.bucket + 2 = u.at)
      from (select kind, gender, age, array_agg(bucket) as buckets, array_agg(change) as changes
              from (select kind, gender, age, bucket, sign * count(*) as change
                      from (select 'g'::char(1) as kind, gender, age, bucket
                              from unnest(genders, ages, gender_buckets) as f(gender, age, bucket)
                            union all
                            select 'c', gender, age, bucket
                              from unnest(genders, ages, country_buckets)
                                   as f(gender, age, bucket)) facts
                     group by 1, 2, 3, 4) b
             group by 1, 2, 3) d
     where (h.kind, h.gender, h.age) = (d.kind, d.gender, d.age);

    -- Histogram by (kind, country, gender, age group).
    if sign > 0 then
        select array_agg(kind order by kind, country_id, gender, group_start),
               array_agg(country_id order by kind, country_id, gender, group_start),
               array_agg(gender order by kind, country_id, gender, group_start),
               array_agg(group_start order by kind, country_id, gender, group_start)
          into key_kinds, key_countries, key_genders, key_ages
          from (select distinct 'g'::char(1) as kind, country_id, gender, group_start
                  from unnest(country_ids, genders, group_starts) as f(country_id, gender, group_start)
                union all
                select distinct 'c'::char(1), country_id, gender, group_start
                  from unnest(country_ids, genders, group_starts)
                       as f(country_id, gender, group_start)) k;
        insert into profile_country_probability_histograms
               (kind, country_id, gender, age_group_start, counts)
        select kind, country_id, gender, group_start, array_fill(0::bigint, array[102])
          from unnest(key_kinds, key_countries, key_genders, key_ages)
               as k(kind, country_id, gender, group_start)
         order by 1, 2, 3, 4
            on conflict (kind, country_id, gender, age_group_start) do nothing;
    end if;
    update profile_country_probability_histograms h
       set counts = (select array_agg(u.count + coalesce(c.change, 0) order by u.at)
                       from unnest(h.counts) with ordinality as u(count, at)
                       left join unnest(d.buckets, d.changes) as c(bucket, change)
                         on c.bucket + 2 = u.at)
      from (select kind, country_id, gender, group_start,
                   array_agg(bucket) as buckets, array_agg(change) as changes
              from (select kind, country_id, gender, group_start, bucket,
                           sign * count(*) as change
                      from (select 'g'::char(1) as kind, country_id, gender, group_start, bucket
                              from unnest(country_ids, genders, group_starts, gender_buckets)
                                   as f(country_id, gender, group_start, bucket)
                            union all
                            select 'c', country_id, gender, group_start, bucket
                              from unnest(country_ids, genders, group_starts, country_buckets)
                                   as f(country_id, gender, group_start, bucket)) facts
                     group by 1, 2, 3, 4, 5) b
             group by 1, 2, 3, 4) d
     where (h.kind, h.country_id, h.gender, h.age_group_start)
         = (d.kind, d.country_id, d.gender, d.group_start);

    perform data_version_bump();
    return applied;
end
$$;

-- The histograms are counted from profiles into arrays first, then built from those alone: on
-- Citus an INSERT into a reference table whose SELECT reads the distributed profiles through a
-- subquery like the one that builds each key's array crashed the coordinator (Citus 13.0).
create or replace function profile_rollups_rebuild() returns bigint
language plpgsql as $$
declare
    counted     bigint;
    f_kinds     char(1)[];
    f_countries char(2)[];
    f_genders   text[];
    f_ages      smallint[];
    f_buckets   smallint[];
    f_counts    bigint[];
begin
    lock table profiles in share row exclusive mode;
    delete from profile_counts;
    delete from profile_totals;
    delete from profile_probability_histograms;
    delete from profile_country_probability_histograms;

    insert into profile_counts (country_id, gender, age, count)
    select country_id, gender, age, count(*)
      from profiles
     group by 1, 2, 3;

    insert into profile_totals (gender, age, count)
    select gender, age, sum(count)
      from profile_counts
     group by 1, 2;

    select array_agg(kind), array_agg(gender), array_agg(age), array_agg(bucket),
           array_agg(count)
      into f_kinds, f_genders, f_ages, f_buckets, f_counts
      from (select kind, gender, age, bucket, count(*) as count
              from (select 'g'::char(1) as kind, gender, age,
                           probability_bucket(gender_probability) as bucket
                      from profiles
                    union all
                    select 'c'::char(1), gender, age, probability_bucket(country_probability)
                      from profiles) facts
             group by 1, 2, 3, 4) b;
    insert into profile_probability_histograms (kind, gender, age, counts)
    select kind, gender, age,
           (select array_agg(coalesce(c.count, 0) order by b)
              from generate_series(-1, 100) as b
              left join unnest(k.buckets, k.counts) as c(bucket, count) on c.bucket = b)
      from (select kind, gender, age, array_agg(bucket) as buckets, array_agg(count) as counts
              from unnest(f_kinds, f_genders, f_ages, f_buckets, f_counts)
                   as f(kind, gender, age, bucket, count)
             group by 1, 2, 3) k;

    select array_agg(kind), array_agg(country_id), array_agg(gender), array_agg(group_start),
           array_agg(bucket), array_agg(count)
      into f_kinds, f_countries, f_genders, f_ages, f_buckets, f_counts
      from (select kind, country_id, gender, age_group_start(age) as group_start, bucket,
                   count(*) as count
              from (select 'g'::char(1) as kind, country_id, gender, age,
                           probability_bucket(gender_probability) as bucket
                      from profiles
                    union all
                    select 'c'::char(1), country_id, gender, age,
                           probability_bucket(country_probability)
                      from profiles) facts
             group by 1, 2, 3, 4, 5) b;
    insert into profile_country_probability_histograms
           (kind, country_id, gender, age_group_start, counts)
    select kind, country_id, gender, group_start,
           (select array_agg(coalesce(c.count, 0) order by b)
              from generate_series(-1, 100) as b
              left join unnest(k.buckets, k.counts) as c(bucket, count) on c.bucket = b)
      from (select kind, country_id, gender, group_start,
                   array_agg(bucket) as buckets, array_agg(count) as counts
              from unnest(f_kinds, f_countries, f_genders, f_ages, f_buckets, f_counts)
                   as f(kind, country_id, gender, group_start, bucket, count)
             group by 1, 2, 3, 4) k;

    select coalesce(sum(count), 0) into counted from profile_totals;
    perform data_version_bump();
    return counted;
end
$$;
