"""Password resets: the same answer for every address, a single-use expiring link, and every
refresh token of the account revoked."""

import asyncio
import re
import time

import asyncpg

from services.accounts.password_resets import ANSWER_FLOOR_SECONDS
from services.auth.opaque_tokens import token_digest
from tests.conftest import GraphQLCall
from tests.graph.accounts.helpers import (
    LOGIN,
    PASSWORD,
    REFRESH,
    REQUEST_RESET,
    RESET,
    code,
    data,
    emailed_token,
    error,
    sign_up,
    unique_email,
)

NEW_PASSWORD = "a brand new passphrase"


async def _reset_emails(pool: asyncpg.Pool, to: str) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval(
            "select count(*) from email_outbox where to_address = $1 and kind = 'password_reset'",
            to,
        )
    return count


async def test_known_and_unknown_addresses_get_the_same_answer(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    account = await sign_up(gql)
    unknown = unique_email("nobody")
    answers = []
    for email in (account.email, unknown):
        started = time.monotonic()
        answers.append(await gql(REQUEST_RESET, {"email": email}, token=None))
        # held back to the same floor whichever path ran
        assert time.monotonic() - started >= ANSWER_FLOOR_SECONDS
    assert answers[0] == answers[1] == {"data": {"requestPasswordReset": True}}
    assert await _reset_emails(pool, account.email) == 1
    assert await _reset_emails(pool, unknown) == 0


async def test_a_reset_sets_the_password_once_and_ends_every_session(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    account = await sign_up(gql)
    await gql(REQUEST_RESET, {"email": account.email}, token=None)
    token = await emailed_token(pool, to=account.email, kind="password_reset")
    assert data(await gql(RESET, {"token": token, "password": NEW_PASSWORD}, token=None))
    # used up
    again = await gql(RESET, {"token": token, "password": NEW_PASSWORD}, token=None)
    assert code(again) == "BAD_USER_INPUT"
    assert error(again)["extensions"]["field"] == "token"
    # the sign-up's refresh token is revoked; the old password no longer works, the new one does
    assert code(await gql(REFRESH, {"token": account.refresh_token}, token=None)) == (
        "UNAUTHENTICATED"
    )
    old = await gql(LOGIN, {"email": account.email, "password": PASSWORD}, token=None)
    assert code(old) == "UNAUTHENTICATED"
    assert data(await gql(LOGIN, {"email": account.email, "password": NEW_PASSWORD}, token=None))


async def test_only_the_newest_link_works(gql: GraphQLCall, pool: asyncpg.Pool) -> None:
    account = await sign_up(gql)
    await gql(REQUEST_RESET, {"email": account.email}, token=None)
    older = await emailed_token(pool, to=account.email, kind="password_reset")
    await gql(REQUEST_RESET, {"email": account.email}, token=None)
    newer = await emailed_token(pool, to=account.email, kind="password_reset")
    assert older != newer
    assert code(await gql(RESET, {"token": older, "password": NEW_PASSWORD}, token=None)) == (
        "BAD_USER_INPUT"
    )
    assert data(await gql(RESET, {"token": newer, "password": NEW_PASSWORD}, token=None))


async def test_only_the_newest_link_works_when_requests_race(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    account = await sign_up(gql)
    await asyncio.gather(
        *(gql(REQUEST_RESET, {"email": account.email}, token=None) for _ in range(4))
    )
    async with pool.acquire() as conn:
        bodies = await conn.fetch(
            "select text_body from email_outbox where to_address = $1 and kind = 'password_reset'",
            account.email,
        )
        tokens = re.findall(r"token=([A-Za-z0-9_\-]+)", "\n".join(r["text_body"] for r in bodies))
        newest_first = await conn.fetch(
            "select token_hash from password_resets where token_hash = any($1) order by id desc",
            [token_digest(token) for token in tokens],
        )
    by_digest = {token_digest(token): token for token in tokens}
    newest, *older = [by_digest[row["token_hash"]] for row in newest_first]
    assert len(older) == 3
    for token in older:  # none of them, even though the requests overlapped
        assert code(await gql(RESET, {"token": token, "password": NEW_PASSWORD}, token=None)) == (
            "BAD_USER_INPUT"
        )
    assert data(await gql(RESET, {"token": newest, "password": NEW_PASSWORD}, token=None))


async def test_an_expired_link_and_a_weak_password_are_bad_input(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    account = await sign_up(gql)
    await gql(REQUEST_RESET, {"email": account.email}, token=None)
    token = await emailed_token(pool, to=account.email, kind="password_reset")
    weak = await gql(RESET, {"token": token, "password": "short"}, token=None)
    assert error(weak)["extensions"] == {"code": "BAD_USER_INPUT", "field": "newPassword"}
    async with pool.acquire() as conn:
        await conn.execute(
            "update password_resets set expires_at = now() - interval '1 second'"
            " where token_hash = $1",
            token_digest(token),
        )
    expired = await gql(RESET, {"token": token, "password": NEW_PASSWORD}, token=None)
    assert error(expired)["extensions"] == {"code": "BAD_USER_INPUT", "field": "token"}
    # the password did not change
    assert data(await gql(LOGIN, {"email": account.email, "password": PASSWORD}, token=None))


async def test_a_malformed_address_is_bad_input(gql: GraphQLCall) -> None:
    body = await gql(REQUEST_RESET, {"email": "not an address"}, token=None)
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "email"}
