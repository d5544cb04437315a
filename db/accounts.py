"""SQL for accounts: organisations created at sign-up, and users with their passwords.

User reads return the user joined with its organisation (`organisation_slug`, ...), so one
statement answers `me`, a sign-in or an admin's list. Reads an organisation admin makes take
the slug their token names (`scope`); `None` means every organisation (platform admins).
"""

from uuid import UUID

import asyncpg

from db.pool import Connection

# ---------------------------------------------------------------- organisations

# A taken slug returns nothing: the caller tries its next candidate, or says who holds it.
INSERT_ORGANISATION = """
insert into organisations (slug, name, origin)
values ($1, $2, $3)
    on conflict (slug) do nothing
returning id, slug, name, origin, created_at
"""

GET_ORGANISATION_BY_ID = """
select id, slug, name, origin, created_at
  from organisations
 where id = $1
"""

# With the addresses of its active admins (users_organisation_idx; an organisation has few):
# who an operator would be handing work to.
GET_ORGANISATION_WITH_ADMINS = """
select o.id, o.slug, o.name, o.origin, o.created_at,
       array(select u.email
               from users u
              where u.organisation_id = o.id
                and u.role = 'admin'
                and u.is_active
              order by u.id) as admin_emails
  from organisations o
 where o.slug = $1
"""


async def insert_organisation(
    conn: Connection, *, slug: str, name: str, origin: str
) -> asyncpg.Record | None:
    return await conn.fetchrow(INSERT_ORGANISATION, slug, name, origin)


async def get_organisation_by_id(conn: Connection, organisation_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_ORGANISATION_BY_ID, organisation_id)


async def get_organisation_with_admins(conn: Connection, slug: str) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_ORGANISATION_WITH_ADMINS, slug)


# ---------------------------------------------------------------- users


# An email key already taken returns nothing (the unique index on email_key decides).
INSERT_USER = """
with u as (
    insert into users (organisation_id, email, email_key, role, name, password_hash)
    values ($1, $2, $3, $4, $5, $6)
        on conflict (email_key) do nothing
    returning *
)
select
       u.id, u.email, u.email_key, u.role, u.name, u.is_active, u.created_at,
       o.id as organisation_id, o.slug as organisation_slug, o.name as organisation_name,
       o.created_at as organisation_created_at
  from u
  join organisations o on o.id = u.organisation_id
"""

IS_EMAIL_TAKEN = "select exists (select 1 from users where email_key = $1)"

GET_USER = """
select
       u.id, u.email, u.email_key, u.role, u.name, u.is_active, u.created_at,
       o.id as organisation_id, o.slug as organisation_slug, o.name as organisation_name,
       o.created_at as organisation_created_at
  from users u
  join organisations o on o.id = u.organisation_id
 where u.id = $1
   and ($2::text is null or o.slug = $2)
"""

# Sign-in: the user by the unique email key, with the hash to verify.
GET_USER_WITH_PASSWORD = """
select
       u.id, u.email, u.email_key, u.role, u.name, u.is_active, u.created_at,
       o.id as organisation_id, o.slug as organisation_slug, o.name as organisation_name,
       o.created_at as organisation_created_at,
       u.password_hash
  from users u
  join organisations o on o.id = u.organisation_id
 where u.email_key = $1
"""

# The per-request check behind every user token: one primary-key lookup.
GET_USER_IS_ACTIVE = "select is_active from users where id = $1"

# Keyset on id (UUIDv7, so creation order) within the scope; users_organisation_idx.
SELECT_USERS = """
select
       u.id, u.email, u.email_key, u.role, u.name, u.is_active, u.created_at,
       o.id as organisation_id, o.slug as organisation_slug, o.name as organisation_name,
       o.created_at as organisation_created_at
  from users u
  join organisations o on o.id = u.organisation_id
 where ($1::text is null or o.slug = $1)
   and ($2::uuid is null or u.id > $2)
 order by u.id
 limit $3
"""

SET_USER_ACTIVE = """
with u as (
    update users
       set is_active = $2,
           updated_at = now()
     where id = $1
       and ($3::text is null
            or organisation_id = (select id from organisations where slug = $3))
    returning *
)
select
       u.id, u.email, u.email_key, u.role, u.name, u.is_active, u.created_at,
       o.id as organisation_id, o.slug as organisation_slug, o.name as organisation_name,
       o.created_at as organisation_created_at
  from u
  join organisations o on o.id = u.organisation_id
"""

UPDATE_PASSWORD_HASH = """
update users
   set password_hash = $2,
       updated_at = now()
 where id = $1
"""


async def insert_user(
    conn: Connection,
    *,
    organisation_id: UUID,
    email: str,
    email_key: str,
    role: str,
    name: str,
    password_hash: str | None,
) -> asyncpg.Record | None:
    """None when the address is taken. `password_hash` None: an account that signs in another
    way (GitHub) until a password reset gives it one."""
    return await conn.fetchrow(
        INSERT_USER, organisation_id, email, email_key, role, name, password_hash
    )


async def is_email_taken(conn: Connection, email_key: str) -> bool:
    taken: bool = await conn.fetchval(IS_EMAIL_TAKEN, email_key)
    return taken


async def get_user(
    conn: Connection, user_id: UUID, *, scope: str | None = None
) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_USER, user_id, scope)


async def get_user_with_password(conn: Connection, email_key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_USER_WITH_PASSWORD, email_key)


async def get_user_is_active(conn: Connection, user_id: UUID) -> bool | None:
    """True or False, or None when there is no such user."""
    active: bool | None = await conn.fetchval(GET_USER_IS_ACTIVE, user_id)
    return active


async def select_users(
    conn: Connection, *, scope: str | None, after: UUID | None, limit: int
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_USERS, scope, after, limit)


async def set_user_active(
    conn: Connection, user_id: UUID, *, active: bool, scope: str | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(SET_USER_ACTIVE, user_id, active, scope)


async def update_password_hash(conn: Connection, user_id: UUID, password_hash: str) -> None:
    await conn.execute(UPDATE_PASSWORD_HASH, user_id, password_hash)
