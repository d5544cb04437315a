"""Sign-up: a new organisation with its first admin, or joining one by invitation.

Without an invitation the account founds an organisation (slug made from its name, made
unique) and is its admin: an organisation admin, never a platform admin. With an invitation it
joins the inviting organisation with the invited role; the address must be the invited one.
Everything cheap is checked before the argon2 hash (the expensive part), and everything is
checked again inside the one transaction that writes. An invitation is checked before the
address: only someone holding a valid invitation learns that its address already has an
account.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from db import account_tokens as tokens_db
from db import accounts as accounts_db
from db.pool import Connection
from services.accounts import validation
from services.accounts.organisations import OrganisationOrigin
from services.accounts.records import SignedIn, User, UserRole
from services.accounts.runtime import AccountServices
from services.accounts.sessions import open_session
from services.auth.opaque_tokens import is_plausible_token, token_digest
from services.auth.passwords import check_password_rules, hash_password
from services.email.outbox import queue_email
from services.email.templates import welcome_email
from services.errors import bad_input
from services.platform.rows import Row

logger = logging.getLogger(__name__)

EMAIL_TAKEN: Final = "an account with this email address already exists"
INVALID_INVITATION: Final = (
    "this invitation is not valid: it was used, has expired, was replaced by a newer one or "
    "never existed"
)


@dataclass(frozen=True, slots=True)
class NewAccount:
    email: str
    password: str
    name: str | None = None
    organisation_name: str | None = None  # founding an organisation; default: the email domain
    invitation_token: str | None = None

    def __repr__(self) -> str:
        return f"NewAccount(email={self.email!r}, password='**********')"


@dataclass(frozen=True, slots=True)
class AccountPlan:
    """A new account as checked before anything expensive: its address and name, and either
    the invitation it joins by or the organisation it founds."""

    email: validation.EmailAddress
    name: str
    invitation_digest: bytes | None
    organisation_name: str | None


# Runs in the transaction that creates the user (GitHub sign-in links its identity there).
AfterCreate = Callable[[Connection, User], Awaitable[None]]


async def sign_up(accounts: AccountServices, account: NewAccount) -> SignedIn:
    """The new account, signed in. Its welcome email is queued in the same transaction (call
    the worker's notify after this returns)."""
    email = validation.email_address(account.email)
    name = validation.person_name(account.name, fallback=email.local_part)
    check_password_rules(account.password)
    plan = plan_account(
        email,
        name,
        organisation_name=account.organisation_name,
        invitation_token=account.invitation_token,
    )
    await check_plan(accounts, plan)
    password_hash = await asyncio.to_thread(hash_password, account.password)
    return await create_account(accounts, plan, password_hash=password_hash)


def plan_account(
    email: validation.EmailAddress,
    name: str,
    *,
    organisation_name: str | None,
    invitation_token: str | None,
) -> AccountPlan:
    """The cheap checks: the invitation's shape, or the name of the organisation to found
    (default: the email domain)."""
    if invitation_token is not None:
        if not is_plausible_token(invitation_token):
            raise bad_input(INVALID_INVITATION, field="invitationToken")
        return AccountPlan(email, name, token_digest(invitation_token), None)
    founded = validation.organisation_name(organisation_name, fallback=email.domain)
    return AccountPlan(email, name, None, founded)


async def check_plan(accounts: AccountServices, plan: AccountPlan) -> None:
    """The invitation and the address, before the caller does its expensive part."""
    async with accounts.pool.acquire() as conn:
        # The invitation first: with a bogus one, a known and an unknown address get the same
        # answer after the same statement and no argon2 work, so the answer and its timing
        # tell nobody which addresses have accounts (tests/graph/accounts/test_signup.py).
        if plan.invitation_digest is not None:
            invitation = await tokens_db.get_invitation(conn, plan.invitation_digest)
            _check_invitation(invitation, plan.email)
        if await accounts_db.is_email_taken(conn, plan.email.key):
            raise bad_input(EMAIL_TAKEN, field="email")


async def create_account(
    accounts: AccountServices,
    plan: AccountPlan,
    *,
    password_hash: str | None,
    after_create: AfterCreate | None = None,
) -> SignedIn:
    """Everything checked again and written in one transaction: the organisation founded (or
    the invitation accepted), the user, `after_create`, the welcome email and the session."""
    email = plan.email
    async with accounts.pool.acquire() as conn, conn.transaction():
        invitation = None
        if plan.invitation_digest is not None:
            invitation = await tokens_db.get_invitation(
                conn, plan.invitation_digest, for_update=True
            )
            _check_invitation(invitation, email)
            assert invitation is not None
            organisation_id, role = invitation["organisation_id"], UserRole(invitation["role"])
        else:
            assert plan.organisation_name is not None
            organisation_id = await _found_organisation(conn, plan.organisation_name)
            role = UserRole.ADMIN
        row = await accounts_db.insert_user(
            conn,
            organisation_id=organisation_id,
            email=email.address,
            email_key=email.key,
            role=role.value,
            name=plan.name,
            password_hash=password_hash,
        )
        if row is None:  # taken between the check and now
            raise bad_input(EMAIL_TAKEN, field="email")
        user = User.from_row(row)
        if invitation is not None:
            await tokens_db.mark_invitation_accepted(conn, invitation["id"], user.id)
        if after_create is not None:
            await after_create(conn, user)
        await queue_email(
            conn,
            welcome_email(to=user.email, name=user.name, sign_in_url=accounts.policy.sign_in_url),
            idempotency_key=f"welcome:{user.id}",
            organisation_id=organisation_id,
        )
        session = await open_session(conn, accounts, user)
    logger.info(
        "account created",
        extra={
            "user_id": str(user.id),
            "organisation": user.organisation.slug,
            "role": role.value,
            "invited": invitation is not None,
        },
    )
    return session


def _check_invitation(invitation: Row | None, email: validation.EmailAddress) -> None:
    if (
        invitation is None
        or invitation["accepted_at"] is not None
        or invitation["expired"]
        or invitation["superseded"]
    ):
        raise bad_input(INVALID_INVITATION, field="invitationToken")
    if invitation["email_key"] != email.key:
        raise bad_input("this invitation is for another email address", field="email")


async def _found_organisation(conn: Connection, name: str) -> UUID:
    for slug in validation.slug_candidates(name):
        row = await accounts_db.insert_organisation(
            conn, slug=slug, name=name, origin=OrganisationOrigin.SIGN_UP.value
        )
        if row is not None:
            organisation_id: UUID = row["id"]
            return organisation_id
    # Sixteen taken slugs in a row, eight of them random: something else is wrong.
    raise RuntimeError(f"no free organisation slug for {name!r}")
