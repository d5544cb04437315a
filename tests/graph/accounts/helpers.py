"""Documents and small helpers shared by the account tests."""

import re
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from tests.conftest import GraphQLCall

PASSWORD = "correct horse battery staple"

_SESSION = """
accessToken refreshToken accessTokenExpiresAt refreshTokenExpiresAt tokenType
user { id email name role active organisation organisationName }
"""
SIGN_UP = f"mutation($input: SignUpInput!) {{ signUp(input: $input) {{ {_SESSION} }} }}"
LOGIN = f"""
mutation($email: String!, $password: String!) {{
  login(email: $email, password: $password) {{ {_SESSION} }}
}}
"""
REFRESH = f"mutation($token: String!) {{ refreshToken(refreshToken: $token) {{ {_SESSION} }} }}"
LOGOUT = "mutation($token: String!) { logout(refreshToken: $token) }"
ME = "query { me { id email name role active organisation organisationName } }"
USERS = """
query($organisation: String, $first: Int, $after: ID) {
  users(organisation: $organisation, first: $first, after: $after) {
    id email role active organisation
  }
}
"""
INVITE = """
mutation($email: String!, $role: UserRole!, $organisation: String,
         $confirmSelfService: Boolean! = false) {
  inviteUser(email: $email, role: $role, organisation: $organisation,
             confirmSelfService: $confirmSelfService) {
    id email role expiresAt organisation organisationName organisationOrigin organisationAdmins
  }
}
"""
SET_ACTIVE = """
mutation($id: ID!, $active: Boolean!) { setUserActive(userId: $id, active: $active) { id active } }
"""
REQUEST_RESET = "mutation($email: String!) { requestPasswordReset(email: $email) }"
RESET = """
mutation($token: String!, $password: String!) {
  resetPassword(token: $token, newPassword: $password)
}
"""


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def error(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), f"expected an error, got {body}"
    first: dict[str, Any] = body["errors"][0]
    return first


def code(body: dict[str, Any]) -> str:
    value: str = error(body)["extensions"]["code"]
    return value


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    value: dict[str, Any] = body["data"]
    return value


@dataclass
class Account:
    email: str
    access_token: str
    refresh_token: str
    user: dict[str, Any]

    @property
    def id(self) -> str:
        value: str = self.user["id"]
        return value

    @property
    def organisation(self) -> str:
        value: str = self.user["organisation"]
        return value


def account(email: str, session: dict[str, Any]) -> Account:
    return Account(email, session["accessToken"], session["refreshToken"], session["user"])


async def sign_up(
    gql: GraphQLCall,
    *,
    email: str | None = None,
    organisation_name: str | None = "Acme Research",
    invitation_token: str | None = None,
    name: str | None = "Ada Obi",
) -> Account:
    email = email or unique_email()
    variables: dict[str, Any] = {"email": email, "password": PASSWORD, "name": name}
    if invitation_token is not None:
        variables["invitationToken"] = invitation_token
    else:
        variables["organisationName"] = organisation_name
    body = await gql(SIGN_UP, {"input": variables}, token=None)
    return account(email, data(body)["signUp"])


async def emailed_token(pool: asyncpg.Pool, *, to: str, kind: str) -> str:
    """The token in the newest email of `kind` to `to` (offline mode keeps them in the outbox)."""
    async with pool.acquire() as conn:
        body = await conn.fetchval(
            "select text_body from email_outbox where to_address = $1 and kind = $2"
            " order by created_at desc, id desc limit 1",
            to,
            kind,
        )
    assert body is not None, f"no {kind} email to {to}"
    match = re.search(r"(?:token|invitation)=([A-Za-z0-9_\-]+)", body)
    assert match is not None, body
    return match.group(1)
