"""SQL for the opaque tokens of accounts: refresh tokens, invitations and password resets.

Each is found by the sha256 of its value (`token_hash`, unique). Expiry is judged by the
database clock (`expires_at <= now() as expired`), the same clock that set it.
"""

from uuid import UUID

import asyncpg

from db.pool import Connection

# ---------------------------------------------------------------- refresh tokens

INSERT_REFRESH_TOKEN = """
insert into refresh_tokens (user_id, family_id, token_hash, expires_at)
values ($1, $2, $3, now() + make_interval(secs => $4))
returning id, family_id, expires_at
"""

# Rotation and reuse detection serialise on the token's row: of two concurrent refreshes with
# one token, the second waits, then sees it used.
GET_REFRESH_TOKEN_FOR_UPDATE = """
select id, user_id, family_id, expires_at, used_at, revoked_at, expires_at <= now() as expired
  from refresh_tokens
 where token_hash = $1
   for update
"""

MARK_REFRESH_TOKEN_USED = """
update refresh_tokens
   set used_at = now()
 where id = $1
"""

REVOKE_REFRESH_FAMILY = """
update refresh_tokens
   set revoked_at = now()
 where family_id = $1
   and revoked_at is null
"""

# Logout by token value: the token's whole family.
REVOKE_REFRESH_FAMILY_OF_TOKEN = """
update refresh_tokens
   set revoked_at = now()
 where family_id = (select family_id from refresh_tokens where token_hash = $1)
   and revoked_at is null
"""

REVOKE_USER_REFRESH_TOKENS = """
update refresh_tokens
   set revoked_at = now()
 where user_id = $1
   and revoked_at is null
"""


async def insert_refresh_token(
    conn: Connection, *, user_id: UUID, family_id: UUID, token_hash: bytes, ttl_seconds: float
) -> asyncpg.Record:
    row = await conn.fetchrow(INSERT_REFRESH_TOKEN, user_id, family_id, token_hash, ttl_seconds)
    assert row is not None
    return row


async def get_refresh_token_for_update(
    conn: Connection, token_hash: bytes
) -> asyncpg.Record | None:
    return await conn.fetchrow(GET_REFRESH_TOKEN_FOR_UPDATE, token_hash)


async def mark_refresh_token_used(conn: Connection, token_id: UUID) -> None:
    await conn.execute(MARK_REFRESH_TOKEN_USED, token_id)


async def revoke_refresh_family(conn: Connection, family_id: UUID) -> None:
    await conn.execute(REVOKE_REFRESH_FAMILY, family_id)


async def revoke_refresh_family_of_token(conn: Connection, token_hash: bytes) -> None:
    await conn.execute(REVOKE_REFRESH_FAMILY_OF_TOKEN, token_hash)


async def revoke_user_refresh_tokens(conn: Connection, user_id: UUID) -> None:
    await conn.execute(REVOKE_USER_REFRESH_TOKENS, user_id)


# ---------------------------------------------------------------- invitations

INSERT_INVITATION = """
with i as (
    insert into invitations (organisation_id, email, email_key, role, token_hash, invited_by,
                             expires_at)
    values ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
    returning *
)
select
       i.id, i.email, i.role, i.expires_at, i.created_at,
       o.id as organisation_id, o.slug as organisation_slug, o.name as organisation_name,
       o.created_at as organisation_created_at
  from i
  join organisations o on o.id = i.organisation_id
"""

# `superseded`: the same address was invited into the same organisation again since (perhaps
# with another role); only the newest invitation works, as only the newest reset link does.
GET_INVITATION = """
select i.id, i.organisation_id, i.email_key, i.role, i.accepted_at,
       i.expires_at <= now() as expired,
       exists (select 1
                 from invitations newer
                where newer.organisation_id = i.organisation_id
                  and newer.email_key = i.email_key
                  and newer.accepted_at is null
                  and newer.id > i.id) as superseded
  from invitations i
 where i.token_hash = $1
"""

# Accepting serialises on the invitation: one token, one account.
GET_INVITATION_FOR_UPDATE = GET_INVITATION + "   for update of i\n"

MARK_INVITATION_ACCEPTED = """
update invitations
   set accepted_at = now(),
       accepted_by = $2
 where id = $1
"""


async def insert_invitation(
    conn: Connection,
    *,
    organisation_id: UUID,
    email: str,
    email_key: str,
    role: str,
    token_hash: bytes,
    invited_by: str,
    ttl_seconds: float,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        INSERT_INVITATION,
        organisation_id,
        email,
        email_key,
        role,
        token_hash,
        invited_by,
        ttl_seconds,
    )
    assert row is not None
    return row


async def get_invitation(
    conn: Connection, token_hash: bytes, *, for_update: bool = False
) -> asyncpg.Record | None:
    statement = GET_INVITATION_FOR_UPDATE if for_update else GET_INVITATION
    return await conn.fetchrow(statement, token_hash)


async def mark_invitation_accepted(conn: Connection, invitation_id: UUID, user_id: UUID) -> None:
    await conn.execute(MARK_INVITATION_ACCEPTED, invitation_id, user_id)


# ---------------------------------------------------------------- password resets

# One statement whether or not the address has an (active) account: the insert simply finds
# no row to insert for an unknown address.
INSERT_PASSWORD_RESET = """
with target as (
    select id, email, name
      from users
     where email_key = $1
       and is_active
), reset as (
    insert into password_resets (user_id, token_hash, expires_at)
    select id, $2, now() + make_interval(secs => $3)
      from target
    returning id, user_id
)
select reset.id, reset.user_id, target.email, target.name
  from reset
  join target on target.id = reset.user_id
"""

# `superseded`: the user asked again since. Requests that overlap do not see each other's
# link to close it, so "only the newest link works" is also checked here, where a link is used.
# An open newer link is enough: using one closes every older link (password_resets_user_open_idx).
GET_PASSWORD_RESET = """
select r.id, r.user_id, r.used_at, r.expires_at <= now() as expired,
       exists (select 1
                 from password_resets newer
                where newer.user_id = r.user_id
                  and newer.used_at is null
                  and newer.id > r.id) as superseded
  from password_resets r
 where r.token_hash = $1
"""

GET_PASSWORD_RESET_FOR_UPDATE = GET_PASSWORD_RESET + "   for update of r\n"

# Marks the user's open links used; `$2` keeps one open (the link just sent), or null for none.
CLOSE_PASSWORD_RESETS = """
update password_resets
   set used_at = now()
 where user_id = $1
   and used_at is null
   and ($2::uuid is null or id <> $2)
"""


async def insert_password_reset(
    conn: Connection, *, email_key: str, token_hash: bytes, ttl_seconds: float
) -> asyncpg.Record | None:
    return await conn.fetchrow(INSERT_PASSWORD_RESET, email_key, token_hash, ttl_seconds)


async def get_password_reset(
    conn: Connection, token_hash: bytes, *, for_update: bool = False
) -> asyncpg.Record | None:
    statement = GET_PASSWORD_RESET_FOR_UPDATE if for_update else GET_PASSWORD_RESET
    return await conn.fetchrow(statement, token_hash)


async def close_password_resets(
    conn: Connection, user_id: UUID, *, keep: UUID | None = None
) -> None:
    await conn.execute(CLOSE_PASSWORD_RESETS, user_id, keep)
