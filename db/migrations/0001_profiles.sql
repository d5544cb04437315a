-- Profiles, their exact rollup counts and the data version that every write bumps.

-- UUIDv7 (time-ordered) ids on PostgreSQL 15+, which has no uuidv7() before 18:
-- 48 bits of Unix milliseconds over a random v4 UUID, version nibble set to 7.
create function uuid_v7() returns uuid
language sql volatile parallel safe as $$
  select encode(
    set_bit(
      set_bit(
        overlay(uuid_send(gen_random_uuid())
                placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
                from 1 for 6),
        52, 1),
      53, 1),
    'hex')::uuid
$$;

create table profiles (
    id                  uuid primary key default uuid_v7(),
    name                text not null check (name <> ''),
    -- Case-folded, NFC-normalised name, computed by services.profiles.names.name_key so that
    -- uniqueness does not depend on the database's locale. "C" collation: cheaper unique index.
    name_key            text collate "C" not null,
    gender              text not null check (gender in ('male', 'female')),
    gender_probability  double precision check (gender_probability between 0 and 1),
    age                 smallint not null check (age between 0 and 150),
    age_group           text not null generated always as (
                            case when age <= 12 then 'child'
                                 when age <= 19 then 'teenager'
                                 when age <= 59 then 'adult'
                                 else 'senior' end
                        ) stored,
    country_id          char(2) not null check (country_id = upper(country_id)),
    country_name        text not null,
    country_probability double precision check (country_probability between 0 and 1),
    created_at          timestamptz not null default now()
);

create unique index profiles_name_key_key on profiles (name_key);
-- Filters by country, then gender and age: the shape of most analyst questions.
create index profiles_country_gender_age_idx on profiles (country_id, gender, age);
-- Default sort (newest first) and its keyset cursor.
create index profiles_created_at_id_idx on profiles (created_at, id);

-- Exact counts by (country, gender, age): totals and breakdowns without scanning profiles.
create table profile_counts (
    country_id char(2)  not null,
    gender     text     not null,
    age        smallint not null,
    count      bigint   not null check (count >= 0),
    primary key (country_id, gender, age)
);

-- One row; bumped in the same transaction as every write, so a cache keyed by it is never
-- older than the last committed write.
create table data_version (
    singleton  boolean primary key default true check (singleton),
    version    bigint not null default 0,
    changed_at timestamptz not null default now()
);
insert into data_version default values;

-- Statement-level triggers: one aggregate per statement, however many rows it wrote.
-- Rows are upserted in key order so concurrent writers lock rollup rows in the same order.
create function profile_counts_after_insert() returns trigger
language plpgsql as $$
begin
    insert into profile_counts (country_id, gender, age, count)
    select country_id, gender, age, count(*)
      from inserted
     group by country_id, gender, age
     order by country_id, gender, age
        on conflict (country_id, gender, age)
        do update set count = profile_counts.count + excluded.count;
    if found then
        update data_version set version = version + 1, changed_at = now();
    end if;
    return null;
end
$$;

create function profile_counts_after_delete() returns trigger
language plpgsql as $$
begin
    update profile_counts c
       set count = c.count - d.count
      from (select country_id, gender, age, count(*) as count
              from deleted
             group by country_id, gender, age
             order by country_id, gender, age) d
     where (c.country_id, c.gender, c.age) = (d.country_id, d.gender, d.age);
    if found then
        update data_version set version = version + 1, changed_at = now();
    end if;
    return null;
end
$$;

create function profile_counts_after_update() returns trigger
language plpgsql as $$
begin
    update profile_counts c
       set count = c.count - d.count
      from (select country_id, gender, age, count(*) as count
              from deleted
             group by country_id, gender, age) d
     where (c.country_id, c.gender, c.age) = (d.country_id, d.gender, d.age);
    insert into profile_counts (country_id, gender, age, count)
    select country_id, gender, age, count(*)
      from inserted
     group by country_id, gender, age
     order by country_id, gender, age
        on conflict (country_id, gender, age)
        do update set count = profile_counts.count + excluded.count;
    update data_version set version = version + 1, changed_at = now();
    return null;
end
$$;

create trigger profiles_counts_insert
    after insert on profiles
    referencing new table as inserted
    for each statement execute function profile_counts_after_insert();

create trigger profiles_counts_delete
    after delete on profiles
    referencing old table as deleted
    for each statement execute function profile_counts_after_delete();

create trigger profiles_counts_update
    after update on profiles
    referencing old table as deleted new table as inserted
    for each statement execute function profile_counts_after_update();

-- TRUNCATE bypasses row triggers: keep the rollup and version right for it too.
create function profile_counts_after_truncate() returns trigger
language plpgsql as $$
begin
    delete from profile_counts;
    update data_version set version = version + 1, changed_at = now();
    return null;
end
$$;

create trigger profiles_counts_truncate
    after truncate on profiles
    for each statement execute function profile_counts_after_truncate();
