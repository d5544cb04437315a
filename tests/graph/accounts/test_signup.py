"""Sign-up founds an organisation with its admin, who is that organisation's admin only."""

from typing import Any

import asyncpg
import jwt
import pytest
from prometheus_client import REGISTRY

from services.auth.opaque_tokens import new_opaque_token
from services.auth.tokens import Role
from tests.conftest import TEST_SECRET, GraphQLCall, StatementLog, make_token
from tests.graph.accounts.helpers import (
    ME,
    PASSWORD,
    SIGN_UP,
    code,
    data,
    error,
    sign_up,
    unique_email,
)
from tests.graph.interviews.documents import CREATE_CANDIDATE, OUTBOX


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token, TEST_SECRET.reveal(), algorithms=["HS256"], issuer="insighta"
    )
    return claims


async def test_sign_up_founds_an_organisation_and_makes_its_admin(gql: GraphQLCall) -> None:
    account = await sign_up(gql, organisation_name="Ácme Research Ltd.")
    assert account.user["role"] == "ADMIN"
    assert account.user["active"] is True
    assert account.organisation.startswith("acme-research-ltd")
    assert account.user["organisationName"] == "Ácme Research Ltd."
    claims = _claims(account.access_token)
    assert claims["sub"] == f"user:{account.id}"
    assert (claims["role"], claims["org"]) == ("admin", account.organisation)
    assert claims["exp"] - claims["iat"] == 900  # ACCESS_TOKEN_TTL_SECONDS default
    me = data(await gql(ME, token=account.access_token))["me"]
    assert me["email"] == account.email
    assert me["organisation"] == account.organisation


async def test_the_same_organisation_name_gets_a_unique_slug(gql: GraphQLCall) -> None:
    name = f"Globex {unique_email('x')}"
    first = await sign_up(gql, organisation_name=name)
    second = await sign_up(gql, organisation_name=name)
    assert first.organisation != second.organisation
    assert second.organisation.startswith(first.organisation)


async def test_the_reserved_default_organisation_cannot_be_founded(gql: GraphQLCall) -> None:
    account = await sign_up(gql, organisation_name="Default")
    assert account.organisation != "default"


async def test_the_organisation_defaults_to_the_email_domain(gql: GraphQLCall) -> None:
    account = await sign_up(
        gql,
        email=unique_email("x").replace("example.com", "initech.io"),
        organisation_name=None,
        name=None,
    )
    assert account.user["organisationName"] == "initech.io"
    assert account.user["name"] == account.email.partition("@")[0]


async def test_a_taken_email_is_bad_input_on_the_email_field_in_any_case(
    gql: GraphQLCall,
) -> None:
    account = await sign_up(gql)
    body = await gql(
        SIGN_UP,
        {"input": {"email": f"  {account.email.upper()} ", "password": PASSWORD}},
        token=None,
    )
    assert code(body) == "BAD_USER_INPUT"
    assert error(body)["extensions"]["field"] == "email"


async def test_a_weak_password_is_bad_input_on_the_password_field(gql: GraphQLCall) -> None:
    body = await gql(SIGN_UP, {"input": {"email": unique_email(), "password": "short"}}, token=None)
    assert code(body) == "BAD_USER_INPUT"
    assert error(body)["extensions"]["field"] == "password"


async def test_a_malformed_email_is_bad_input(gql: GraphQLCall) -> None:
    for email in ("no-at-sign", "a@b", "two@@example.com", "nul\x00@example.com", "x" * 300):
        body = await gql(SIGN_UP, {"input": {"email": email, "password": PASSWORD}}, token=None)
        assert code(body) == "BAD_USER_INPUT", email
        assert error(body)["extensions"]["field"] == "email"


async def test_sign_up_queues_a_welcome_email(gql: GraphQLCall, pool: asyncpg.Pool) -> None:
    account = await sign_up(gql)
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "select kind, status, subject from email_outbox where to_address = $1", account.email
        )
    assert row is not None
    assert (row["kind"], row["status"]) == ("welcome", "QUEUED")


async def test_an_organisation_admin_is_no_platform_admin(gql: GraphQLCall) -> None:
    account = await sign_up(gql)
    assert code(await gql(OUTBOX, {}, token=account.access_token)) == "FORBIDDEN"
    # ... and works inside its organisation, where candidates land whatever it asks for
    created = await gql(
        CREATE_CANDIDATE,
        {"input": {"name": "Ann", "email": "ann@example.com"}},
        token=account.access_token,
    )
    assert data(created)["createCandidate"]["name"] == "Ann"
    elsewhere = await gql(
        CREATE_CANDIDATE,
        {"input": {"name": "Ann", "email": "ann@example.com", "organisation": "someone-else"}},
        token=account.access_token,
    )
    assert code(elsewhere) == "FORBIDDEN"


async def test_operator_tokens_have_no_account(gql: GraphQLCall) -> None:
    assert data(await gql(ME))["me"] is None
    assert data(await gql(ME, token=make_token(Role.RECRUITER, organisation="acme")))["me"] is None
    assert code(await gql(ME, token=None)) == "UNAUTHENTICATED"


def _argon2_operations() -> dict[str, float]:
    return {
        operation: REGISTRY.get_sample_value(
            "insighta_password_hashing_total", {"operation": operation}
        )
        or 0.0
        for operation in ("hash", "verify")
    }


BOGUS_INVITATIONS = pytest.mark.parametrize(
    "bogus", [new_opaque_token().value, "not-a-token"], ids=["plausible", "implausible"]
)


@BOGUS_INVITATIONS
async def test_a_bogus_invitation_answers_alike_for_known_and_unknown_addresses(
    gql: GraphQLCall, bogus: str
) -> None:
    known = await sign_up(gql)
    answers = []
    for email in (known.email, unique_email()):
        body = await gql(
            SIGN_UP,
            {"input": {"email": email, "password": PASSWORD, "invitationToken": bogus}},
            token=None,
        )
        answers.append((error(body)["message"], error(body)["extensions"]))
    known_answer, unknown_answer = answers
    assert known_answer == unknown_answer
    assert unknown_answer[1] == {"code": "BAD_USER_INPUT", "field": "invitationToken"}


@BOGUS_INVITATIONS
async def test_a_bogus_invitation_costs_alike_for_known_and_unknown_addresses(
    gql: GraphQLCall, sql_log: StatementLog, bogus: str
) -> None:
    known = await sign_up(gql)
    costs = []
    for email in (known.email, unique_email()):
        before = _argon2_operations()
        with sql_log.counting():
            await gql(
                SIGN_UP,
                {"input": {"email": email, "password": PASSWORD, "invitationToken": bogus}},
                token=None,
            )
        after = _argon2_operations()
        # Only what sign-up asks about accounts: the session app's background worker polls on
        # the same pool, and its statements come and go with its timers.
        statements = [s for s in sql_log.statements if "users" in s or "invitations" in s]
        costs.append(({op: after[op] - before[op] for op in after}, statements))
    (known_argon2, known_sql), (unknown_argon2, unknown_sql) = costs
    assert known_argon2 == unknown_argon2
    assert known_sql == unknown_sql
