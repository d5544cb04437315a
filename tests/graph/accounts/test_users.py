"""Admins list and disable their organisation's users; a disabled account is refused
everywhere: its access tokens, signing in, refreshing, resetting its password."""

import asyncpg

from services.auth.tokens import Role
from tests.conftest import GraphQLCall, make_token
from tests.graph.accounts.helpers import (
    INVITE,
    LOGIN,
    ME,
    PASSWORD,
    REFRESH,
    REQUEST_RESET,
    SET_ACTIVE,
    USERS,
    Account,
    code,
    data,
    emailed_token,
    error,
    sign_up,
    unique_email,
)


async def _organisation_with_recruiter(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> tuple[Account, Account]:
    admin = await sign_up(gql)
    email = unique_email("recruiter")
    await gql(INVITE, {"email": email, "role": "RECRUITER"}, token=admin.access_token)
    recruiter = await sign_up(
        gql, email=email, invitation_token=await emailed_token(pool, to=email, kind="user_invite")
    )
    return admin, recruiter


async def test_a_disabled_account_is_refused_everywhere(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    admin, recruiter = await _organisation_with_recruiter(gql, pool)
    assert data(await gql(ME, token=recruiter.access_token))["me"]["id"] == recruiter.id
    disabled = await gql(
        SET_ACTIVE, {"id": recruiter.id, "active": False}, token=admin.access_token
    )
    assert data(disabled)["setUserActive"] == {"id": recruiter.id, "active": False}
    # at once, despite the status cache, in the process that disabled it
    refused = await gql(ME, token=recruiter.access_token)
    assert code(refused) == "UNAUTHENTICATED"
    assert error(refused)["message"] == "this account is disabled"
    login = await gql(LOGIN, {"email": recruiter.email, "password": PASSWORD}, token=None)
    assert error(login)["message"] == "this account is disabled"
    assert code(await gql(REFRESH, {"token": recruiter.refresh_token}, token=None)) == (
        "UNAUTHENTICATED"
    )
    await gql(REQUEST_RESET, {"email": recruiter.email}, token=None)
    async with pool.acquire() as conn:
        assert not await conn.fetchval(
            "select exists (select 1 from email_outbox where to_address = $1"
            " and kind = 'password_reset')",
            recruiter.email,
        )
    # enabled again: signing in works; the old refresh tokens stay revoked
    await gql(SET_ACTIVE, {"id": recruiter.id, "active": True}, token=admin.access_token)
    assert data(await gql(LOGIN, {"email": recruiter.email, "password": PASSWORD}, token=None))
    assert code(await gql(REFRESH, {"token": recruiter.refresh_token}, token=None)) == (
        "UNAUTHENTICATED"
    )


async def test_another_organisations_user_is_not_found(gql: GraphQLCall) -> None:
    first = await sign_up(gql)
    second = await sign_up(gql)
    foreign = await gql(SET_ACTIVE, {"id": second.id, "active": False}, token=first.access_token)
    missing_id = "0190a3b4-0000-7000-8000-000000000000"
    missing = await gql(SET_ACTIVE, {"id": missing_id, "active": False}, token=first.access_token)
    assert code(foreign) == code(missing) == "NOT_FOUND"
    assert error(foreign)["message"].replace(second.id, "X") == error(missing)["message"].replace(
        missing_id, "X"
    )
    assert data(await gql(ME, token=second.access_token))["me"]["active"] is True


async def test_admins_cannot_disable_themselves(gql: GraphQLCall) -> None:
    admin = await sign_up(gql)
    body = await gql(SET_ACTIVE, {"id": admin.id, "active": False}, token=admin.access_token)
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "userId"}


async def test_users_lists_the_own_organisation_in_pages(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    admin, recruiter = await _organisation_with_recruiter(gql, pool)
    await sign_up(gql)  # someone in another organisation
    listed = data(await gql(USERS, {}, token=admin.access_token))["users"]
    assert [user["id"] for user in listed] == [admin.id, recruiter.id]
    page = data(await gql(USERS, {"first": 1, "after": admin.id}, token=admin.access_token))
    assert [user["id"] for user in page["users"]] == [recruiter.id]
    assert code(await gql(USERS, {"organisation": "other"}, token=admin.access_token)) == (
        "FORBIDDEN"
    )
    assert code(await gql(USERS, {"first": 101}, token=admin.access_token)) == "BAD_USER_INPUT"
    # platform admins name any organisation; recruiters list nothing
    named = data(await gql(USERS, {"organisation": admin.organisation}))["users"]
    assert {user["email"] for user in named} == {admin.email, recruiter.email}
    assert code(await gql(USERS, {}, token=recruiter.access_token)) == "FORBIDDEN"
    analyst = make_token(Role.ANALYST, organisation=admin.organisation)
    assert code(await gql(USERS, {}, token=analyst)) == "FORBIDDEN"
