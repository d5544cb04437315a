-- The rollups (profile_counts, profile_totals, profile_probability_counts,
-- profile_country_probability_counts) and the data version are kept by the write path, not by
-- triggers: every statement that adds or removes profiles hands what it really wrote
-- (INSERT/DELETE ... RETURNING) to profile_rollups_apply in the same transaction
-- (docs/architecture.md, "Rollups"). One path on plain PostgreSQL and on Citus, where a table
-- with transition-table triggers cannot be distributed and a table with triggers cannot be a
-- reference table. A write that bypasses it (psql by hand) leaves the rollups behind:
-- `insighta rollups check` finds that and `insighta rollups rebuild` mends it. So does a
-- process of an earlier version that still writes after this migration commits.

drop trigger profiles_counts_insert on profiles;
drop trigger profiles_counts_delete on profiles;
drop trigger profiles_counts_update on profiles;
drop trigger profiles_counts_truncate on profiles;
drop trigger profiles_probability_counts_insert on profiles;
drop trigger profiles_probability_counts_delete on profiles;
drop trigger profiles_probability_counts_update on profiles;
drop trigger profiles_probability_counts_truncate on profiles;
drop trigger profiles_country_probability_counts_insert on profiles;
drop trigger profiles_country_probability_counts_delete on profiles;
drop trigger profiles_country_probability_counts_update on profiles;
drop trigger profiles_country_probability_counts_truncate on profiles;
drop trigger profile_totals_insert on profile_counts;
drop trigger profile_totals_update on profile_counts;
drop trigger profile_totals_delete on profile_counts;
drop trigger profile_totals_truncate on profile_counts;
drop trigger data_version_notify on data_version;

drop function profile_counts_after_insert();
drop function profile_counts_after_delete();
drop function profile_counts_after_update();
drop function profile_counts_after_truncate();
drop function profile_probability_counts_after_insert();
drop function profile_probability_counts_after_delete();
drop function profile_probability_counts_after_update();
drop function profile_probability_counts_after_truncate();
drop function profile_country_probability_counts_after_insert();
drop function profile_country_probability_counts_after_delete();
drop function profile_country_probability_counts_after_update();
drop function profile_country_probability_counts_after_truncate();
drop function profile_totals_after_insert();
drop function profile_totals_after_update();
drop function profile_totals_after_delete();
drop function profile_totals_after_truncate();
drop function profile_totals_apply(text[], smallint[], bigint[]);
drop function notify_data_version();

-- Bumps the data version and announces it on the `data_version` channel (delivered on commit;
-- server processes keep the newest version in memory, docs/performance.md). Returns the new
-- version token, "<epoch>:<number>".
create function data_version_bump() returns text
language plpgsql as $$
declare
    new_epoch   uuid;
    new_version bigint;
    token       text;
begin
    -- RETURNING only columns: Citus allows no non-immutable function there on a reference
    -- table, and text || bigint is stable.
    update data_version
       set version = version + 1, changed_at = now()
    returning epoch, version into new_epoch, new_version;
    token := new_epoch::text || ':' || new_version::text;
    perform pg_notify('data_version', token);
    return token;
end
$$;

-- Adds (sign 1) or removes (sign -1) profiles from every rollup and bumps the data version,
-- once, if there were any. The arrays are the written rows' columns, element by element: of
-- one length, with no NULL country, gender or age (a probability may be NULL), or it raises.
-- It is callable by hand with any arrays, and a decrease would otherwise skip, without a word,
-- the rows whose key is NULL (unnest pads a short array with NULLs), and still answer them as
-- applied.
-- Rollup rows are changed in key order: increases by upserts ordered by key, decreases by
-- UPDATE after locking the rows in key order (CHECK (count >= 0) is tested on the row an
-- INSERT proposes, before ON CONFLICT turns it into an update, so a decrease cannot be an
-- upsert). Two writers therefore never wait for each other in opposite directions.
-- Buckets and age groups are worked out first, in the function, so that the statements on
-- the rollups call no function of ours (on Citus they run on every node of a reference table).
-- Returns how many profiles were applied.
create function profile_rollups_apply(
    sign                  integer,
    country_ids           char(2)[],
    genders               text[],
    ages                  smallint[],
    gender_probabilities  double precision[],
    country_probabilities double precision[]
) returns bigint
language plpgsql as $$
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

        insert into profile_probability_counts (kind, bucket, gender, age, count)
        select kind, bucket, gender, age, count(*)
          from (select 'g' as kind, bucket, gender, age
                  from unnest(gender_buckets, genders, ages) as f(bucket, gender, age)
                union all
                select 'c', bucket, gender, age
                  from unnest(country_buckets, genders, ages) as f(bucket, gender, age)) b
         group by 1, 2, 3, 4
         order by 1, 2, 3, 4
            on conflict (kind, bucket, gender, age)
            do update set count = profile_probability_counts.count + excluded.count;

        insert into profile_country_probability_counts
               (kind, country_id, gender, age_group_start, bucket, count)
        select kind, country_id, gender, group_start, bucket, count(*)
          from (select 'g' as kind, country_id, gender, group_start, bucket
                  from unnest(country_ids, genders, group_starts, gender_buckets)
                       as f(country_id, gender, group_start, bucket)
                union all
                select 'c', country_id, gender, group_start, bucket
                  from unnest(country_ids, genders, group_starts, country_buckets)
                       as f(country_id, gender, group_start, bucket)) b
         group by 1, 2, 3, 4, 5
         order by 1, 2, 3, 4, 5
            on conflict (kind, country_id, gender, age_group_start, bucket)
            do update set count = profile_country_probability_counts.count + excluded.count;
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

        perform 1
           from profile_probability_counts p
          where (p.kind, p.bucket, p.gender, p.age) in
                (select 'g', * from unnest(gender_buckets, genders, ages)
                 union all
                 select 'c', * from unnest(country_buckets, genders, ages))
          order by p.kind, p.bucket, p.gender, p.age
            for update;
        update profile_probability_counts p
           set count = p.count - d.count
          from (select kind, bucket, gender, age, count(*) as count
                  from (select 'g' as kind, bucket, gender, age
                          from unnest(gender_buckets, genders, ages) as f(bucket, gender, age)
                        union all
                        select 'c', bucket, gender, age
                          from unnest(country_buckets, genders, ages) as f(bucket, gender, age)) b
                 group by 1, 2, 3, 4) d
         where (p.kind, p.bucket, p.gender, p.age) = (d.kind, d.bucket, d.gender, d.age);

        perform 1
           from profile_country_probability_counts p
          where (p.kind, p.country_id, p.gender, p.age_group_start, p.bucket) in
                (select 'g', * from unnest(country_ids, genders, group_starts, gender_buckets)
                 union all
                 select 'c', * from unnest(country_ids, genders, group_starts, country_buckets))
          order by p.kind, p.country_id, p.gender, p.age_group_start, p.bucket
            for update;
        update profile_country_probability_counts p
           set count = p.count - d.count
          from (select kind, country_id, gender, group_start, bucket, count(*) as count
                  from (select 'g' as kind, country_id, gender, group_start, bucket
                          from unnest(country_ids, genders, group_starts, gender_buckets)
                               as f(country_id, gender, group_start, bucket)
                        union all
                        select 'c', country_id, gender, group_start, bucket
                          from unnest(country_ids, genders, group_starts, country_buckets)
                               as f(country_id, gender, group_start, bucket)) b
                 group by 1, 2, 3, 4, 5) d
         where (p.kind, p.country_id, p.gender, p.age_group_start, p.bucket)
             = (d.kind, d.country_id, d.gender, d.group_start, d.bucket);
    end if;

    perform data_version_bump();
    return applied;
end
$$;

-- Recounts every rollup from `profiles` and bumps the data version: `insighta rollups
-- rebuild`, and the bulk loader after filling an empty table. Writers wait (the lock conflicts
-- with INSERT and DELETE, not with reads) so nothing is written between the recount and the
-- commit. Returns the number of profiles counted.
create function profile_rollups_rebuild() returns bigint
language plpgsql as $$
declare
    counted bigint;
begin
    lock table profiles in share row exclusive mode;
    delete from profile_counts;
    delete from profile_totals;
    delete from profile_probability_counts;
    delete from profile_country_probability_counts;

    insert into profile_counts (country_id, gender, age, count)
    select country_id, gender, age, count(*)
      from profiles
     group by 1, 2, 3;

    insert into profile_totals (gender, age, count)
    select gender, age, sum(count)
      from profile_counts
     group by 1, 2;

    insert into profile_probability_counts (kind, bucket, gender, age, count)
    select kind, bucket, gender, age, count(*)
      from (select 'g' as kind, probability_bucket(gender_probability) as bucket, gender, age
              from profiles
            union all
            select 'c', probability_bucket(country_probability), gender, age
              from profiles) buckets
     group by 1, 2, 3, 4;

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

    select coalesce(sum(count), 0) into counted from profile_totals;
    perform data_version_bump();
    return counted;
end
$$;
