-- A batch's histogram changes in one statement per histogram: each key's array is added to
-- (histogram_add, 0051), then the keys that were not stored yet are inserted with the changes as
-- their counts. 0051 first gathered the batch's keys, inserted the missing ones with zero
-- counts (ON CONFLICT DO NOTHING) and then updated every key. At 10M profiles, 25,000 new rows
-- (rolled back, runs interleaved), the histogram by country alone: 252-323 ms that way,
-- 135-172 ms this way, against 122-178 ms for its update alone; the whole call: medians 416
-- and 318 ms (docs/ingestion.md, "Where the time goes").
--
-- No key can appear between the update and the insert: the write path's callers hold the
-- advisory lock below, `profile_rollups_rebuild` is kept out by its lock on profiles (every
-- caller of the write path writes profiles in the same transaction first) and TRUNCATE by its
-- own. Callers run in READ COMMITTED, as all of this project's do: the statement then sees
-- every key committed before the lock was granted. (Under REPEATABLE READ a key committed
-- after the snapshot would make the insert fail with a unique violation: never a miscount.)
-- A key missing on a decrease is left alone, as before.

-- As 0051's, with the histograms written as above.
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

    -- Histogram by (kind, gender, age): each key's array added to, then the keys not stored
    -- yet inserted (no other writer meanwhile: the lock above).
    with d as (select kind, gender, age, array_agg(bucket) as buckets, array_agg(change) as changes
            from (select kind, gender, age, bucket, sign * count(*) as change
                    from (select 'g'::char(1) as kind, gender, age, bucket
                            from unnest(genders, ages, gender_buckets) as f(gender, age, bucket)
                          union all
                          select 'c', gender, age, bucket
                            from unnest(genders, ages, country_buckets)
                                 as f(gender, age, bucket)) facts
                   group by 1, 2, 3, 4) b
           group by 1, 2, 3),
         updated as (update profile_probability_histograms h
                        set counts = histogram_add(h.counts, d.buckets, d.changes)
                       from d
                      where (h.kind, h.gender, h.age) = (d.kind, d.gender, d.age)
                  returning h.kind, h.gender, h.age)
    insert into profile_probability_histograms (kind, gender, age, counts)
    select d.kind, d.gender, d.age,
           histogram_add(array_fill(0::bigint, array[102]), d.buckets, d.changes)
      from d
     where sign > 0
       and not exists (select 1 from updated u
                        where (u.kind, u.gender, u.age) = (d.kind, d.gender, d.age))
     order by 1, 2, 3;

    -- Histogram by (kind, country, gender, age group), the same way.
    with d as (select kind, country_id, gender, group_start,
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
           group by 1, 2, 3, 4),
         updated as (update profile_country_probability_histograms h
                        set counts = histogram_add(h.counts, d.buckets, d.changes)
                       from d
                      where (h.kind, h.country_id, h.gender, h.age_group_start)
                          = (d.kind, d.country_id, d.gender, d.group_start)
                  returning h.kind, h.country_id, h.gender, h.age_group_start)
    insert into profile_country_probability_histograms
           (kind, country_id, gender, age_group_start, counts)
    select d.kind, d.country_id, d.gender, d.group_start,
           histogram_add(array_fill(0::bigint, array[102]), d.buckets, d.changes)
      from d
     where sign > 0
       and not exists (select 1 from updated u
                        where (u.kind, u.country_id, u.gender, u.age_group_start)
                            = (d.kind, d.country_id, d.gender, d.group_start))
     order by 1, 2, 3, 4;

    perform data_version_bump();
    return applied;
end
$$;
