"""SQL for GitHub sign-in links (db/migrations/0045_github_identities.sql)."""

from uuid import UUID

import asyncpg

from db.pool import Connection

# The linked user, as db/accounts.py's GET_USER shapes it, and the time of this sign-in.
TOUCH_GITHUB_IDENTITY = """
with i as (
    update github_identities
       set last_sign_in_at = now(),
           github_login = $2
     where github_id = $1
    returning user_id
)
select
       u.id, u.email, u.email_key, u.role, u.name, u.is_active, u.created_at,
       o.id as organisation_id, o.slug as organisation_slug, o.name as organisation_name,
       o.created_at as organisation_created_at
  from i
  join users u on u.id = i.user_id
  join organisations o on o.id = u.organisation_id
"""

# A GitHub account linked meanwhile (two first sign-ins at once) returns nothing.
INSERT_GITHUB_IDENTITY = """
insert into github_identities (github_id, user_id, github_login)
values ($1, $2, $3)
    on conflict (github_id) do nothing
returning github_id
"""


async def touch_github_identity(
    conn: Connection, github_id: int, *, github_login: str
) -> asyncpg.Record | None:
    """The user this GitHub account signs in as (its sign-in time and login updated), or None."""
    return await conn.fetchrow(TOUCH_GITHUB_IDENTITY, github_id, github_login)


async def insert_github_identity(
    conn: Connection, *, github_id: int, user_id: UUID, github_login: str
) -> bool:
    """False when the GitHub account is already linked."""
    return await conn.fetchval(INSERT_GITHUB_IDENTITY, github_id, user_id, github_login) is not None
