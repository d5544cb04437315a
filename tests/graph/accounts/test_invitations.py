"""Invitations: admins invite by email; the link joins the organisation once, with the role."""

import uuid

import asyncpg

from services.accounts.organisations import create_organisation
from services.auth.opaque_tokens import token_digest
from services.auth.tokens import Role
from tests.conftest import GraphQLCall, make_token
from tests.graph.accounts.helpers import (
    INVITE,
    PASSWORD,
    SIGN_UP,
    code,
    data,
    emailed_token,
    error,
    sign_up,
    unique_email,
)


async def test_an_invitee_joins_the_organisation_with_the_invited_role(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    admin = await sign_up(gql)
    email = unique_email("recruiter")
    invitation = data(
        await gql(INVITE, {"email": email, "role": "RECRUITER"}, token=admin.access_token)
    )["inviteUser"]
    assert invitation["organisation"] == admin.organisation
    assert invitation["role"] == "RECRUITER"
    token = await emailed_token(pool, to=email, kind="user_invite")
    # only the hash is stored
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "select token_hash from invitations where id = $1::uuid", invitation["id"]
        )
    assert stored == token_digest(token)
    joined = await sign_up(gql, email=email.upper(), invitation_token=token)
    assert joined.organisation == admin.organisation
    assert joined.user["role"] == "RECRUITER"
    # single use
    again = await gql(
        SIGN_UP,
        {"input": {"email": unique_email(), "password": PASSWORD, "invitationToken": token}},
        token=None,
    )
    assert code(again) == "BAD_USER_INPUT"
    assert error(again)["extensions"]["field"] == "invitationToken"


async def test_an_invitation_is_for_its_email_address_only(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    admin = await sign_up(gql)
    email = unique_email("analyst")
    await gql(INVITE, {"email": email, "role": "ANALYST"}, token=admin.access_token)
    token = await emailed_token(pool, to=email, kind="user_invite")
    body = await gql(
        SIGN_UP,
        {"input": {"email": unique_email(), "password": PASSWORD, "invitationToken": token}},
        token=None,
    )
    assert code(body) == "BAD_USER_INPUT"
    assert error(body)["extensions"]["field"] == "email"


async def test_an_expired_invitation_is_refused(gql: GraphQLCall, pool: asyncpg.Pool) -> None:
    admin = await sign_up(gql)
    email = unique_email("late")
    await gql(INVITE, {"email": email, "role": "ANALYST"}, token=admin.access_token)
    token = await emailed_token(pool, to=email, kind="user_invite")
    async with pool.acquire() as conn:
        await conn.execute(
            "update invitations set expires_at = now() - interval '1 second' where token_hash = $1",
            token_digest(token),
        )
    body = await gql(
        SIGN_UP,
        {"input": {"email": email, "password": PASSWORD, "invitationToken": token}},
        token=None,
    )
    assert code(body) == "BAD_USER_INPUT"
    assert error(body)["extensions"]["field"] == "invitationToken"


async def test_only_the_newest_invitation_to_an_address_works(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    admin = await sign_up(gql)
    email = unique_email("reinvited")
    await gql(INVITE, {"email": email, "role": "ADMIN"}, token=admin.access_token)
    first = await emailed_token(pool, to=email, kind="user_invite")
    await gql(INVITE, {"email": email, "role": "ANALYST"}, token=admin.access_token)  # rethought
    newest = await emailed_token(pool, to=email, kind="user_invite")
    assert newest != first
    body = await gql(
        SIGN_UP,
        {"input": {"email": email, "password": PASSWORD, "invitationToken": first}},
        token=None,
    )
    assert code(body) == "BAD_USER_INPUT"
    assert error(body)["extensions"]["field"] == "invitationToken"
    joined = await sign_up(gql, email=email, invitation_token=newest)
    assert joined.user["role"] == "ANALYST"


async def test_who_may_invite_where(gql: GraphQLCall, pool: asyncpg.Pool) -> None:
    admin = await sign_up(gql)
    email = unique_email()
    # an organisation admin cannot invite into another organisation
    elsewhere = await gql(
        INVITE,
        {"email": email, "role": "ADMIN", "organisation": "other-org"},
        token=admin.access_token,
    )
    assert code(elsewhere) == "FORBIDDEN"
    # recruiters and analysts cannot invite at all
    for role in (Role.RECRUITER, Role.ANALYST):
        token = make_token(role, organisation=admin.organisation)
        assert code(await gql(INVITE, {"email": email, "role": "ADMIN"}, token=token)) == (
            "FORBIDDEN"
        )
    # a platform admin must say which organisation, and may name any (one founded by sign-up
    # once they confirm they mean it: see the squatting tests below)
    assert code(await gql(INVITE, {"email": email, "role": "ADMIN"})) == "BAD_USER_INPUT"
    invited = data(
        await gql(
            INVITE,
            {
                "email": email,
                "role": "ADMIN",
                "organisation": admin.organisation,
                "confirmSelfService": True,
            },
        )
    )
    assert invited["inviteUser"]["organisation"] == admin.organisation


async def test_inviting_an_existing_account_is_bad_input(gql: GraphQLCall) -> None:
    admin = await sign_up(gql)
    body = await gql(INVITE, {"email": admin.email, "role": "ANALYST"}, token=admin.access_token)
    assert code(body) == "BAD_USER_INPUT"
    assert error(body)["extensions"]["field"] == "email"


async def _organisations_with_slug(pool: asyncpg.Pool, slug: str) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval("select count(*) from organisations where slug = $1", slug)
    return count


async def _invitations_to(pool: asyncpg.Pool, email: str) -> int:
    async with pool.acquire() as conn:
        count: int = await conn.fetchval("select count(*) from invitations where email = $1", email)
    return count


async def test_a_platform_admin_cannot_unknowingly_invite_into_a_squatted_organisation(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    # Someone signs up first under the name of a customer an operator is about to set up.
    customer = f"Globex {uuid.uuid4().hex[:8]}"
    squatter = await sign_up(gql, email=unique_email("squatter"), organisation_name=customer)
    ceo = unique_email("globex-ceo")
    body = await gql(INVITE, {"email": ceo, "role": "ADMIN", "organisation": squatter.organisation})
    assert code(body) == "BAD_USER_INPUT"
    refusal = error(body)
    assert refusal["extensions"]["field"] == "organisation"
    assert refusal["extensions"]["organisationOrigin"] == "SIGN_UP"
    assert refusal["extensions"]["organisationAdmins"] == squatter.email
    assert refusal["extensions"]["organisationName"] == customer
    assert squatter.email in refusal["message"]
    assert "self-service sign-up" in refusal["message"]
    assert await _invitations_to(pool, ceo) == 0
    # Told whose organisation it is, the operator may still mean it.
    invited = data(
        await gql(
            INVITE,
            {
                "email": ceo,
                "role": "ADMIN",
                "organisation": squatter.organisation,
                "confirmSelfService": True,
            },
        )
    )["inviteUser"]
    assert invited["organisationOrigin"] == "SIGN_UP"
    assert invited["organisationAdmins"] == [squatter.email]


async def test_a_platform_admin_invites_only_into_an_organisation_that_exists(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    slug = f"initech-{uuid.uuid4().hex[:8]}"
    body = await gql(INVITE, {"email": unique_email(), "role": "ADMIN", "organisation": slug})
    assert code(body) == "NOT_FOUND"
    assert error(body)["extensions"]["field"] == "organisation"
    assert "insighta org create" in error(body)["message"]
    # naming it created nothing a sign-up could later be confused with
    assert await _organisations_with_slug(pool, slug) == 0


async def test_an_operator_created_organisation_needs_no_confirmation(
    gql: GraphQLCall, pool: asyncpg.Pool
) -> None:
    slug = f"hooli-{uuid.uuid4().hex[:8]}"
    await create_organisation(pool, slug=slug, name="Hooli")
    invited = data(
        await gql(INVITE, {"email": unique_email(), "role": "ADMIN", "organisation": slug})
    )["inviteUser"]
    assert invited["organisationName"] == "Hooli"
    assert invited["organisationOrigin"] == "OPERATOR"
    assert invited["organisationAdmins"] == []


async def test_an_organisation_admin_sees_whom_their_invitation_is_into(
    gql: GraphQLCall,
) -> None:
    admin = await sign_up(gql)
    invited = data(
        await gql(INVITE, {"email": unique_email(), "role": "ANALYST"}, token=admin.access_token)
    )["inviteUser"]
    # their own organisation: no confirmation asked
    assert invited["organisationOrigin"] == "SIGN_UP"
    assert invited["organisationAdmins"] == [admin.email]
