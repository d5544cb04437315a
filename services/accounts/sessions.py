"""Sessions: sign in with a password, renew with a rotating refresh token, sign out.

A session is a short-lived access token (our JWT: `sub` = `user:<id>`, the role, `org` = the
organisation slug) and an opaque refresh token. Each refresh token works once: renewing marks
it used and issues the next one in the same family. Presenting a used one again means two
parties hold the family (a stolen copy, or a replay), so the whole family is revoked and both
must sign in again.
"""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from db import account_tokens as tokens_db
from db import accounts as accounts_db
from db.pool import Connection
from services.accounts.authentication import account_disabled
from services.accounts.records import SignedIn, User
from services.accounts.runtime import AccountServices
from services.accounts.validation import email_key_or_none
from services.auth.opaque_tokens import is_plausible_token, new_opaque_token, token_digest
from services.auth.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from services.auth.tokens import issue_token, user_subject
from services.errors import ErrorCode, ServiceError
from services.platform.ids import uuid7

logger = logging.getLogger(__name__)

# One message for an unknown address and a wrong password, so the answer names no account.
INVALID_CREDENTIALS: Final = "invalid email or password"
INVALID_REFRESH_TOKEN: Final = "the refresh token is not valid: sign in again"
REUSED_REFRESH_TOKEN: Final = (
    "the refresh token was already used: every session of its sign-in is revoked, sign in again"
)


def _unauthenticated(message: str) -> ServiceError:
    return ServiceError(ErrorCode.UNAUTHENTICATED, message)


async def open_session(
    conn: Connection, accounts: AccountServices, user: User, *, family_id: UUID | None = None
) -> SignedIn:
    """A new access token and a refresh token (a new family, or the next of `family_id`)."""
    refresh = new_opaque_token()
    row = await tokens_db.insert_refresh_token(
        conn,
        user_id=user.id,
        family_id=family_id or uuid7(),
        token_hash=refresh.digest,
        ttl_seconds=accounts.policy.refresh_token_ttl.total_seconds(),
    )
    now = datetime.now(UTC)
    ttl = accounts.policy.access_token_ttl
    access = issue_token(
        accounts.secret_key,
        role=user.role.token_role,
        subject=user_subject(user.id),
        organisation=user.organisation.slug,
        ttl=ttl,
        now=now,
    )
    return SignedIn(
        access_token=access,
        access_token_expires_at=now + ttl,
        refresh_token=refresh.value,
        refresh_token_expires_at=row["expires_at"],
        user=user,
    )


async def login(accounts: AccountServices, email: str, password: str) -> SignedIn:
    """UNAUTHENTICATED with one message whether the address is unknown or the password wrong;
    an unknown address costs the same argon2 verification as a known one."""
    key = email_key_or_none(email)
    row = None
    if key is not None:
        async with accounts.pool.acquire() as conn:
            row = await accounts_db.get_user_with_password(conn, key)
    stored = row["password_hash"] if row is not None and row["password_hash"] else DUMMY_HASH
    matches = await asyncio.to_thread(verify_password, stored, password)
    if row is None or stored is DUMMY_HASH or not matches:
        raise _unauthenticated(INVALID_CREDENTIALS)
    user = User.from_row(row)
    if not user.active:
        raise account_disabled()
    rehashed = None
    if needs_rehash(stored):  # argon2 parameters went up since this hash was made
        rehashed = await asyncio.to_thread(hash_password, password)
    async with accounts.pool.acquire() as conn, conn.transaction():
        if rehashed is not None:
            await accounts_db.update_password_hash(conn, user.id, rehashed)
        session = await open_session(conn, accounts, user)
    logger.info("signed in", extra={"user_id": str(user.id)})
    return session


async def refresh_session(accounts: AccountServices, refresh_token: str) -> SignedIn:
    """Rotate: the presented token is used up and a new pair issued in its family, atomically.

    A token used before revokes its family (committed) and is refused."""
    if not is_plausible_token(refresh_token):
        raise _unauthenticated(INVALID_REFRESH_TOKEN)
    async with accounts.pool.acquire() as conn, conn.transaction():
        row = await tokens_db.get_refresh_token_for_update(conn, token_digest(refresh_token))
        if row is None or row["revoked_at"] is not None:
            raise _unauthenticated(INVALID_REFRESH_TOKEN)
        if row["used_at"] is None:
            if row["expired"]:
                raise _unauthenticated("the refresh token has expired: sign in again")
            user_row = await accounts_db.get_user(conn, row["user_id"])
            if user_row is None or not user_row["is_active"]:
                raise account_disabled()
            await tokens_db.mark_refresh_token_used(conn, row["id"])
            user = User.from_row(user_row)
            return await open_session(conn, accounts, user, family_id=row["family_id"])
        # Used before: revoke the family, commit that, then refuse.
        await tokens_db.revoke_refresh_family(conn, row["family_id"])
    logger.warning(
        "a used refresh token was presented again: its family is revoked",
        extra={"family_id": str(row["family_id"]), "user_id": str(row["user_id"])},
    )
    raise _unauthenticated(REUSED_REFRESH_TOKEN)


async def logout(accounts: AccountServices, refresh_token: str) -> None:
    """Revoke the token's family: this sign-in's refresh tokens all stop working. An unknown
    token is no error (signing out twice is fine, and the answer tells nothing)."""
    if not is_plausible_token(refresh_token):
        return
    async with accounts.pool.acquire() as conn:
        await tokens_db.revoke_refresh_family_of_token(conn, token_digest(refresh_token))
