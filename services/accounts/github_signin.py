"""Sign in with GitHub: the GitHub account opens the account linked to it, or a new one.

A first sign-in creates the account exactly as `signUp` does (services/accounts/signup.py),
with GitHub's verified primary address and no password: it founds an organisation named after
the address's domain, or joins by an invitation, which must be for that address. An address
that already has an account is refused, as `signUp` refuses it: linking on the address alone
would hand an existing account to whoever controls a GitHub account claiming it. A later
password reset gives a GitHub account a password as well.

The web flow's `state` and PKCE verifier travel in a short-lived token signed with our key
(an HttpOnly cookie, server/github_auth.py), so any server process can finish a flow another
one started and nothing is stored for flows that are abandoned.
"""

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import jwt

from db import github_identities as github_db
from db.pool import Connection
from services.accounts import validation
from services.accounts.authentication import account_disabled
from services.accounts.github_oauth import GitHubIdentity, fetch_identity, not_configured
from services.accounts.records import SignedIn, User
from services.accounts.runtime import AccountServices
from services.accounts.sessions import open_session
from services.accounts.signup import EMAIL_TAKEN, check_plan, create_account, plan_account
from services.errors import ErrorCode, ServiceError, bad_input
from services.platform.settings import Secret

logger = logging.getLogger(__name__)

FLOW_TTL: Final = timedelta(minutes=10)
_FLOW_AUDIENCE: Final = "insighta:github-sign-in"
_LOOPBACK_REDIRECT: Final = re.compile(
    r"http://(?:127\.0\.0\.1|\[::1\]|localhost):(?P<port>[0-9]{1,5})(?:/[A-Za-z0-9._~%/-]*)?"
)
EMAIL_HAS_ACCOUNT: Final = (
    f"{EMAIL_TAKEN}: sign in with its password (GitHub sign-in opens only accounts it created)"
)


@dataclass(frozen=True, slots=True)
class GitHubSignIn:
    session: SignedIn
    github_login: str
    created: bool  # a new account (first sign-in)


@dataclass(frozen=True, slots=True)
class PendingFlow:
    """What the callback needs from the start of a web flow."""

    state: str
    code_verifier: str
    invitation_token: str | None = None

    def __repr__(self) -> str:
        return "PendingFlow('**********')"


def seal_flow(key: Secret, flow: PendingFlow, *, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "aud": _FLOW_AUDIENCE,
        "iat": issued,
        "exp": issued + FLOW_TTL,
        "state": flow.state,
        "verifier": flow.code_verifier,
    }
    if flow.invitation_token is not None:
        claims["invitation"] = flow.invitation_token
    return jwt.encode(claims, key.reveal(), algorithm="HS256")


def open_flow(key: Secret, sealed: str | None) -> PendingFlow:
    """The flow this browser started here, or UNAUTHENTICATED (none, expired, forged)."""
    if not sealed:
        raise _refused("no GitHub sign-in was started in this browser (or it was finished)")
    try:
        claims = jwt.decode(sealed, key.reveal(), algorithms=["HS256"], audience=_FLOW_AUDIENCE)
        invitation = claims.get("invitation")
        return PendingFlow(
            state=str(claims["state"]),
            code_verifier=str(claims["verifier"]),
            invitation_token=invitation if isinstance(invitation, str) else None,
        )
    except jwt.ExpiredSignatureError:
        raise _refused("the GitHub sign-in took too long: start again") from None
    except (jwt.InvalidTokenError, KeyError):
        raise _refused("the GitHub sign-in could not be checked: start again") from None


def check_loopback_redirect(redirect_uri: str) -> None:
    """A client-run flow (the CLI) must redirect to a port on this machine: the server never
    trades codes for other sites' redirects."""
    # Matched as text, not with urlsplit: urlsplit reads "http://evil.com\@127.0.0.1/cb" as
    # host 127.0.0.1 where a browser goes to evil.com. Only an exact loopback authority passes.
    match = _LOOPBACK_REDIRECT.fullmatch(redirect_uri)
    if match is None or not 0 < int(match["port"]) < 65536:
        raise bad_input(
            "redirectUri must be http://127.0.0.1:<port>/... (a loopback address)",
            field="redirectUri",
        )


async def exchange_and_sign_in(
    accounts: AccountServices,
    *,
    code: str,
    code_verifier: str,
    redirect_uri: str,
    invitation_token: str | None,
) -> GitHubSignIn:
    """Trade the code at GitHub, then sign in as (or create) the linked account."""
    if accounts.github is None:
        raise not_configured()
    identity = await fetch_identity(
        accounts.github, code=code, code_verifier=code_verifier, redirect_uri=redirect_uri
    )
    return await sign_in(accounts, identity, invitation_token=invitation_token)


async def sign_in(
    accounts: AccountServices, identity: GitHubIdentity, *, invitation_token: str | None
) -> GitHubSignIn:
    """A linked GitHub account signs in (an invitation is then not used); else a new account."""
    session = await _sign_in_linked(accounts, identity)
    if session is not None:
        return GitHubSignIn(session, identity.login, created=False)
    email = validation.email_address(identity.email)
    name = validation.person_name(identity.name or identity.login, fallback=identity.login)
    plan = plan_account(email, name, organisation_name=None, invitation_token=invitation_token)
    try:
        await check_plan(accounts, plan)
    except ServiceError as error:
        raise _email_has_account() if str(error) == EMAIL_TAKEN else error from None

    async def link(conn: Connection, user: User) -> None:
        if not await github_db.insert_github_identity(
            conn, github_id=identity.id, user_id=user.id, github_login=identity.login
        ):
            raise _AlreadyLinked

    try:
        session = await create_account(accounts, plan, password_hash=None, after_create=link)
    except _AlreadyLinked:
        # A first sign-in of the same GitHub account finished meanwhile (two tabs): this one
        # rolled back; sign in to the account the other created.
        session = await _sign_in_linked(accounts, identity)
        if session is None:  # linked, then unlinked or disabled in between: try again
            raise ServiceError(
                ErrorCode.UNAUTHENTICATED, "this GitHub account changed meanwhile; sign in again"
            ) from None
        return GitHubSignIn(session, identity.login, created=False)
    except ServiceError as error:
        raise _email_has_account() if str(error) == EMAIL_TAKEN else error from None
    logger.info("github identity linked", extra={"user_id": str(session.user.id)})
    return GitHubSignIn(session, identity.login, created=True)


async def _sign_in_linked(accounts: AccountServices, identity: GitHubIdentity) -> SignedIn | None:
    async with accounts.pool.acquire() as conn, conn.transaction():
        row = await github_db.touch_github_identity(conn, identity.id, github_login=identity.login)
        if row is None:
            return None
        user = User.from_row(row)
        if not user.active:
            raise account_disabled()
        session = await open_session(conn, accounts, user)
    logger.info("signed in", extra={"user_id": str(user.id), "method": "github"})
    return session


class _AlreadyLinked(Exception):
    pass


def _email_has_account() -> ServiceError:
    return bad_input(EMAIL_HAS_ACCOUNT, field="email")


def _refused(message: str) -> ServiceError:
    return ServiceError(ErrorCode.UNAUTHENTICATED, message)
