"""Password resets: a single-use, expiring link by email, then a new password.

Asking gives the same answer whether or not the address has an account, and takes the same
time: the lookup and the insert are one statement either way, and the answer is held back to
a fixed floor (`ANSWER_FLOOR_SECONDS`), well above the few milliseconds the email queueing of a
real account adds, so response times do not tell which addresses exist.
"""

import asyncio
import logging
import time
from typing import Final

from db import account_tokens as tokens_db
from db import accounts as accounts_db
from services.accounts import validation
from services.accounts.authentication import account_disabled
from services.accounts.runtime import AccountServices
from services.auth.opaque_tokens import is_plausible_token, new_opaque_token, token_digest
from services.auth.passwords import check_password_rules, hash_password
from services.email.outbox import queue_email
from services.email.templates import password_reset_email
from services.errors import ServiceError, bad_input
from services.platform.rows import Row

logger = logging.getLogger(__name__)

ANSWER_FLOOR_SECONDS: Final = 0.1
INVALID_RESET: Final = "this reset link is not valid: it was used, has expired or never existed"


async def request_password_reset(
    accounts: AccountServices, email: str, *, floor_seconds: float = ANSWER_FLOOR_SECONDS
) -> bool:
    """Queue a reset email if `email` names an active account. Returns whether one was queued,
    for the caller's logs and tests only: the client's answer must not depend on it."""
    started = time.monotonic()
    address = validation.email_address(email)
    token = new_opaque_token()
    ttl = accounts.policy.password_reset_ttl
    async with accounts.pool.acquire() as conn, conn.transaction():
        row = await tokens_db.insert_password_reset(
            conn, email_key=address.key, token_hash=token.digest, ttl_seconds=ttl.total_seconds()
        )
        if row is not None:
            # The newest link is the only one that works.
            await tokens_db.close_password_resets(conn, row["user_id"], keep=row["id"])
            await queue_email(
                conn,
                password_reset_email(
                    to=row["email"],
                    name=row["name"],
                    reset_url=accounts.policy.password_reset_url(token.value),
                    valid_minutes=max(1, round(ttl.total_seconds() / 60)),
                ),
                idempotency_key=f"password-reset:{row['id']}",
            )
    if row is not None:
        logger.info("password reset queued", extra={"user_id": str(row["user_id"])})
    await asyncio.sleep(max(0.0, floor_seconds - (time.monotonic() - started)))
    return row is not None


async def reset_password(accounts: AccountServices, token: str, new_password: str) -> None:
    """Set the new password, use the link up and revoke every refresh token of the account."""
    try:
        check_password_rules(new_password)
    except ServiceError as error:
        raise bad_input(str(error), field="newPassword") from None
    if not is_plausible_token(token):
        raise bad_input(INVALID_RESET, field="token")
    digest = token_digest(token)
    # The link is checked before hashing: argon2 is the expensive step, not for random tokens.
    async with accounts.pool.acquire() as conn:
        _check_reset(await tokens_db.get_password_reset(conn, digest))
    password_hash = await asyncio.to_thread(hash_password, new_password)
    async with accounts.pool.acquire() as conn, conn.transaction():
        reset = await tokens_db.get_password_reset(conn, digest, for_update=True)
        _check_reset(reset)
        assert reset is not None
        user_id = reset["user_id"]
        user = await accounts_db.get_user(conn, user_id)
        if user is None or not user["is_active"]:
            raise account_disabled()
        await accounts_db.update_password_hash(conn, user_id, password_hash)
        await tokens_db.close_password_resets(conn, user_id)
        await tokens_db.revoke_user_refresh_tokens(conn, user_id)
    logger.info("password reset", extra={"user_id": str(user_id)})


def _check_reset(reset: Row | None) -> None:
    if reset is None or reset["used_at"] is not None or reset["expired"] or reset["superseded"]:
        raise bad_input(INVALID_RESET, field="token")
